"""A small, realistic incident.io organisation as spec-shaped records, for the fake server.

Every record starts from the spec's own example (``shared/incidentio/examples/spec-api-responses``)
and overrides ids, names and links, so the shapes stay the spec's while the data tells a coherent
story: Acme's Payments and Platform teams, four services in a dependency chain, three incidents
with updates, an "Affected services" catalog custom field, follow-ups, a post-mortem with content,
users, and an on-call schedule with entries. ``FakeIncidentIo`` validates all of it against the
spec before serving, so a typo here fails loudly.

Ids are 26-character ULID-like strings: ``01J`` + a two-letter kind + a counter (``ulid("IN", 1)``).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.spec import SPEC_PATH

__all__ = ["EXAMPLES", "IncidentIoFixtures", "example", "iso", "small_organisation", "ulid"]

EXAMPLES = SPEC_PATH.parent / "examples" / "spec-api-responses"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Record = dict[str, Any]


def ulid(kind: str, n: int) -> str:
    """A deterministic ULID-shaped id: ``01J`` + ``kind`` (2 letters) + 21 digits."""
    assert len(kind) == 2
    return f"01J{kind}{n:021d}"


def iso(minutes: float) -> str:
    """An RFC 3339 UTC timestamp ``minutes`` after the organisation's epoch (2026-03-02 09:00Z)."""
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def example(file: str, key: str | None = None) -> Record:
    """A deep copy of a spec example: the whole response, or the first item of its ``key`` list."""
    body: Record = json.loads((EXAMPLES / file).read_text(encoding="utf-8"))
    if key is None:
        return copy.deepcopy(body)
    value = body[key]
    return copy.deepcopy(value[0] if isinstance(value, list) else value)


@dataclass
class IncidentIoFixtures:
    """Records per endpoint; the fake server wraps them in response objects and pages them."""

    incidents: list[Record] = field(default_factory=list)
    incident_updates: list[Record] = field(default_factory=list)
    incident_relationships: dict[str, list[Record]] = field(default_factory=dict)
    severities: list[Record] = field(default_factory=list)
    incident_statuses: list[Record] = field(default_factory=list)
    incident_types: list[Record] = field(default_factory=list)
    incident_roles: list[Record] = field(default_factory=list)
    incident_timestamps: list[Record] = field(default_factory=list)
    custom_fields: list[Record] = field(default_factory=list)
    custom_field_options: list[Record] = field(default_factory=list)
    follow_ups: list[Record] = field(default_factory=list)
    actions: list[Record] = field(default_factory=list)
    postmortem_documents: list[Record] = field(default_factory=list)
    postmortem_content: dict[str, str] = field(default_factory=dict)
    users: list[Record] = field(default_factory=list)
    schedules: list[Record] = field(default_factory=list)
    schedule_entries: dict[str, list[Record]] = field(default_factory=dict)
    catalog_types: list[Record] = field(default_factory=list)
    catalog_entries: list[Record] = field(default_factory=list)
    teams: list[Record] = field(default_factory=list)
    identity: Record = field(default_factory=dict)


def _user(n: int, name: str, email: str) -> Record:
    """An embedded ``UserV2``."""
    return {
        "id": ulid("US", n),
        "name": name,
        "email": email,
        "role": "responder",
        "slack_user_id": f"U0{n:07d}",
    }


USERS = [
    _user(1, "Alice Moreau", "alice@acme.example"),
    _user(2, "Bilal Khan", "bilal@acme.example"),
    _user(3, "Chen Wei", "chen@acme.example"),
    _user(4, "Dana Okafor", "dana@acme.example"),
]


