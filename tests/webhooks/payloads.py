"""Webhook payloads built from the spec's examples, varied one field at a time."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.webhooks.signing import example

INCIDENT_ID = "01FDAG4SAP5TYPT98WGR2N7W91"
SERVICE_ID = "01HSERVICEPAYMENTS00000000"  # the catalog entry in the custom field
CREATED = "public_incident.incident_created_v2"
UPDATED = "public_incident.incident_updated_v2"
STATUS_UPDATED = "public_incident.incident_status_updated_v2"


def _status(name: str, category: str) -> dict[str, Any]:
    return {
        "category": category,
        "created_at": "2021-08-17T13:28:57.801578Z",
        "description": name,
        "id": f"status-{category}",
        "name": name,
        "rank": 1,
        "updated_at": "2021-08-17T13:28:57.801578Z",
    }


def incident(
    *,
    incident_id: str = INCIDENT_ID,
    name: str = "Our database is sad",
    updated_at: str = "2026-12-02T10:00:00Z",
    status: tuple[str, str] = ("Investigating", "live"),
    workload: float = 60.7,
    visibility: str = "public",
) -> dict[str, Any]:
    """A ``WebhookIncidentV2`` (the spec's example with these fields replaced)."""
    raw: dict[str, Any] = copy.deepcopy(example(CREATED)[CREATED])  # type: ignore[index]
    raw.update(
        id=incident_id,
        name=name,
        updated_at=updated_at,
        incident_status=_status(*status),
        workload_minutes_total=workload,
        visibility=visibility,
    )
    # The example reuses one id for its severity, type, user and catalog entry: keep them apart.
    raw["custom_field_entries"][0]["values"][0]["value_catalog_entry"]["id"] = SERVICE_ID
    return raw


def incident_event(event_type: str = CREATED, **fields: Any) -> dict[str, Any]:
    """A created or updated delivery."""
    return {"event_type": event_type, event_type: incident(**fields)}


def status_event(
    new: tuple[str, str] = ("Closed", "closed"),
    previous: tuple[str, str] = ("Investigating", "live"),
    **fields: Any,
) -> dict[str, Any]:
    """A status-updated delivery moving the incident to ``new``."""
    resource = {
        "incident": incident(status=new, **fields),
        "message": "We are done",
        "new_status": _status(*new),
        "previous_status": _status(*previous),
    }
    return {"event_type": STATUS_UPDATED, STATUS_UPDATED: resource}


def body(document: object) -> bytes:
    return json.dumps(document).encode()
