"""Stored investigations: an ``Investigation`` node per build, linked to its incident and precedents.

The node holds the serialised result (``result_json``), when it was built, how long it took and
what the map held, and takes its incident's visibility (private also when an incident it cites
was made private while it was built), so the store's visibility filters apply to it as to the
incident. Ids sort newest first (``build.investigation_id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.ingest.visibility import any_made_private
from precedent.investigation.codec import investigation_from_json, investigation_json
from precedent.model import Edge, GraphFilter, Node, clean_properties, stored_time

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.results import Investigation
    from precedent.model import Viewer, Visibility
    from precedent.store.base import GraphStore

__all__ = [
    "LABEL",
    "Standing",
    "from_node",
    "get",
    "latest_for_incident",
    "made_of",
    "save",
    "standing",
    "stored",
]

LABEL = "Investigation"


def _node(investigation: Investigation, trigger: str, visibility: Visibility) -> Node:
    incident, state = investigation.incident, investigation.map_state
    props = {
        "incident_id": incident.id,
        "reference": incident.reference,
        "name": incident.name,
        "status": "built",
        "trigger": trigger,
        "build_ms": investigation.build_ms,
        "map_incidents": state.incidents,
        "map_changes": state.changes,
        "map_services": state.services,
        "map_last_sync": state.last_sync,
        "result_json": json.dumps(investigation_json(investigation), separators=(",", ":")),
    }
    return Node(
        investigation.id,
        LABEL,
        clean_properties(props),
        occurred_at=investigation.built_at,
        visibility=visibility,
    )


async def save(store: GraphStore, investigation: Investigation, *, trigger: str = "request") -> Visibility:
    """Store ``investigation``, linked ``INVESTIGATES`` its incident and ``SUGGESTS`` its precedents.

    It takes its incident's visibility, unless it cites an incident made private since it was
    built (or being made so): the hide pass may have looked for its citers before it was stored,
    so it is hidden here instead (``ingest.visibility.any_made_private``), and a ``read`` viewer
    gets one built afresh.

    Args:
        store: The knowledge map.
        investigation: A built investigation.
        trigger: What asked for it (``request``, ``cli``, ``webhook``).

    Returns:
        The visibility it was stored with.
    """
    visibility = await _visibility(store, investigation)
    node = _node(investigation, trigger, visibility)
    await store.upsert_nodes([node])
    edges = [
        Edge(investigation.id, "SUGGESTS", p.incident_id, {"score": p.score}) for p in investigation.similar
    ]
    if investigation.incident.id:
        edges.append(Edge(investigation.id, "INVESTIGATES", investigation.incident.id))
    await store.upsert_edges(edges)
    # Read again now that it is written: a hide pass that scanned before the write listed the
    # incident before scanning, so this read sees it (see ``any_made_private``).
    if visibility == "public" and await _visibility(store, investigation) == "private":
        visibility = "private"
        await store.upsert_nodes([replace(node, visibility=visibility)])
    return visibility


async def _visibility(store: GraphStore, investigation: Investigation) -> Visibility:
    if investigation.incident.visibility == "private":
        return "private"
    return "private" if await any_made_private(store, investigation.cited_incidents) else "public"


def from_node(node: Node) -> Investigation:
    """The investigation a stored ``Investigation`` node holds, whoever may read it."""
    return investigation_from_json(json.loads(str(node.properties["result_json"])))


async def stored(store: GraphStore, investigation_id: str) -> Node | None:
    """The stored build with that id, whoever may read it; ``None`` when there is none."""
    found = await store.get_nodes([investigation_id])
    return found[0] if found and found[0].label == LABEL else None


async def get(store: GraphStore, investigation_id: str, viewer: Viewer) -> Investigation:
    """Return a stored investigation.

    Raises:
        NotFound: if there is none with that id, or the viewer may not see it.
    """
    node = await stored(store, investigation_id)
    if node is None or not viewer.can_see(node):
        raise NotFound("investigation", investigation_id)
    return from_node(node)


def made_of(node: Node) -> tuple[str, datetime] | None:
    """The incident a stored build investigates and when it was built, whoever may read it.

    ``None`` when it is of a described incident (no incident id).
    """
    incident_id = node.properties.get("incident_id")
    return (str(incident_id), node.occurred_at) if incident_id and node.occurred_at else None


async def _latest_node(
    store: GraphStore, incident_id: str, visibilities: tuple[Visibility, ...]
) -> Node | None:
    linked = await store.neighbours(
        incident_id,
        GraphFilter(labels=(LABEL,), rel_types=("INVESTIGATES",), direction="in", visibilities=visibilities),
    )
    nodes = [
        n for e, n in linked if e.target == incident_id and n.label == LABEL and n.visibility in visibilities
    ]
    # Ids sort newest first, so the smallest id is the latest build.
    return min(nodes, key=lambda n: n.id) if nodes else None


async def latest_for_incident(store: GraphStore, incident_id: str, viewer: Viewer) -> Investigation | None:
    """Return the newest investigation of an incident if the viewer may see it, or ``None``.

    Not an older one when the newest is hidden from the viewer (it cites an incident made private
    since): that one predates what the newest was built from, so the caller builds one afresh.
    """
    node = await _latest_node(store, incident_id, ("public", "private"))
    return from_node(node) if node and viewer.can_see(node) else None


@dataclass(frozen=True)
class Standing:
    """Where a stored investigation stands now, beside what it says.

    Attributes:
        superseded_by: The id of a newer build of its incident (the latest the viewer may see).
        superseded_at: When that newer one was built.
        closed_at: When its incident was closed, for the build that was current then.
    """

    superseded_by: str | None = None
    superseded_at: datetime | None = None
    closed_at: datetime | None = None


async def standing(store: GraphStore, investigation: Investigation, viewer: Viewer) -> Standing:
    """Whether a newer investigation of the same incident exists, and whether this one was closed.

    One built and not stored stands alone: neither superseded nor closed.
    """
    found = await store.get_nodes([investigation.id])
    if not found or found[0].label != LABEL:
        return Standing()
    closed_at = stored_time(found[0].properties.get("closed_at"))
    incident_id = investigation.incident.id
    latest = await _latest_node(store, incident_id, viewer.visibilities) if incident_id else None
    if latest is None or latest.id >= investigation.id:
        return Standing(closed_at=closed_at)
    return Standing(latest.id, latest.occurred_at, closed_at)