def _config(fx: IncidentIoFixtures) -> None:
    for n, (name, rank, text) in enumerate(
        [
            ("Minor", 1, "Issues with **low impact**."),
            ("Major", 2, "Noticeable customer impact."),
            ("Critical", 3, "Complete outage of a core product."),
        ],
        start=1,
    ):
        fx.severities.append(
            example("GET_v1_severities.json", "severities")
            | {
                "id": ulid("SV", n),
                "name": name,
                "rank": rank,
                "description": text,
                "created_at": iso(-60 * 24 * 30),
                "updated_at": iso(-60 * 24 * 30),
            }
        )
    for n, (name, category) in enumerate(
        [
            ("Triage", "triage"),
            ("Investigating", "live"),
            ("Fixing", "live"),
            ("Monitoring", "live"),
            ("Post-incident", "learning"),
            ("Closed", "closed"),
        ],
        start=1,
    ):
        fx.incident_statuses.append(
            example("GET_v1_incident_statuses.json", "incident_statuses")
            | {
                "id": ulid("ST", n),
                "name": name,
                "category": category,
                "rank": n,
                "description": f"The incident is {name.lower()}.",
                "created_at": iso(-60 * 24 * 30),
                "updated_at": iso(-60 * 24 * 30),
            }
        )
    base_type = example("GET_v1_incident_types.json", "incident_types")
    base_type.pop("owning_team_ids", None)
    fx.incident_types += [
        base_type | {"id": ulid("TY", 1), "name": "Production Outage", "is_default": True},
        base_type
        | {
            "id": ulid("TY", 2),
            "name": "Security",
            "description": "Security incidents",
            "private_incidents_only": True,
            "create_in_triage": "optional",
        },
    ]
    role = example("GET_v2_incident_roles.json", "incident_roles")
    fx.incident_roles += [
        role | {"id": ulid("RL", 1)},
        role
        | {
            "id": ulid("RL", 2),
            "name": "Communications Lead",
            "role_type": "custom",
            "shortform": "comms",
            "description": "Keeps customers and stakeholders informed",
            "instructions": "Post status updates",
        },
    ]
    fx.incident_timestamps += [
        {"id": ulid("TS", 1), "name": "Impact started", "rank": 1},
        {"id": ulid("TS", 2), "name": "Fixed at", "rank": 2},
    ]


def _catalog(fx: IncidentIoFixtures) -> None:
    base = example("GET_v3_catalog_types.json", "catalog_types")
    for key in (
        "dynamic_resource_parameter",
        "registry_type",
        "required_integrations",
        "last_synced_at",
        "owning_team_ids",
        "estimated_count",
    ):
        base.pop(key, None)
    team_attrs = [
        {"id": ulid("CA", 1), "name": "Slack channel", "type": "String", "array": False, "mode": "api"},
        {"id": ulid("CA", 2), "name": "On-call schedule", "type": "Schedule", "array": False, "mode": "api"},
    ]
    service_attrs = [
        {"id": ulid("CA", 11), "name": "Owner", "type": 'Custom["Team"]', "array": False, "mode": "api"},
        {
            "id": ulid("CA", 12),
            "name": "Depends on",
            "type": 'Custom["Service"]',
            "array": True,
            "mode": "api",
        },
        {"id": ulid("CA", 13), "name": "Tier", "type": "String", "array": False, "mode": "api"},
    ]
    common = {
        "is_editable": False,
        "ranked": False,
        "use_name_as_identifier": True,
        "engine_resource_type": "",
        "created_at": iso(-60 * 24 * 90),
        "updated_at": iso(-60 * 24),
    }
    fx.catalog_types += [
        base
        | common
        | {
            "id": ulid("CT", 1),
            "name": "Team",
            "type_name": 'Custom["Team"]',
            "description": "Engineering teams",
            "categories": ["team"],
            "is_team_type": True,
            "icon": "users",
            "color": "blue",
            "schema": {"version": 1, "attributes": team_attrs},
        },
        base
        | common
        | {
            "id": ulid("CT", 2),
            "name": "Service",
            "type_name": 'Custom["Service"]',
            "description": "Production services",
            "categories": ["service"],
            "is_team_type": False,
            "icon": "server",
            "color": "green",
            "schema": {"version": 3, "attributes": service_attrs},
        },
    ]
    entry = example("GET_v3_catalog_entries.json", "catalog_entries")
    entry.pop("archived_at")

    def value(label: str, literal: str) -> Record:
        return {"label": label, "literal": literal}

    teams = {"Payments": (1, "#team-payments"), "Platform": (2, "#team-platform")}
    for name, (n, channel) in teams.items():
        fx.catalog_entries.append(
            entry
            | {
                "id": ulid("CE", n),
                "catalog_type_id": ulid("CT", 1),
                "name": name,
                "rank": 0,
                "external_id": f"team/{name.lower()}",
                "aliases": [name.lower()],
                "attribute_values": {
                    ulid("CA", 1): {"value": value(channel, channel)},
                    ulid("CA", 2): {"value": value(f"{name} primary", ulid("SC", n))},
                },
                "created_at": iso(-60 * 24 * 90),
                "updated_at": iso(-60 * 24),
            }
        )
    services = [  # name, owner team, depends on, tier
        ("api-gateway", "Platform", ["checkout-api"], "tier-1"),
        ("checkout-api", "Payments", ["payments-api"], "tier-1"),
        ("payments-api", "Payments", ["ledger-db"], "tier-1"),
        ("ledger-db", "Platform", [], "tier-2"),
    ]
    for n, (name, owner, deps, tier) in enumerate(services, start=11):
        fx.catalog_entries.append(
            entry
            | {
                "id": ulid("CE", n),
                "catalog_type_id": ulid("CT", 2),
                "name": name,
                "rank": 0,
                "external_id": f"service/{name}",
                "aliases": [name],
                "attribute_values": {
                    ulid("CA", 11): {"value": value(owner, ulid("CE", teams[owner][0]))},
                    ulid("CA", 12): {"array_value": [value(dep, f"service/{dep}") for dep in deps]},
                    ulid("CA", 13): {"value": value(tier, tier)},
                },
                "created_at": iso(-60 * 24 * 90),
                "updated_at": iso(-60 * 24),
            }
        )
    for name, (n, _) in teams.items():
        members = [{k: u[k] for k in ("id", "name", "email", "slack_user_id")} for u in USERS[n - 1 :: 2]]
        fx.teams.append(
            {
                "id": ulid("TM", n),
                "name": name,
                "members": members,
                "catalog_entry": {"id": ulid("CE", n), "name": name, "external_id": f"team/{name.lower()}"},
            }
        )


