"""A small, coherent incident.io organisation as API-shaped objects, and an export writer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

T0 = "2026-03-01T10:00:00Z"
T1 = "2026-03-01T11:30:00Z"


def user(uid: str, name: str) -> dict[str, Any]:
    return {"id": uid, "name": name, "email": f"{uid}@example.com", "role": "responder"}


def status(sid: str, name: str, category: str, rank: int) -> dict[str, Any]:
    return {
        "id": sid,
        "name": name,
        "category": category,
        "rank": rank,
        "description": "",
        "created_at": T0,
        "updated_at": T0,
    }


def severity(sid: str, name: str, rank: int) -> dict[str, Any]:
    return {
        "id": sid,
        "name": name,
        "rank": rank,
        "description": f"{name} impact",
        "created_at": T0,
        "updated_at": T0,
    }


SEVERITIES = [severity("sev-critical", "Critical", 3), severity("sev-minor", "Minor", 1)]
STATUSES = [
    status("st-investigating", "Investigating", "live", 1),
    status("st-closed", "Closed", "closed", 4),
]
TYPES = [
    {
        "id": "type-outage",
        "name": "Outage",
        "description": "Customer facing",
        "created_at": T0,
        "updated_at": T0,
        "is_default": True,
        "private_incidents_only": False,
        "create_in_triage": "optional",
    }
]
USERS = [user("u-alice", "Alice"), user("u-bob", "Bob")]
CUSTOM_FIELDS = [
    {
        "id": "cf-services",
        "name": "Affected services",
        "field_type": "multi_select",
        "catalog_type_id": "ct-service",
        "description": "",
        "created_at": T0,
        "updated_at": T0,
    },
    {
        "id": "cf-change",
        "name": "Suspected change",
        "field_type": "single_select",
        "catalog_type_id": "ct-deploy",
        "description": "",
        "created_at": T0,
        "updated_at": T0,
    },
]


def attribute(aid: str, name: str, type_: str, array: bool = False) -> dict[str, Any]:
    return {"id": aid, "name": name, "type": type_, "array": array, "mode": "api"}


def catalog_type(
    tid: str, name: str, type_name: str, attributes: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "id": tid,
        "name": name,
        "type_name": type_name,
        "description": name,
        "categories": [],
        "schema": {"version": 1, "attributes": attributes},
        "annotations": {},
        "color": "blue",
        "icon": "box",
        "created_at": T0,
        "updated_at": T0,
        "is_editable": True,
        "ranked": False,
        "engine_resource_type": f"CatalogEntry[{type_name}]",
        "use_name_as_identifier": False,
        **extra,
    }


CATALOG_TYPES = [
    catalog_type(
        "ct-service",
        "Service",
        'Custom["Service"]',
        [
            attribute("a-owner", "Owner", 'Custom["Team"]'),
            attribute("a-deps", "Depends on", 'Custom["Service"]', array=True),
            attribute("a-tier", "Tier", "String"),
        ],
        categories=["service"],
    ),
    catalog_type("ct-team", "Team", 'Custom["Team"]', [], is_team_type=True, categories=["team"]),
    catalog_type(
        "ct-deploy",
        "Deployment",
        'Custom["Deployment"]',
        [
            attribute("a-svc", "Service", 'Custom["Service"]'),
            attribute("a-version", "Version", "String"),
            attribute("a-at", "Deployed at", "String"),
        ],
    ),
]


def entry(
    eid: str, type_id: str, name: str, attrs: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": eid,
        "catalog_type_id": type_id,
        "name": name,
        "aliases": [],
        "rank": 0,
        "attribute_values": attrs or {},
        "created_at": T0,
        "updated_at": T0,
        **extra,
    }


def lit(literal: str, label: str = "") -> dict[str, Any]:
    return {"value": {"literal": literal, "label": label or literal}}


CATALOG_ENTRIES = {
    "ct-service": [
        entry(
            "svc-payments",
            "ct-service",
            "payments-api",
            {
                "a-owner": lit("payments-team"),
                "a-deps": {"array_value": [{"literal": "db", "label": "database"}]},
                "a-tier": lit("1"),
            },
        ),
        entry("svc-db", "ct-service", "database", aliases=["db"]),
        entry("svc-legacy", "ct-service", "legacy-billing", archived_at=T0),
    ],
    "ct-team": [entry("team-payments", "ct-team", "Payments", external_id="payments-team")],
    "ct-deploy": [
        entry(
            "deploy-42",
            "ct-deploy",
            "payments-api deploy 42",
            {"a-svc": lit("svc-payments"), "a-version": lit("v1.2.3"), "a-at": lit(T0)},
        )
    ],
}
TEAMS = [
    {
        "id": "T-payments",
        "name": "Payments",
        "catalog_entry": {"id": "team-payments", "name": "Payments"},
        "members": [{"id": "u-alice", "name": "Alice"}],
    }
]
SCHEDULES = [
    {
        "id": "sch-payments",
        "name": "Payments primary",
        "timezone": "Europe/London",
        "team_ids": ["T-payments"],
        "created_at": T0,
        "updated_at": T0,
        "annotations": {},
    }
]
SCHEDULE_ENTRIES = {
    "sch-payments": {
        "schedule_entries": {
            "scheduled": [],
            "overrides": [],
            "final": [
                {
                    "start_at": T0,
                    "end_at": "2026-03-08T10:00:00Z",
                    "user": user("u-alice", "Alice"),
                    "layer_id": "L1",
                }
            ],
        }
    }
}


def cf_entry(field_id: str, name: str, *entry_ids: str) -> dict[str, Any]:
    return {
        "custom_field": {
            "id": field_id,
            "name": name,
            "field_type": "multi_select",
            "description": "",
            "options": [],
        },
        "values": [{"value_catalog_entry": {"id": e, "name": e}} for e in entry_ids],
    }


def incident(iid: str, ref: int, name: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": iid,
        "reference": f"INC-{ref}",
        "name": name,
        "summary": f"{name}: customers saw errors",
        "mode": "standard",
        "visibility": "public",
        "created_at": T0,
        "updated_at": T1,
        "incident_status": STATUSES[1],
        "severity": SEVERITIES[0],
        "incident_type": TYPES[0],
        "creator": {"user": user("u-bob", "Bob")},
        "slack_channel_id": "C1",
        "slack_team_id": "T1",
        "incident_role_assignments": [
            {
                "role": {
                    "id": "role-lead",
                    "name": "Incident Lead",
                    "role_type": "lead",
                    "description": "",
                    "instructions": "",
                    "shortform": "lead",
                    "created_at": T0,
                    "updated_at": T0,
                },
                "assignee": user("u-alice", "Alice"),
            }
        ],
        "custom_field_entries": [],
        "incident_timestamp_values": [
            {
                "incident_timestamp": {"id": "ts-impact", "name": "Impact started", "rank": 1},
                "value": {"value": T0},
            },
            {
                "incident_timestamp": {"id": "ts-resolved", "name": "Resolved at", "rank": 2},
                "value": {"value": T1},
            },
        ],
        "permalink": f"https://app.incident.io/incidents/{ref}",
    }
    base.update(extra)
    return base


INCIDENTS = [
    incident(
        "inc-1",
        1,
        "Payments API returning 500s",
        custom_field_entries=[
            cf_entry("cf-services", "Affected services", "svc-payments"),
            cf_entry("cf-change", "Suspected change", "deploy-42"),
        ],
    ),
    incident(
        "inc-2",
        2,
        "Database connection pool exhausted",
        visibility="private",
        severity=SEVERITIES[1],
        custom_field_entries=[cf_entry("cf-services", "Affected services", "svc-db")],
    ),
    incident("inc-3", 3, "Testing the pager", mode="test"),
]
UPDATES = [
    {
        "id": "upd-1",
        "incident_id": "inc-1",
        "created_at": T0,
        "message": "Rolling back deploy 42",
        "new_incident_status": STATUSES[0],
        "updater": {"user": user("u-alice", "Alice")},
    },
    {
        "id": "upd-2",
        "incident_id": "inc-1",
        "created_at": T1,
        "message": "Error rate back to normal",
        "new_incident_status": STATUSES[1],
        "updater": {"user": user("u-alice", "Alice")},
    },
    {
        "id": "upd-3",
        "incident_id": "inc-2",
        "created_at": T0,
        "message": "Raised pool size",
        "new_incident_status": STATUSES[1],
        "updater": {"user": user("u-bob", "Bob")},
    },
    {
        "id": "upd-4",
        "incident_id": "inc-3",
        "created_at": T0,
        "message": "test",
        "new_incident_status": STATUSES[1],
        "updater": {"user": user("u-bob", "Bob")},
    },
]
RELATIONSHIPS = {
    "inc-1": {
        "incident_relationships": [
            {
                "id": "rel-1",
                "incident": {"id": "inc-2", "external_id": 2, "name": "Database connection pool exhausted"},
            }
        ]
    }
}
POSTMORTEMS = [
    {
        "id": "pm-1",
        "incident_id": "inc-1",
        "title": "INC-1 post-mortem",
        "status": "completed",
        "type": "in_app",
        "document_url": "https://app.incident.io/pm/1",
        "editors": [],
        "exported_urls": [],
        "created_at": T1,
        "updated_at": T1,
    }
]
MARKDOWN = (
    "# Post-mortem\n\n## Summary\n\nDeploy 42 broke payments.\n\n## Timeline\n\n* 10:00 alert\n\n"
    "## Lessons\n\n" + "We should canary deploys. " * 100
)
FOLLOW_UPS = [
    {
        "id": "fu-1",
        "incident_id": "inc-1",
        "title": "Add canary stage",
        "description": "Canary every deploy",
        "status": "outstanding",
        "labels": [],
        "priority": {"id": "p1", "name": "High", "rank": 1},
        "assignee": user("u-alice", "Alice"),
        "creator": {"user": user("u-bob", "Bob")},
        "created_at": T1,
        "updated_at": T1,
    },
    {
        "id": "fu-2",
        "incident_id": "inc-2",
        "title": "Alert on pool usage",
        "status": "completed",
        "labels": [],
        "creator": {},
        "created_at": T1,
        "updated_at": T1,
    },
]
ACTIONS = [
    {
        "id": "act-1",
        "incident_id": "inc-1",
        "description": "Roll back",
        "status": "completed",
        "assignee": user("u-bob", "Bob"),
        "creator": {},
        "created_at": T0,
        "updated_at": T0,
    }
]


def write_export(directory: Path) -> Path:
    """Write the organisation as an export directory (docs/export-format.md)."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {
        "v1_severities.json": {"severities": SEVERITIES},
        "v1_incident_statuses.json": {"incident_statuses": STATUSES},
        "v1_incident_types.json": {"incident_types": TYPES},
        "v2_custom_fields.json": {"custom_fields": CUSTOM_FIELDS},
        "v2_users.json": {"users": USERS, "pagination_meta": {"page_size": 25}},
        "v3_catalog_types.json": {"catalog_types": CATALOG_TYPES},
        "v3_catalog_entries.json": [
            {
                "catalog_entries": entries,
                "catalog_type": next(t for t in CATALOG_TYPES if t["id"] == tid),
                "pagination_meta": {"page_size": 250},
            }
            for tid, entries in CATALOG_ENTRIES.items()
        ],
        "v3_teams.json": {"teams": TEAMS, "pagination_meta": {"page_size": 25}},
        "v2_schedules.json": {"schedules": SCHEDULES},
        "v2_schedule_entries.json": SCHEDULE_ENTRIES,
        "v2_incidents.json": {"incidents": INCIDENTS},
        "v2_incident_updates.json": {"incident_updates": UPDATES},
        "v1_incident_relationships.json": RELATIONSHIPS,
        "v1_postmortem_documents.json": {
            "postmortem_documents": POSTMORTEMS,
            "pagination_meta": {"page_size": 25},
        },
        "v1_postmortem_documents_content.json": {"pm-1": {"markdown": MARKDOWN}},
        "v2_follow_ups.json": {"follow_ups": FOLLOW_UPS},
        "v2_actions.json": {"actions": ACTIONS},
    }
    for name, body in files.items():
        (directory / name).write_text(json.dumps(body, indent=1), encoding="utf-8")
    return directory
