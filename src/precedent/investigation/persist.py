"""Stored investigations: an ``Investigation`` node per build, linked to its incident and precedents.

The node holds the serialised result (``result_json``), when it was built, how long it took and
what the map held, and takes its incident's visibility (private also when an incident it cites
was made private while it was built), so the store's visibility filters apply to it as to the
incident. Ids sort newest first (``build.investigation_id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.ingest.visibility import any_made_private
from precedent.investigation.build import InvestigationOptions
from precedent.investigation.codec import investigation_from_json, investigation_json
from precedent.model import CLOSED_CATEGORIES, Edge, GraphFilter, Node, clean_properties, stored_time
from precedent.retrieval.query import DescribedQuery, IncidentQuery

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.results import Investigation
    from precedent.model import Viewer, Visibility
    from precedent.retrieval.query import SimilarQuery
    from precedent.store.base import GraphStore

__all__ = [
    "LABEL",
    "Made",
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
DEFAULT_SIMILAR = InvestigationOptions().similar


def _node(
    investigation: Investigation, trigger: str, visibility: Visibility, options: InvestigationOptions | None
) -> Node:
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
        # How many precedents were asked for (the result holds how many were found), to draw it again.
        "similar_asked": options.similar if options else None,
    }
    return Node(
        investigation.id,
        LABEL,
        clean_properties(props),
        occurred_at=investigation.built_at,
        visibility=visibility,
    )


async def save(
    store: GraphStore,
    investigation: Investigation,
    *,
    trigger: str = "request",
    options: InvestigationOptions | None = None,
) -> Visibility:
    """Store ``investigation``, linked ``INVESTIGATES`` its incident and ``SUGGESTS`` its precedents.

    It takes its incident's visibility, unless it cites an incident made private since it was
    built (or being made so): the hide pass may have looked for its citers before it was stored,
    so it is hidden here instead (``ingest.visibility.any_made_private``), and a ``read`` viewer
    gets one built afresh.

    Args:
        store: The knowledge map.
        investigation: A built investigation.
        trigger: What asked for it (``request``, ``cli``, ``webhook``).
        options: What it was built with, if not the defaults (``made_of`` draws it again with them).

    Returns:
        The visibility it was stored with.
    """
    visibility = await _visibility(store, investigation)
    node = _node(investigation, trigger, visibility, options)
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


@dataclass(frozen=True)
class Made:
    """What a stored build answered and when: enough to draw it again (``redraw.as_seen``).

    Attributes:
        query: Its incident, or the incident described to it (as the result says it was posed).
        built_at: When it was built.
        options: How much it gathered.
    """

    query: SimilarQuery
    built_at: datetime
    options: InvestigationOptions


def made_of(node: Node) -> Made:
    """What a stored build (an ``Investigation`` node) answered, whoever may read it."""
    built = from_node(node)
    incident = built.incident
    query: SimilarQuery = (
        IncidentQuery(incident.id)
        if incident.id
        else DescribedQuery(
            name=incident.name,
            summary=incident.summary,
            services=(*incident.service_ids, *incident.unknown_services),
            severity=incident.severity,
            incident_type=incident.incident_type,
            declared_at=incident.declared_at,
        )
    )
    options = InvestigationOptions(
        similar=int(str(node.properties.get("similar_asked", DEFAULT_SIMILAR))),
        change_window=timedelta(hours=built.change_window_hours),
    )
    return Made(query, node.occurred_at or built.built_at, options)


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
    """Where an investigation stands now, beside what it says.

    Attributes:
        superseded_by: The id of a newer build of its incident (the latest the viewer may open).
        superseded_at: When that newer one was built.
        closed_at: When its incident was closed, for the build that was current then (one built
            after the close has none: ``closed_now`` says it is over).
        status_now: Its incident's status now, when the viewer may see it; the investigation's own
            is the one at the declaration.
        closed_now: Whether its incident is over now (its status category is a closed one).
    """

    superseded_by: str | None = None
    superseded_at: datetime | None = None
    closed_at: datetime | None = None
    status_now: str | None = None
    closed_now: bool = False


async def standing(store: GraphStore, investigation: Investigation, viewer: Viewer) -> Standing:
    """Whether a newer investigation of the same incident exists, and whether its incident is closed.

    Newer means any build the viewer may open, one drawn again for them included. One built and
    not stored is never superseded, but its incident may be closed all the same: one built after
    the close was never closed itself and read as live, where the page said "(now Closed)".
    """
    incident_id = investigation.incident.id
    found = await store.get_nodes([investigation.id, *([incident_id] if incident_id else [])])
    nodes = {n.id: n for n in found}
    built = nodes.get(investigation.id)
    closed_at = stored_time(built.properties.get("closed_at")) if built and built.label == LABEL else None
    incident = nodes.get(incident_id) if incident_id else None
    now = (
        _incident_now(incident, closed_at)
        if incident and viewer.can_see(incident)
        else Standing(closed_at=closed_at)
    )
    if built is None or built.label != LABEL or not incident_id:
        return now
    latest = await _latest_node(store, incident_id, ("public", "private"))
    # A newer build hidden from the viewer opens for them drawn again (``redraw.as_seen``) when they
    # may see its incident: it, not an older one they may read, supersedes this one.
    hidden = latest is not None and not viewer.can_see(latest)
    if hidden and not (incident and viewer.can_see(incident)):
        latest = await _latest_node(store, incident_id, viewer.visibilities)
    if latest is None or latest.id >= investigation.id:
        return now
    return replace(now, superseded_by=latest.id, superseded_at=latest.occurred_at)


def _incident_now(incident: Node, closed_at: datetime | None) -> Standing:
    """Its incident's status now, and whether that is a closed one."""
    category = str(incident.properties.get("status_category", "")).lower()
    closed_now = category in CLOSED_CATEGORIES
    status = incident.properties.get("status")
    return Standing(closed_at=closed_at, status_now=str(status) if status else None, closed_now=closed_now)