def _service(fx: IncidentIoFixtures, name: str) -> Record:
    entry = next(e for e in fx.catalog_entries if e["name"] == name)
    return {"id": entry["id"], "name": name, "external_id": entry["external_id"], "aliases": entry["aliases"]}


def _custom_fields(fx: IncidentIoFixtures) -> None:
    base = example("GET_v2_custom_fields.json", "custom_fields")
    for key in (
        "filter_by",
        "fixed_filter",
        "group_by_catalog_attribute_id",
        "helptext_catalog_attribute_id",
    ):
        base.pop(key)
    fx.custom_fields += [
        base
        | {
            "id": ulid("CF", 1),
            "name": "Affected services",
            "field_type": "multi_select",
            "description": "Which services are impacted",
            "catalog_type_id": ulid("CT", 2),
            "created_at": iso(-60 * 24 * 60),
            "updated_at": iso(-60 * 24 * 60),
        },
        {k: v for k, v in base.items() if k != "catalog_type_id"}
        | {
            "id": ulid("CF", 2),
            "name": "Customer impact",
            "field_type": "single_select",
            "description": "How badly customers were affected",
            "created_at": iso(-60 * 24 * 60),
            "updated_at": iso(-60 * 24 * 60),
        },
    ]
    for n, label in enumerate(["Low", "Medium", "High"], start=1):
        fx.custom_field_options.append(
            {"id": ulid("CO", n), "custom_field_id": ulid("CF", 2), "value": label, "sort_key": n * 10}
        )


def _incident(
    fx: IncidentIoFixtures,
    n: int,
    name: str,
    *,
    severity: int,
    status: int,
    start: float,
    services: list[str],
    impact: int,
    lead: int,
    summary: str,
) -> Record:
    base = example("GET_v2_incidents.json", "incidents")
    for key in ("external_issue_reference", "call_url", "postmortem_document_url", "postmortem_document_ids"):
        base.pop(key, None)
    lead_role = next(r for r in fx.incident_roles if r["role_type"] == "lead")
    cf_affected, cf_impact = fx.custom_fields
    option = fx.custom_field_options[impact - 1]
    return base | {
        "id": ulid("IN", n),
        "reference": f"INC-{n}",
        "name": name,
        "summary": summary,
        "permalink": f"https://app.incident.io/acme/incidents/{n}",
        "slack_channel_id": f"C0INC{n:05d}",
        "slack_channel_name": f"inc-{n}-{name.lower().split()[0]}",
        "slack_team_id": "T0ACME0001",
        "creator": {"user": USERS[lead - 1]},
        "severity": fx.severities[severity - 1],
        "incident_status": fx.incident_statuses[status - 1],
        "incident_type": fx.incident_types[0],
        "incident_role_assignments": [{"role": lead_role | {"required": True}, "assignee": USERS[lead - 1]}],
        "custom_field_entries": [
            {
                "custom_field": {k: cf_affected[k] for k in ("id", "name", "description", "field_type")}
                | {"catalog_type_id": cf_affected["catalog_type_id"], "options": []},
                "values": [{"value_catalog_entry": _service(fx, s)} for s in services],
            },
            {
                "custom_field": {k: cf_impact[k] for k in ("id", "name", "description", "field_type")}
                | {"options": fx.custom_field_options},
                "values": [{"value_option": option}],
            },
        ],
        "incident_timestamp_values": [
            {"incident_timestamp": fx.incident_timestamps[0], "value": {"value": iso(start - 5)}},
            {"incident_timestamp": fx.incident_timestamps[1], "value": {"value": iso(start + 90)}},
        ],
        "duration_metrics": [
            {
                "duration_metric": {"id": ulid("DM", 1), "name": "Time to fix"},
                "status": "success",
                "value_seconds": 95 * 60,
            }
        ],
        "mode": "standard",
        "visibility": "public",
        "has_debrief": False,
        "created_at": iso(start),
        "updated_at": iso(start + 120),
    }


