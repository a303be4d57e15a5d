"""Configuration objects every incident points at: severities, statuses, types, roles, timestamps.

They are built once per organisation and embedded, unchanged, in the incidents and updates that use
them, as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.sources.synthetic.ids import iso

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.sources.synthetic.ids import IdFactory

__all__ = ["Json", "Reference", "build_reference"]

Json = dict[str, object]

_SEVERITIES = (
    ("Minor", "Issues with **low impact**: a degraded non-critical feature or a small set of customers."),
    ("Major", "Issues causing **significant impact**: a core journey is degraded for many customers."),
    ("Critical", "Issues causing **severe impact**: a core journey is down or money is at risk."),
)
# name, category, description. Order is rank order.
_STATUSES = (
    ("Triage", "triage", "We're not yet sure this is an incident."),
    ("Investigating", "live", "We're working out what is happening."),
    ("Identified", "live", "We know the cause and are working on a fix."),
    ("Monitoring", "live", "A fix is in place and we're watching it."),
    ("Documenting", "learning", "Impact has been **fully mitigated**; we're writing up what happened."),
    ("Closed", "closed", "The incident is over and follow-ups are tracked."),
    ("Merged", "merged", "This incident was a duplicate and was merged into another."),
    ("Declined", "declined", "This was not an incident."),
)
_TIMESTAMPS = ("Reported at", "Impact started", "Identified at", "Fixed at", "Resolved at", "Closed at")
_ROLES = (
    (
        "Incident Lead",
        "lead",
        "lead",
        "The person currently coordinating the incident",
        "Take point on the incident; make sure people are clear on responsibilities",
    ),
    ("Reporter", "reporter", "", "The person who reported the incident", ""),
    (
        "Communications Lead",
        "custom",
        "comms",
        "Keeps customers and stakeholders informed",
        "Post status page updates every 30 minutes",
    ),
)


@dataclass(frozen=True)
class Reference:
    """The organisation's configuration, as API objects keyed by name."""

    severities: dict[str, Json]
    statuses: dict[str, Json]
    incident_types: dict[str, Json]
    roles: dict[str, Json]
    timestamps: dict[str, Json]


def build_reference(ids: IdFactory, at: datetime) -> Reference:
    """Build severities, statuses, incident types, roles and timestamps created at ``at``.

    Args:
        ids: the id factory.
        at: when the organisation configured incident.io.

    Returns:
        The configuration objects.
    """
    created = iso(at)
    severities: dict[str, Json] = {}
    for rank, (name, description) in enumerate(_SEVERITIES, start=1):
        severities[name] = {
            "created_at": created,
            "description": description,
            "id": ids.new(at),
            "name": name,
            "rank": rank,
            "updated_at": created,
        }
    statuses: dict[str, Json] = {}
    for rank, (name, category, description) in enumerate(_STATUSES, start=1):
        statuses[name] = {
            "category": category,
            "created_at": created,
            "description": description,
            "id": ids.new(at),
            "name": name,
            "rank": rank,
            "updated_at": created,
        }
    incident_types: dict[str, Json] = {}
    for name, description, default in (
        ("Production Outage", "Customer-facing production incidents", True),
        ("Security", "Security and privacy incidents", False),
        ("Internal", "Internal tooling and non-customer-facing issues", False),
    ):
        incident_types[name] = {
            "create_in_triage": "optional",
            "created_at": created,
            "description": description,
            "id": ids.new(at),
            "is_default": default,
            "name": name,
            "private_incidents_only": name == "Security",
            "updated_at": created,
        }
    roles: dict[str, Json] = {}
    for name, role_type, shortform, description, instructions in _ROLES:
        roles[name] = {
            "created_at": created,
            "description": description,
            "id": ids.new(at),
            "instructions": instructions,
            "name": name,
            "role_type": role_type,
            "shortform": shortform,
            "updated_at": created,
        }
    timestamps = {
        name: {"id": ids.new(at), "name": name, "rank": rank}
        for rank, name in enumerate(_TIMESTAMPS, start=1)
    }
    return Reference(severities, statuses, incident_types, roles, timestamps)
