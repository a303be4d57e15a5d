"""Work around an incident: follow-ups (after) and actions (during)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.ingest.mapping.records import (
    EdgeScope,
    MappedRecord,
    Raw,
    RecordBuilder,
    as_list,
    as_mapping,
    bounded,
    opt_str,
    parse_time,
    record_id_of,
    require_str,
    user_stub,
)
from precedent.model import Node, clean_properties

if TYPE_CHECKING:
    from precedent.ingest.mapping.context import MappingContext

__all__ = ["map_action", "map_follow_up"]

_FOLLOW_UP_TEXT_LIMIT = 2000


def _issue_url(raw: Raw) -> str | None:
    issue = as_mapping(raw.get("external_issue_reference")) or {}
    return opt_str(issue, "issue_permalink")


def map_follow_up(raw: Raw, ctx: MappingContext) -> MappedRecord:
    """Map a ``FollowUpV2``: status, priority and assignee (``ASSIGNED_TO``).

    Raises:
        MissingField: if ``id``, ``incident_id`` or ``title`` is missing.
    """
    follow_up_id = record_id_of(raw, "follow-up")
    incident_id = require_str(raw, "incident_id", follow_up_id)
    title = require_str(raw, "title", follow_up_id)
    description = opt_str(raw, "description")
    priority = as_mapping(raw.get("priority")) or {}
    labels = [label for label in as_list(raw.get("labels")) if isinstance(label, str)]
    out = RecordBuilder()
    out.edge(incident_id, "HAS_FOLLOW_UP", follow_up_id)
    if assignee := user_stub(raw.get("assignee")):
        out.stub(assignee)
        out.edge(follow_up_id, "ASSIGNED_TO", assignee.id)
    completed = parse_time(raw.get("completed_at"))
    node = Node(
        follow_up_id,
        "FollowUp",
        clean_properties(
            {
                "incident_id": incident_id,
                "title": title,
                "description": description,
                "status": opt_str(raw, "status"),
                "priority": opt_str(priority, "name"),
                "labels": labels or None,
                "completed_at": completed.isoformat() if completed else None,
                "external_issue_url": _issue_url(raw),
            }
        ),
        occurred_at=parse_time(raw.get("created_at")),
        visibility=ctx.visibility(incident_id),
        text=bounded([title, description], _FOLLOW_UP_TEXT_LIMIT),
    )
    return out.build(node, (EdgeScope("ASSIGNED_TO"),))


def map_action(raw: Raw, ctx: MappingContext) -> MappedRecord:
    """Map an ``ActionV2`` (a task done during the incident).

    Raises:
        MissingField: if ``id`` or ``incident_id`` is missing.
    """
    action_id = record_id_of(raw, "action")
    incident_id = require_str(raw, "incident_id", action_id)
    description = opt_str(raw, "description")
    out = RecordBuilder()
    out.edge(incident_id, "HAS_ACTION", action_id)
    if assignee := user_stub(raw.get("assignee")):
        out.stub(assignee)
        out.edge(action_id, "ASSIGNED_TO", assignee.id)
    completed = parse_time(raw.get("completed_at"))
    node = Node(
        action_id,
        "Action",
        clean_properties(
            {
                "incident_id": incident_id,
                "description": description,
                "status": opt_str(raw, "status"),
                "completed_at": completed.isoformat() if completed else None,
                "external_issue_url": _issue_url(raw),
            }
        ),
        occurred_at=parse_time(raw.get("created_at")),
        visibility=ctx.visibility(incident_id),
        text=description,
    )
    return out.build(node, (EdgeScope("ASSIGNED_TO"),))