def _incidents(fx: IncidentIoFixtures) -> None:
    fx.incidents += [
        _incident(
            fx,
            1,
            "Payments API returning 502s",
            severity=3,
            status=6,
            start=0,
            services=["payments-api", "ledger-db"],
            impact=3,
            lead=1,
            summary="Card payments failed for 40 minutes after ledger-db connection pool exhaustion.",
        ),
        _incident(
            fx,
            2,
            "Checkout latency elevated",
            severity=2,
            status=4,
            start=60 * 24 * 3,
            services=["checkout-api"],
            impact=2,
            lead=2,
            summary="p99 checkout latency above 4s; payments-api retries amplified load.",
        ),
        _incident(
            fx,
            3,
            "Gateway TLS certificate expiring",
            severity=1,
            status=2,
            start=60 * 24 * 7,
            services=["api-gateway"],
            impact=1,
            lead=3,
            summary="The public gateway certificate expires in 5 days; renewal job failed.",
        ),
    ]
    fx.incidents[0] |= {
        "postmortem_document_ids": [ulid("PM", 1)],
        "postmortem_document_url": "https://app.incident.io/acme/incidents/1/post-mortem",
    }
    base = example("GET_v2_incident_updates.json", "incident_updates")
    base.pop("merged_into_incident_id")
    steps = {
        1: [
            (2, 3, "Investigating elevated 502s from payments-api"),
            (4, 3, "Pool size raised; monitoring"),
            (6, 3, "Resolved; post-mortem scheduled"),
        ],
        2: [(2, 2, "Checkout p99 above 4s, investigating"), (4, 2, "Retry budget lowered; monitoring")],
        3: [(2, 1, "Renewal job failed on DNS challenge; investigating")],
    }
    counter = 0
    for incident in fx.incidents:
        n = int(incident["reference"].split("-")[1])
        for i, (status, severity, message) in enumerate(steps[n]):
            counter += 1
            fx.incident_updates.append(
                base
                | {
                    "id": ulid("UP", counter),
                    "incident_id": incident["id"],
                    "message": message,
                    "new_incident_status": fx.incident_statuses[status - 1],
                    "new_severity": fx.severities[severity - 1],
                    "updater": {"user": incident["creator"]["user"]},
                    "created_at": iso(_minutes(incident) + 10 + 30 * i),
                }
            )
    for a, b, rid in ((2, 1, 1), (1, 2, 2)):
        target = fx.incidents[b - 1]
        fx.incident_relationships[ulid("IN", a)] = [
            {
                "id": ulid("IR", rid),
                "incident": {"id": target["id"], "external_id": b, "name": target["name"]},
            }
        ]


def _minutes(incident: Record) -> float:
    created = datetime.fromisoformat(incident["created_at"])
    return (created - T0).total_seconds() / 60


