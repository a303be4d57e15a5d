"""Examples the OpenAPI document shows beside a route's answer, built from the response models.

Each is an instance of the model the route returns, so it cannot drift from the schema beside
it; it is written into the document only (not into the models' JSON schema, which the MCP tools
send an agent with every tool list).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from precedent.responses import FollowUpResponse, IncidentDetailResponse, LessonResponse, NodeResponse

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["INCIDENT_DETAIL_EXAMPLE", "answer_with_example"]

_DECLARED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

INCIDENT_DETAIL_EXAMPLE = IncidentDetailResponse(
    incident=NodeResponse(
        id="01HQ3ZJ8K9Y6V0M2N4P5R7S8T9",
        label="Incident",
        properties={
            "duration_seconds": 2700,
            "incident_type": "Outage",
            "name": "Payments API returning 500s",
            "reference": "INC-42",
            "resolved_at": "2026-03-01T10:45:00.000000Z",
            "severity": "Critical",
            "status": "Closed",
            "status_category": "closed",
            "summary": "Card payments failed with 500s after deploy 42",
            "url": "https://app.incident.io/incidents/42",
        },
        occurred_at=_DECLARED,
        visibility="public",
        text=(
            "Payments API returning 500s\n\nCard payments failed with 500s after deploy 42\n\n"
            "Rolling back deploy 42"
        ),
    ),
    services=["payments-api"],
    teams=["Payments"],
    updates=[
        NodeResponse(
            id="01HQ3ZM2A7B8C9D0E1F2G3H4J5",
            label="IncidentUpdate",
            properties={
                "incident_id": "01HQ3ZJ8K9Y6V0M2N4P5R7S8T9",
                "message": "Rolling back deploy 42",
                "new_status": "Investigating",
            },
            occurred_at=_DECLARED.replace(minute=12),
            visibility="public",
            text="Rolling back deploy 42",
        )
    ],
    postmortems=[
        NodeResponse(
            id="01HQ41B6C7D8E9F0G1H2J3K4M5",
            label="Postmortem",
            properties={
                "document_type": "in_app",
                "status": "completed",
                "title": "INC-42 post-mortem",
                "url": "https://app.incident.io/pm/42",
            },
            occurred_at=_DECLARED.replace(minute=45),
            visibility="public",
        )
    ],
    lesson=LessonResponse(
        root_cause="Deploy 42 shipped a connection-pool setting of 2",
        resolution="Rolled back deploy 42",
        learnings="Canary every deploy of payments-api",
        duration_seconds=2700,
        severity="Critical",
        type="Outage",
        follow_ups=[
            FollowUpResponse(
                title="Add a canary stage",
                status="outstanding",
                priority="High",
                open=True,
                # Not null: the document leaves a null out of an example, and a client reading
                # the example would not see the field at all.
                url="https://linear.app/acme/issue/PAY-231",
            )
        ],
        open_follow_ups=1,
    ),
)
"""``GET /v1/incidents/{incident}``'s answer for INC-42 (the ids are incident.io's)."""


def answer_with_example(example: BaseModel, *, description: str, summary: str) -> dict[int, ResponseSpec]:
    """A route's 200 answer as the OpenAPI document shows it: ``example``'s model's schema, with
    ``example`` (named ``summary``) under it.

    Given among a route's ``responses``, it takes the place of the entry the framework would write
    for the return type (the same schema, without an example).
    """
    return {
        200: ResponseSpec(
            data_container=type(example),
            description=description,
            generate_examples=False,
            examples=[Example(summary=summary, value=example.model_dump(mode="json"))],
        )
    }
