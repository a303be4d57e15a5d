"""Small configuration objects: severities, incident statuses and types, users, schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.ingest.mapping.records import (
    EdgeScope,
    MappedRecord,
    Raw,
    RecordBuilder,
    as_list,
    as_mapping,
    opt_str,
    parse_time,
    record_id_of,
    require_str,
    user_properties,
    user_stub,
)
from precedent.model import Node, clean_properties

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.ingest.mapping.context import MappingContext

__all__ = [
    "incident_type_node",
    "map_incident_type",
    "map_schedule",
    "map_severity",
    "map_status",
    "map_user",
    "severity_node",
    "status_node",
]


def severity_node(raw: Raw) -> Node:
    """Return the ``Severity`` node of a ``SeverityV1``/``SeverityV2``."""
    severity_id = record_id_of(raw, "severity")
    rank = raw.get("rank")
    return Node(
        severity_id,
        "Severity",
        clean_properties(
            {
                "name": require_str(raw, "name", severity_id),
                "rank": rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
                "description": opt_str(raw, "description"),
            }
        ),
    )


def status_node(raw: Raw) -> Node:
    """Return the ``IncidentStatus`` node of an ``IncidentStatusV1``/``V2``."""
    status_id = record_id_of(raw, "incident status")
    rank = raw.get("rank")
    return Node(
        status_id,
        "IncidentStatus",
        clean_properties(
            {
                "name": require_str(raw, "name", status_id),
                "category": opt_str(raw, "category"),
                "rank": rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
            }
        ),
    )


def incident_type_node(raw: Raw) -> Node:
    """Return the ``IncidentType`` node of an ``IncidentTypeV1``/``V2``."""
    type_id = record_id_of(raw, "incident type")
    return Node(
        type_id,
        "IncidentType",
        clean_properties(
            {"name": require_str(raw, "name", type_id), "description": opt_str(raw, "description")}
        ),
    )


def map_severity(raw: Raw) -> MappedRecord:
    """Map one severity."""
    return MappedRecord(severity_node(raw))


def map_status(raw: Raw) -> MappedRecord:
    """Map one incident status."""
    return MappedRecord(status_node(raw))


def map_incident_type(raw: Raw) -> MappedRecord:
    """Map one incident type."""
    return MappedRecord(incident_type_node(raw))


def map_user(raw: Raw) -> MappedRecord:
    """Map one ``UserWithRolesV2`` (or any user shape) to a ``User`` node."""
    user_id = record_id_of(raw, "user")
    require_str(raw, "name", user_id)
    return MappedRecord(Node(user_id, "User", user_properties(raw)))


def _shift_start(shift: Raw) -> datetime:
    return parse_time(shift.get("start_at")) or datetime.max.replace(tzinfo=UTC)


def map_schedule(raw: Raw, ctx: MappingContext, entries: Iterable[Raw] | None = None) -> MappedRecord:
    """Map a ``ScheduleV2`` and who is on call on it.

    Args:
        raw: The schedule.
        ctx: Resolves team ids to Team node ids.
        entries: ``final`` schedule entries for the window of interest; the schedule's own
            ``current_shifts`` are used when not given.

    Returns:
        The ``Schedule`` node, ``ON_CALL`` edges (``start_at``, ``end_at``, ``layer``) and
        ``OWNED_BY`` edges to the owning teams.
    """
    schedule_id = record_id_of(raw, "schedule")
    node = Node(
        schedule_id,
        "Schedule",
        clean_properties(
            {"name": require_str(raw, "name", schedule_id), "timezone": opt_str(raw, "timezone")}
        ),
    )
    out = RecordBuilder()
    shifts = (
        list(entries)
        if entries is not None
        else [s for s in as_list(raw.get("current_shifts")) if as_mapping(s)]
    )
    # One ON_CALL edge per person: keep their earliest shift in the window.
    # By instant, not text: shifts may carry different offsets (a +14:00 one sorts after a Z one).
    for shift in sorted((s for s in shifts if isinstance(s, dict)), key=_shift_start):
        user = user_stub(shift.get("user"))
        if user is None or (schedule_id, "ON_CALL", user.id) in out.edges:
            continue
        out.stub(user)
        start, end = parse_time(shift.get("start_at")), parse_time(shift.get("end_at"))
        out.edge(
            schedule_id,
            "ON_CALL",
            user.id,
            start_at=start.isoformat() if start else None,
            end_at=end.isoformat() if end else None,
            layer=opt_str(shift, "layer_id"),
        )
    for team_id in as_list(raw.get("team_ids")):
        if isinstance(team_id, str) and team_id:
            out.edge(schedule_id, "OWNED_BY", ctx.team_entry.get(team_id, team_id))
    return out.build(node, (EdgeScope("ON_CALL"), EdgeScope("OWNED_BY")))