def _aftermath(fx: IncidentIoFixtures) -> None:
    base = example("GET_v2_follow_ups.json", "follow_ups")
    base.pop("external_issue_reference")
    base.pop("completed_at")
    items = [
        (1, "Alert on ledger-db pool saturation", 1, "Platform"),
        (1, "Load-test payments-api failover", 2, "Payments"),
        (2, "Cap checkout-api retries to payments-api", 2, "Payments"),
    ]
    for n, (incident, title, user, team) in enumerate(items, start=1):
        fx.follow_ups.append(
            base
            | {
                "id": ulid("FU", n),
                "incident_id": ulid("IN", incident),
                "title": title,
                "description": title + ".",
                "assignee": USERS[user - 1],
                "creator": {"user": USERS[user - 1]},
                "assignee_team": {"id": ulid("TM", 1 if team == "Payments" else 2), "name": team},
                "labels": ["reliability"],
                "status": "outstanding",
                "created_at": iso(180 + n),
                "updated_at": iso(180 + n),
            }
        )
    action = example("GET_v2_actions.json", "actions")
    action.pop("completed_at")
    fx.actions.append(
        action
        | {
            "id": ulid("AC", 1),
            "incident_id": ulid("IN", 1),
            "assignee": USERS[0],
            "creator": {"user": USERS[0]},
            "description": "Raise ledger-db pool size",
            "status": "completed",
            "created_at": iso(20),
            "updated_at": iso(40),
        }
    )
    doc = example("GET_v1_postmortem_documents.json", "postmortem_documents")
    fx.postmortem_documents.append(
        doc
        | {
            "id": ulid("PM", 1),
            "incident_id": ulid("IN", 1),
            "title": "INC-1: Payments API returning 502s",
            "status": "completed",
            "type": "in_app",
            "exported_urls": [],
            "document_url": "https://app.incident.io/acme/incidents/1/post-mortem",
            "editors": [USERS[0] | {"role": "viewer"}],
            "created_at": iso(60 * 26),
            "updated_at": iso(60 * 30),
        }
    )
    fx.postmortem_content[ulid("PM", 1)] = (
        "# INC-1: Payments API returning 502s\n\n## Summary\n\nledger-db ran out of connections after a "
        "deploy doubled payments-api replicas; card payments failed for 40 minutes.\n\n## Timeline\n\n"
        "### 2026-03-02 (UTC)\n\n* [09:00] **Alert fired** on payments-api 5xx rate\n"
        "* [09:10] **Incident declared** by Alice Moreau\n* [09:40] Pool size raised on ledger-db\n\n"
        "## Follow-ups\n\n* **Alert on ledger-db pool saturation** - Assignee: Alice Moreau\n"
    )


def _people(fx: IncidentIoFixtures) -> None:
    base = example("GET_v2_users.json", "users")
    for user in USERS:
        fx.users.append(base | user | {"role": "responder", "custom_roles": [], "is_active": True})
    schedule = example("GET_v2_schedules.json", "schedules")
    entry = schedule["current_shifts"][0]
    rotation = schedule["config"]["rotations"][0]
    for n, team in ((1, "Payments"), (2, "Platform")):
        members = USERS[n - 1 :: 2]
        shifts = [
            entry
            | {
                "entry_id": ulid("EN", 10 * n + i),
                "fingerprint": ulid("FP", 10 * n + i),
                "rotation_id": ulid("RO", n),
                "layer_id": ulid("LY", n),
                "user": members[i % 2],
                "start_at": iso(60 * 24 * (i - 1)),
                "end_at": iso(60 * 24 * i),
            }
            for i in range(8)
        ]
        fx.schedules.append(
            schedule
            | {
                "id": ulid("SC", n),
                "name": f"{team} primary",
                "team_ids": [ulid("TM", n)],
                "permalink": f"https://app.incident.io/acme/on-call/schedules/{ulid('SC', n)}",
                "config": {
                    "rotations": [
                        rotation
                        | {
                            "id": ulid("RO", n),
                            "name": f"{team} weekly",
                            "layers": [{"id": ulid("LY", n), "name": "Primary"}],
                            "users": members,
                            "effective_from": iso(-60 * 24 * 30),
                            "handover_start_at": iso(-60 * 24 * 30),
                        }
                    ]
                },
                "current_shifts": shifts[1:2],
                "next_shifts": shifts[2:3],
                "created_at": iso(-60 * 24 * 60),
                "updated_at": iso(-60 * 24),
            }
        )
        fx.schedule_entries[ulid("SC", n)] = shifts
    fx.identity = example("GET_v1_identity.json", "identity") | {"name": "precedent-sync"}


def small_organisation() -> IncidentIoFixtures:
    """Acme's incident.io: 2 teams, 4 services, 3 incidents with updates, a post-mortem, on-call."""
    fx = IncidentIoFixtures()
    _config(fx)
    _catalog(fx)
    _custom_fields(fx)
    _incidents(fx)
    _aftermath(fx)
    _people(fx)
    return fx
