"""The demo's story: a fresh incident that repeats a planted recurring failure, and its webhook.

The generated organisation plants recurring failures (``judgments.jsonl``: each query incident
repeats an earlier one). The demo declares one more of the newest such failure, on the same
services, as incident.io would: a ``public_incident.incident_created_v2`` delivery, signed with the
service's webhook secret, so it takes the real path (verify, inbox, worker, investigation).
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from standardwebhooks import Webhook

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DeclaredIncident", "affected_services", "declare_repeat", "deploy_before", "signed_delivery"]

EVENT = "public_incident.incident_created_v2"


@dataclass(frozen=True)
class DeclaredIncident:
    """The incident the demo declares, as incident.io would post it."""

    id: str
    reference: str
    name: str
    repeats: str
    services: tuple[str, ...]
    payload: dict[str, Any]


def _objects(export: Path, file_name: str, key: str) -> list[dict[str, Any]]:
    # An export file is one response body or a list of pages of them (docs/export-format.md).
    with (export / file_name).open(encoding="utf-8") as file:
        data = json.load(file)
    pages = data if isinstance(data, list) else [data]
    return [item for page in pages for item in page[key]]


def _incidents(export: Path) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in _objects(export, "v2_incidents.json", "incidents")}


def affected_services(incident: dict[str, Any]) -> list[str]:
    """The names of the catalog entries an incident's custom fields say it affected."""
    return [
        value["value_catalog_entry"]["name"]
        for entry in incident.get("custom_field_entries", [])
        for value in entry.get("values", [])
        if "value_catalog_entry" in value
    ]


def declare_repeat(export: Path, *, now: datetime) -> DeclaredIncident:
    """A new incident that repeats the newest planted recurring failure in ``export``.

    Its id and reference depend only on ``export``, so declaring it again updates it.

    Args:
        export: The generated export directory (with ``judgments.jsonl``).
        now: When it is declared.

    Raises:
        ValueError: if the export plants no recurrence.
    """
    incidents = _incidents(export)
    with (export / "judgments.jsonl").open(encoding="utf-8") as lines:
        judged = [json.loads(line) for line in lines if line.strip()]
    threads = {
        j["query_id"]: {j["query_id"], *(r["id"] for r in j["relevant"])}
        for j in judged
        if j["query_id"] in incidents
    }
    if not threads:
        raise ValueError(f"{export} plants no recurring failure (judgments.jsonl is empty)")

    def distinct(query_id: str) -> bool:
        # A generic alert title shared with unrelated incidents ("HighErrorRate <service>") would make
        # the story about the title, not the failure: prefer a recurrence whose name is its own.
        name = incidents[query_id]["name"]
        return not any(i["name"] == name and i["id"] not in threads[query_id] for i in incidents.values())

    candidates = [q for q in threads if distinct(q)] or list(threads)
    template = incidents[max(candidates, key=lambda q: str(incidents[q]["created_at"]))]
    number = 1 + max(int(str(i["reference"]).removeprefix("INC-")) for i in incidents.values())
    incident = copy.deepcopy(template)
    stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # The same id on every run over this export: a second run declares the same incident again (a
    # newer state of it), so the map never gains a second INC-201 that the next run would find as
    # its own closest precedent.
    incident_id = "01DEMO" + hashlib.sha256(str(template["id"]).encode()).hexdigest()[:20].upper()
    # Its own permalink and Slack channel, not the template's (the pages link to them).
    permalink = str(template.get("permalink", "")).rsplit("/", 1)[0]
    incident.update(
        id=incident_id,
        reference=f"INC-{number}",
        permalink=f"{permalink}/{number}" if permalink else None,
        slack_channel_id="C" + hashlib.sha256(incident_id.encode()).hexdigest()[:10].upper(),
        slack_channel_name=f"inc-{number}-" + str(template.get("slack_channel_name", "")).split("-", 2)[-1],
        created_at=stamp,
        updated_at=stamp,
        summary="Declared by the demo; responders are looking.",
        postmortem_document_ids=[],
        related_incidents=[],
        incident_timestamp_values=[],
        duration_metrics=[],
    )
    statuses = _objects(export, "v1_incident_statuses.json", "incident_statuses")
    incident["incident_status"] = min(
        (s for s in statuses if s["category"] == "live"), key=lambda s: int(s["rank"])
    )
    incident.pop("postmortem_document_url", None)
    return DeclaredIncident(
        incident_id,
        f"INC-{number}",
        str(incident["name"]),
        str(template["reference"]),
        tuple(affected_services(incident)),
        incident,
    )


def signed_delivery(
    incident: DeclaredIncident, secret: str, *, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers incident.io would send for ``incident`` (Standard Webhooks signature)."""
    body = json.dumps({"event_type": EVENT, EVENT: incident.payload})
    message_id = "msg_demo_" + secrets.token_hex(8)
    signature = Webhook(secret).sign(message_id, now, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


def deploy_before(now: datetime, minutes: int = 7) -> datetime:
    """When the demo's deploy happened: a few minutes before the incident."""
    return now - timedelta(minutes=minutes)
