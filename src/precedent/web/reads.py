"""The two reads the pages need that no shared read offered when they were written.

``hotspots`` (the services with the most incidents lately) and ``incident_times`` (when a
service's incidents started, for its chart). Both go through ``GraphStore`` and the viewer rule
only; when ``precedent.browse`` offers the same reads, the pages should use those instead.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.model import Node, Viewer
    from precedent.store import GraphStore

__all__ = ["Hotspot", "hotspots", "incident_times"]

_PER_SERVICE = 200


@dataclass(frozen=True)
class Hotspot:
    """A service and how many incidents (the viewer may see) affected it since the window began."""

    name: str
    incidents: int
    active: int


async def hotspots(store: GraphStore, viewer: Viewer, *, since: datetime, limit: int = 8) -> list[Hotspot]:
    """Services with the most incidents started at or after ``since``, most first, then by name."""
    services: list[Node] = []
    scan = store.scan_nodes(["Service"])
    async with contextlib.aclosing(scan) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            services.append(node)
    if not services:
        return []
    linked = await store.linked_recent(
        [s.id for s in services],
        label="Incident",
        edge_type="AFFECTS",
        after=since,
        per_anchor=_PER_SERVICE,
        visibilities=viewer.visibilities,
    )
    found = []
    for service in services:
        incidents = linked.get(service.id, [])
        if incidents:
            active = sum(1 for i in incidents if str(i.properties.get("status_category", "")) == "active")
            found.append(Hotspot(str(service.properties.get("name", service.id)), len(incidents), active))
    found.sort(key=lambda h: (-h.incidents, h.name))
    return found[:limit]


async def incident_times(
    store: GraphStore, service_id: str, viewer: Viewer, *, since: datetime
) -> list[datetime]:
    """When each incident on the service (that the viewer may see) started, since ``since``."""
    linked = await store.linked_recent(
        [service_id],
        label="Incident",
        edge_type="AFFECTS",
        after=since,
        per_anchor=1000,
        visibilities=viewer.visibilities,
    )
    return [n.occurred_at for n in linked.get(service_id, []) if n.occurred_at is not None]
