"""HTTP routes for investigations and change events: parse, call one investigation function, return.

Responses are ``InvestigationResponse``, the model the CLI's ``--json``, MCP and the pages read
(the stored JSON's shape, plus where a stored one stands now); requests are the pydantic models
below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, SkipValidation
from pydantic import BaseModel, ConfigDict, Field

from precedent.api.auth import demand_scopes, scope_security
from precedent.api.errors import problem_responses
from precedent.api.requests import IsoTime, hours_number, limit_parameter, whole_number
from precedent.browse import CHANGE_HOURS_DEFAULT, MAX_CHANGE_HOURS, MAX_CHANGES
from precedent.browse import service_changes as list_service_changes
from precedent.ingest.changes import ChangeRecord, ChangeRecorder
from precedent.investigation import (
    CHANGE_WINDOW_DEFAULT_HOURS,
    CHANGE_WINDOW_DESCRIPTION,
    CHANGE_WINDOW_MAX_HOURS,
    RECENT_MAX,
    SIMILAR_PRECEDENTS_MAX,
    Collaborators,
    InvestigationOptions,
    build_and_save,
    change_window,
    latest_or_build,
    list_recent,
    readable,
)
from precedent.model import Viewer
from precedent.responses import (
    ChangesPageResponse,
    InvestigationListResponse,
    InvestigationResponse,
    RecordedChangeResponse,
)
from precedent.retrieval import NAME_MAX_CHARS, SERVICES_MAX, SUMMARY_MAX_CHARS, DescribedQuery
from precedent.store import GraphStore

__all__ = [
    "INVESTIGATION_ROUTES",
    "ChangeRequest",
    "InvestigationRequest",
]


WRITE_INVESTIGATION = ("read", "write")
"""What building and storing an investigation on request needs: it reads the map and writes to it."""


class InvestigationRequest(BaseModel):
    """An incident described by the caller, like ``POST /v1/similar`` (one in the map: ``GET
    /v1/incidents/{id}/investigation?rebuild=true``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A blank one is DescribedQuery's to refuse, as POST /v1/similar's is (requests.py).
    name: str = Field(max_length=NAME_MAX_CHARS, description="the incident's title")
    summary: str = Field(default="", max_length=SUMMARY_MAX_CHARS)
    services: list[str] = Field(
        default_factory=list,
        max_length=SERVICES_MAX,
        description=f"affected services, by name or id (at most {SERVICES_MAX})",
    )
    severity: str | None = None
    type: str | None = None
    declared_at: IsoTime | None = Field(default=None, description="default: now")
    # Its range is InvestigationOptions' to check, in the words the CLI's --similar is refused in.
    similar: Annotated[int, whole_number("similar", 1, SIMILAR_PRECEDENTS_MAX)] = Field(
        default=5,
        description=f"how many precedents (1 to {SIMILAR_PRECEDENTS_MAX})",
        json_schema_extra={"minimum": 1, "maximum": SIMILAR_PRECEDENTS_MAX},
    )
    # Any length above 0 up to the cap (it refused one under 0.1 hours, which the CLI and MCP took),
    # checked by InvestigationOptions in the words the CLI's --window-hours is refused in.
    change_window_hours: Annotated[float, hours_number("change_window_hours", CHANGE_WINDOW_MAX_HOURS)] = (
        Field(
            default=CHANGE_WINDOW_DEFAULT_HOURS,
            description=CHANGE_WINDOW_DESCRIPTION,
            json_schema_extra={"exclusiveMinimum": 0, "maximum": CHANGE_WINDOW_MAX_HOURS},
        )
    )


class ChangeRequest(BaseModel):
    """A change to production, as a CI step reports it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Published, and checked by ChangeRecord, whose refusal of a blank one says what to send (this
    # field's own check answered "String should have at least 1 character").
    service: str = Field(description="the changed service, by name or id", json_schema_extra={"minLength": 1})
    kind: Literal["deploy", "config", "feature_flag", "infrastructure", "other"] = "deploy"
    started_at: IsoTime | None = Field(default=None, description="default: when it is received")
    finished_at: IsoTime | None = None
    version: str | None = None
    summary: str | None = None
    author: str | None = None
    url: str | None = None
    commit_sha: str | None = None
    repository: str | None = None
    labels: list[str] = Field(default_factory=list)
    id: str | None = Field(default=None, description="your id: recording it again replaces the change")


@get(
    "/v1/incidents/{incident:str}/investigation",
    operation_id="getIncidentInvestigation",
    summary="An incident's investigation",
    tags=["investigations"],
    responses=problem_responses(400, 404, 503),
)
async def incident_investigation(
    request: Request[Any, Any, Any],
    incident: FromPath[str],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    rebuild: Annotated[
        bool,
        QueryParameter(description="build and store a new one even if one is stored (needs `write`)"),
    ] = False,
) -> InvestigationResponse:
    """The latest investigation of an incident in the map, built (and stored) if there is none.

    `rebuild=true` stores a new one, a write: it needs the `read` and `write` scopes (403 naming
    `write` otherwise)."""
    if rebuild:
        demand_scopes(request, WRITE_INVESTIGATION)
    investigation = await latest_or_build(collaborators, incident, viewer, rebuild=rebuild)
    return await InvestigationResponse.where_it_stands(
        collaborators.store, investigation, viewer, collaborators.links
    )


@get(
    "/v1/investigations/{investigation_id:str}",
    operation_id="getInvestigation",
    summary="One investigation",
    tags=["investigations"],
    responses=problem_responses(400, 404, 503),
)
async def investigation_by_id(
    investigation_id: FromPath[str],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
) -> InvestigationResponse:
    """A stored investigation by id, with `superseded_by` (and its path) when its incident has a
    newer one, and `closed_at` when the incident was closed.

    One that cites an incident made private since is drawn again, at the moment it was built,
    without it for a token that may not see private incidents (as its Slack message was)."""
    investigation = await readable(collaborators, investigation_id, viewer)
    return await InvestigationResponse.where_it_stands(
        collaborators.store, investigation, viewer, collaborators.links
    )


@post(
    "/v1/investigations",
    operation_id="createInvestigation",
    summary="Investigate a described incident",
    tags=["investigations"],
    status_code=201,
    opt={"scope": WRITE_INVESTIGATION},
    security=scope_security(*WRITE_INVESTIGATION),
    responses=problem_responses(400, 404, 503),
)
async def create_investigation(
    data: JSONBody[InvestigationRequest],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
) -> InvestigationResponse:
    """Investigate an incident described in the body (it need not be in the map yet); store it.

    Needs the `read` and `write` scopes: it reads the map as `POST /v1/similar` does (private
    incidents only with `read:private`) and stores the investigation, which
    `GET /v1/investigations` then lists to every caller. To only look, without storing, use
    `POST /v1/similar`."""
    query = DescribedQuery(
        name=data.name,
        summary=data.summary,
        services=tuple(data.services),
        severity=data.severity,
        incident_type=data.type,
        declared_at=data.declared_at or datetime.now(UTC),
    )
    # Its refusal names the body field at fault, which `errors` lists.
    options = InvestigationOptions(
        similar=data.similar, change_window=change_window(data.change_window_hours)
    )
    investigation = await build_and_save(collaborators, query, viewer, options)
    return InvestigationResponse.from_investigation(investigation, links=collaborators.links)


@get(
    "/v1/investigations",
    operation_id="listInvestigations",
    summary="List investigations",
    tags=["investigations"],
    responses=problem_responses(400, 503),
)
async def recent_investigations(
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    cursor: FromQuery[str | None] = None,
    limit: Annotated[int, limit_parameter(RECENT_MAX, "page size")] = 20,
) -> InvestigationListResponse:
    """Stored investigations, newest first; pass ``next_cursor`` back as ``cursor`` for the next page.

    One that cites an incident made private since is listed as `GET /v1/investigations/{id}`
    answers it: drawn again without that incident for a token that may not see private ones. A
    page draws at most eight such builds again and ends there, shorter than ``limit``, with a
    ``next_cursor`` to the rest: follow ``next_cursor`` until it is null rather than counting."""
    page = await list_recent(collaborators, viewer, cursor=cursor, limit=limit)
    return InvestigationListResponse.from_page(page)


@post(
    "/v1/changes",
    operation_id="recordChange",
    summary="Record a change",
    tags=["changes"],
    status_code=202,
    opt={"scope": "write"},
    security=scope_security("write"),
    responses=problem_responses(400, 404, 503),
)
async def record_change(
    data: JSONBody[ChangeRequest], store: NamedDependency[GraphStore]
) -> RecordedChangeResponse:
    """Record a change (a deploy, a config change...); idempotent on your ``id``. Needs the `write` scope."""
    # Its refusals name the body field at fault, which `errors` lists.
    record = ChangeRecord(
        service=data.service,
        kind=data.kind,
        started_at=data.started_at or datetime.now(UTC),
        finished_at=data.finished_at,
        version=data.version,
        summary=data.summary,
        author=data.author,
        url=data.url,
        commit_sha=data.commit_sha,
        repository=data.repository,
        labels=tuple(data.labels),
        id=data.id,
    )
    # One recorder per request: the pending-service list is updated by compare and set, so
    # concurrent requests (and other processes) do not need a shared recorder.
    return await RecordedChangeResponse.from_recorded(store, await ChangeRecorder(store).record(record))


@get(
    "/v1/services/{service:str}/changes",
    operation_id="listServiceChanges",
    summary="A service's changes",
    tags=["changes"],
    responses=problem_responses(400, 404, 503),
)
async def service_changes(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    since_hours: Annotated[
        float,
        QueryParameter(
            gt=0, le=MAX_CHANGE_HOURS, description=f"how far back, in hours (at most {MAX_CHANGE_HOURS})"
        ),
    ] = CHANGE_HOURS_DEFAULT,
    limit: Annotated[int, limit_parameter(MAX_CHANGES, "page size")] = 50,
    cursor: Annotated[
        str | None,
        QueryParameter(description="the previous page's `next_cursor`; leave out for the first page"),
    ] = None,
) -> ChangesPageResponse:
    """A service's changes (by name or id), newest first, a page at a time; an unknown service
    lists its pending ones."""
    found = await list_service_changes(store, service, since_hours=since_hours, limit=limit, cursor=cursor)
    return ChangesPageResponse.from_page(found)


INVESTIGATION_ROUTES = [
    incident_investigation,
    investigation_by_id,
    create_investigation,
    recent_investigations,
    record_change,
    service_changes,
]
