"""One pass over the map's incidents, services and follow-ups, as plain rows for the notebook tables.

Notebooks ask whole-map questions (every incident with its services, links, causes and
follow-ups), which the ordered, bounded reads of the API do not answer; these read each label and
relationship type once through the store's scans and apply the viewer's visibility to every node.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from precedent.retrieval.lessons import follow_up_summary

if TYPE_CHECKING:
    from precedent.model import Node, Viewer
    from precedent.store import GraphStore

__all__ = ["MapRows", "read_rows"]

_EDGES = ("AFFECTS", "RELATED_TO", "CAUSED_BY", "HAS_FOLLOW_UP", "OWNED_BY", "DEPENDS_ON")


@dataclass
class MapRows:
    """Rows for the incident, service and follow-up tables, as the viewer may see them."""

    incidents: list[dict[str, object]] = field(default_factory=list)
    services: list[dict[str, object]] = field(default_factory=list)
    follow_ups: list[dict[str, object]] = field(default_factory=list)


def _name(node: Node) -> str:
    return str(node.properties.get("name") or node.id)


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def read_rows(store: GraphStore, viewer: Viewer) -> MapRows:
    """Read incidents, services and follow-ups with their relationships in one pass per kind.

    Args:
        store: The map.
        viewer: Whose view: hidden incidents (and their follow-ups) are left out, and counted nowhere.

    Returns:
        Rows keyed by the column names of ``tables``.
    """
    nodes = {
        n.id: n
        async for n in store.scan_nodes(["Incident", "Service", "Team", "FollowUp"])
        if viewer.can_see(n)
    }
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    async for edge in store.scan_edges(_EDGES):
        if edge.source in nodes and (edge.target in nodes or edge.type == "CAUSED_BY"):
            out[edge.type][edge.source].append(edge.target)
    label_of = {node_id: node.label for node_id, node in nodes.items()}
    follow_ups = {n.id: (follow_up_summary(n), n) for n in nodes.values() if n.label == "FollowUp"}
    incident_of = {fu: inc for inc, fus in out["HAS_FOLLOW_UP"].items() for fu in fus}
    rows = MapRows()
    service_incidents: dict[str, int] = defaultdict(int)
    service_open: dict[str, int] = defaultdict(int)
    for node in nodes.values():
        if node.label != "Incident":
            continue
        props = node.properties
        services = [s for s in out["AFFECTS"][node.id] if label_of.get(s) == "Service"]
        own = [follow_ups[f] for f in out["HAS_FOLLOW_UP"][node.id] if f in follow_ups]
        still_open = sum(1 for summary, _ in own if summary.open)
        for service in services:
            service_incidents[service] += 1
            service_open[service] += still_open
        duration = props.get("duration_seconds")
        rows.incidents.append(
            {
                "id": node.id,
                "reference": props.get("reference"),
                "name": props.get("name"),
                "status": props.get("status"),
                "status_category": props.get("status_category"),
                "severity": props.get("severity"),
                "type": props.get("incident_type"),
                "started_at": node.occurred_at,
                "resolved_at": _time(props.get("resolved_at")),
                "duration_minutes": float(duration) / 60 if isinstance(duration, int | float) else None,
                "services": sorted(_name(nodes[s]) for s in services),
                "related": sorted(r for r in out["RELATED_TO"][node.id] if label_of.get(r) == "Incident"),
                "caused_by": sorted(out["CAUSED_BY"][node.id]),
                "follow_ups": len(own),
                "open_follow_ups": still_open,
                "visibility": node.visibility,
            }
        )
    dependants: dict[str, list[str]] = defaultdict(list)
    for source, targets in out["DEPENDS_ON"].items():
        for target in targets:
            dependants[target].append(source)
    for node in nodes.values():
        if node.label != "Service":
            continue
        rows.services.append(
            {
                "id": node.id,
                "name": _name(node),
                "owners": sorted(_name(nodes[t]) for t in out["OWNED_BY"][node.id]),
                "depends_on": sorted(_name(nodes[s]) for s in out["DEPENDS_ON"][node.id]),
                "dependants": sorted(_name(nodes[s]) for s in dependants[node.id]),
                "incidents": service_incidents[node.id],
                "open_follow_ups": service_open[node.id],
            }
        )
    for follow_up_id, (summary, node) in follow_ups.items():
        incident = nodes.get(incident_of.get(follow_up_id) or str(node.properties.get("incident_id", "")))
        services = out["AFFECTS"][incident.id] if incident else []
        rows.follow_ups.append(
            {
                "id": follow_up_id,
                "incident_id": incident.id if incident else node.properties.get("incident_id"),
                "reference": incident.properties.get("reference") if incident else None,
                "title": summary.title,
                "status": summary.status,
                "priority": summary.priority,
                "open": summary.open,
                "services": sorted(_name(nodes[s]) for s in services if label_of.get(s) == "Service"),
            }
        )
    return rows
