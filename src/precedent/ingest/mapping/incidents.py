"""Incidents, their updates and their relationships, mapped onto the knowledge map."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from precedent.ingest.mapping.lookups import incident_type_node, severity_node, status_node
from precedent.ingest.mapping.records import (
    EdgeScope,
    MappedRecord,
    MissingField,
    Raw,
    RecordBuilder,
    actor_user,
    as_list,
    as_mapping,
    bounded,
    opt_str,
    parse_time,
    record_id_of,
    require,
    require_str,
    slug,
    user_stub,
    visibility_of,
)
from precedent.model import RESERVED_PROPERTIES, Node, Property, clean_properties

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from precedent.ingest.mapping.context import MappingContext

__all__ = [
    "INCIDENT_TEXT_LIMIT",
    "PART_EDGES",
    "map_incident",
    "map_incident_parts",
    "map_incident_update",
    "map_relationships",
]

INCIDENT_TEXT_LIMIT = 2000
"""Characters of name, summary and update messages kept as an incident's text (full-text search);
the model embeds the leading part of it that it reads whole (``pipeline.embedded_texts``)."""

_INCIDENT_SCOPES = tuple(
    EdgeScope(t)
    for t in ("HAS_SEVERITY", "HAS_STATUS", "HAS_TYPE", "ROLE_HELD_BY", "REPORTED_BY", "AFFECTS", "CAUSED_BY")
)

PART_EDGES: Mapping[str, str] = MappingProxyType(
    {
        "incident_updates": "HAS_UPDATE",
        "follow_ups": "HAS_FOLLOW_UP",
        "actions": "HAS_ACTION",
        "postmortem_documents": "HAS_POSTMORTEM",
    }
)
"""The edge from an incident to each kind of part it has (by the endpoint that lists them)."""


def _required_time(raw: Raw, key: str, record_id: str) -> datetime:
    value = parse_time(require(raw, key, record_id))
    if value is None:
        raise MissingField(record_id, key, "is not an RFC 3339 timestamp with a time zone")
    return value


def _timestamps(raw: Raw) -> dict[str, datetime]:
    """Incident lifecycle timestamps keyed ``<name>_at`` (``Resolved at`` -> ``resolved_at``)."""
    found: dict[str, datetime] = {}
    for item in as_list(raw.get("incident_timestamp_values")):
        item_map = as_mapping(item) or {}
        definition = as_mapping(item_map.get("incident_timestamp")) or {}
        value = as_mapping(item_map.get("value")) or {}
        name, when = opt_str(definition, "name"), parse_time(value.get("value"))
        if name and when:
            key = slug(name)
            found[key if key.endswith("_at") else f"{key}_at"] = when
    return found


def _duration(raw: Raw, times: dict[str, datetime], created: datetime) -> int | None:
    end = times.get("resolved_at") or times.get("closed_at")
    start = times.get("impact_started_at") or times.get("reported_at") or created
    if end is not None and end >= start:
        return int((end - start).total_seconds())
    for metric in as_list(raw.get("duration_metrics")):
        metric_map = as_mapping(metric) or {}
        seconds = metric_map.get("value_seconds")
        if (
            metric_map.get("status") == "success"
            and isinstance(seconds, int)
            and not isinstance(seconds, bool)
        ):
            return seconds
    return None


def _custom_fields(
    raw: Raw, incident_id: str, ctx: MappingContext, out: RecordBuilder
) -> tuple[list[str], list[str]]:
    """Add AFFECTS/CAUSED_BY edges for catalog values; return ``Name: value`` for the others, and
    the names of the services it affects.

    The names are kept because an edge to an entry the map does not hold yet (added to
    incident.io's catalog since the last sync) is not made: the investigation of an incident
    declared on a new service had no service, no owner and no word of why.
    """
    described: list[str] = []
    affected: list[str] = []
    for entry in as_list(raw.get("custom_field_entries")):
        entry_map = as_mapping(entry) or {}
        custom_field = as_mapping(entry_map.get("custom_field")) or {}
        field_name = opt_str(custom_field, "name") or "custom field"
        values = [as_mapping(value) or {} for value in as_list(entry_map.get("values"))]
        named = [opt_str(as_mapping(v.get("value_catalog_entry")) or {}, "id") for v in values]
        for value_map in values:
            catalog_entry = as_mapping(value_map.get("value_catalog_entry"))
            target = opt_str(catalog_entry, "id") if catalog_entry else None
            if catalog_entry and target is not None:
                label = ctx.entry_label(target, custom_field, [n for n in named if n is not None])
                edge_type = "CAUSED_BY" if label == "ChangeEvent" else "AFFECTS"
                out.edge(incident_id, edge_type, target, field=field_name)
                entry_name = opt_str(catalog_entry, "name")
                # Only services: their names are said as the services an incident names, and an
                # "Affected Team" entry is no service.
                if label == "Service" and entry_name and entry_name not in affected:
                    affected.append(entry_name)
                continue
            option = as_mapping(value_map.get("value_option")) or {}
            text = opt_str(option, "value") or next(
                (v for k in ("value_text", "value_link", "value_numeric") if (v := opt_str(value_map, k))),
                None,
            )
            if text:
                described.append(f"{field_name}: {text}")
    return described, affected


def _roles(raw: Raw, incident_id: str, out: RecordBuilder) -> None:
    held: dict[str, list[str]] = {}
    for assignment in as_list(raw.get("incident_role_assignments")):
        assignment_map = as_mapping(assignment) or {}
        user = user_stub(assignment_map.get("assignee"))
        role = as_mapping(assignment_map.get("role")) or {}
        if user is None:
            continue
        out.stub(user)
        held.setdefault(user.id, []).append(opt_str(role, "name") or "role")
        if role.get("role_type") == "reporter":
            out.edge(incident_id, "REPORTED_BY", user.id)
    for user_id, roles in held.items():
        out.edge(incident_id, "ROLE_HELD_BY", user_id, role=", ".join(sorted(set(roles))))


def map_incident(raw: Raw, ctx: MappingContext, updates: Sequence[Raw] = ()) -> MappedRecord | None:
    """Map an ``IncidentV2`` (with its updates' messages for the embedded text).

    Args:
        raw: The incident.
        ctx: Resolves catalog custom fields; ``ctx.modes`` decides which modes are kept.
        updates: The incident's ``IncidentUpdateV2`` objects, in any order.

    Returns:
        The record, or ``None`` when the incident's mode is excluded (test, tutorial).

    Raises:
        MissingField: if a required field (id, name, reference, mode, visibility, created_at,
            updated_at, incident_status) is missing or unusable.
    """
    incident_id = record_id_of(raw, "incident")
    mode = require_str(raw, "mode", incident_id)
    if mode in {"test", "tutorial"} and mode not in ctx.modes:
        return None
    name = require_str(raw, "name", incident_id)
    reference = require_str(raw, "reference", incident_id)
    visibility = visibility_of(require(raw, "visibility", incident_id))
    created = _required_time(raw, "created_at", incident_id)
    updated = _required_time(raw, "updated_at", incident_id)
    status_raw = as_mapping(require(raw, "incident_status", incident_id))
    if status_raw is None:
        raise MissingField(incident_id, "incident_status", "is not an object")
    out = RecordBuilder()
    status = status_node(status_raw)
    out.stub(status)
    out.edge(incident_id, "HAS_STATUS", status.id)
    severity = incident_type = None
    if severity_raw := as_mapping(raw.get("severity")):
        severity = severity_node(severity_raw)
        out.stub(severity)
        out.edge(incident_id, "HAS_SEVERITY", severity.id)
    if type_raw := as_mapping(raw.get("incident_type")):
        incident_type = incident_type_node(type_raw)
        out.stub(incident_type)
        out.edge(incident_id, "HAS_TYPE", incident_type.id)
    if creator := actor_user(raw.get("creator")):
        out.stub(creator)
        out.edge(incident_id, "REPORTED_BY", creator.id)
    _roles(raw, incident_id, out)
    described, affected = _custom_fields(raw, incident_id, ctx, out)
    times = _timestamps(raw)
    props: dict[str, Property | None] = {
        "reference": reference,
        "name": name,
        "summary": opt_str(raw, "summary"),
        "status": status.properties.get("name"),
        "status_category": status.properties.get("category"),
        "severity": severity.properties.get("name") if severity else None,
        "incident_type": incident_type.properties.get("name") if incident_type else None,
        "mode": mode,
        "created_at": created.isoformat(),
        "updated_at": updated.isoformat(),
        "duration_seconds": _duration(raw, times, created),
        "url": opt_str(raw, "permalink"),
        # Empty on incident_created_v2 when incident.io creates the channel a moment later.
        "slack_channel_id": opt_str(raw, "slack_channel_id"),
        "custom_fields": described or None,
        "affected_entries": affected or None,
    }
    for key, when in times.items():
        props[f"ts_{key}" if key in props or key in RESERVED_PROPERTIES else key] = when.isoformat()
    if "resolved_at" not in times and "closed_at" in times:
        props["resolved_at"] = times["closed_at"].isoformat()
    messages = [opt_str(u, "message") for u in sorted(updates, key=lambda u: str(u.get("created_at", "")))]
    node = Node(
        incident_id,
        "Incident",
        clean_properties(props),
        occurred_at=times.get("reported_at") or created,
        visibility=visibility,
        text=bounded([name, opt_str(raw, "summary"), *messages], INCIDENT_TEXT_LIMIT),
    )
    return out.build(node, _INCIDENT_SCOPES)


def map_incident_update(raw: Raw, ctx: MappingContext) -> MappedRecord:
    """Map an ``IncidentUpdateV2`` (visibility follows its incident).

    Raises:
        MissingField: if ``id``, ``incident_id`` or ``created_at`` is missing.
    """
    update_id = record_id_of(raw, "incident update")
    incident_id = require_str(raw, "incident_id", update_id)
    created = _required_time(raw, "created_at", update_id)
    out = RecordBuilder()
    status = as_mapping(raw.get("new_incident_status")) or {}
    severity = as_mapping(raw.get("new_severity")) or {}
    out.edge(incident_id, "HAS_UPDATE", update_id)
    if user := actor_user(raw.get("updater")):
        out.stub(user)
        out.edge(update_id, "POSTED_BY", user.id)
    # An edge, not a property: the target may be private, and the one visibility rule hides an
    # edge to a node the viewer may not see, where a property would show its id to anyone.
    out.edge(update_id, "MERGED_INTO", opt_str(raw, "merged_into_incident_id") or "")
    message = opt_str(raw, "message")
    node = Node(
        update_id,
        "IncidentUpdate",
        clean_properties(
            {
                "incident_id": incident_id,
                "message": message,
                "new_status": opt_str(status, "name"),
                "new_severity": opt_str(severity, "name"),
            }
        ),
        occurred_at=created,
        visibility=ctx.visibility(incident_id),
        text=message,
    )
    return out.build(node, (EdgeScope("POSTED_BY"), EdgeScope("MERGED_INTO")))


def map_relationships(incident_id: str, relationships: Iterable[Raw]) -> MappedRecord:
    """Map an incident's ``IncidentRelationshipV1`` list to ``RELATED_TO`` edges it owns."""
    out = RecordBuilder()
    for relationship in relationships:
        other = as_mapping(relationship.get("incident")) or {}
        other_id = opt_str(other, "id")
        if other_id and other_id != incident_id:
            out.edge(incident_id, "RELATED_TO", other_id, kind=opt_str(relationship, "kind") or "related")
    return out.build(None, (EdgeScope("RELATED_TO"),), anchor=incident_id)


def map_incident_parts(incident_id: str, listed: Mapping[str, Iterable[str]]) -> MappedRecord:
    """The incident's parts as incident.io lists them now; those it no longer lists are deleted.

    A follow-up, update, action or post-mortem deleted in incident.io is simply absent from its
    list: nothing else says it is gone, and the map went on showing it (an open follow-up in an
    investigation's precedents) for good.

    Args:
        incident_id: The incident.
        listed: Endpoint name (a ``PART_EDGES`` key) -> the ids of the parts that list holds
            for the incident, for each list that was read. A list that could not be read (the
            key lacks its scope) is left out, and the parts the map holds from it are kept.

    Returns:
        A link-only record owning the incident's part edges; a deleted post-mortem's chunks go
        with it.
    """
    out = RecordBuilder()
    scopes: list[EdgeScope] = []
    for name, ids in listed.items():
        edge_type = PART_EDGES[name]
        owns = ("HAS_CHUNK",) if edge_type == "HAS_POSTMORTEM" else ()
        scopes.append(EdgeScope(edge_type, cascade=True, owns=owns))
        for part_id in ids:
            out.edge(incident_id, edge_type, part_id)
    return out.build(None, scopes, anchor=incident_id)
