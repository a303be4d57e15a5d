"""One incident with its parts: updates, post-mortem (as a lesson), follow-ups, affected services and teams.

One ``subgraph`` call around the incident, filtered to its parts and to what the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.model import GraphFilter
from precedent.retrieval.lessons import extract_lesson, said_in_updates, with_updates

if TYPE_CHECKING:
    from precedent.model import Node, Viewer
    from precedent.retrieval.catalog import Catalog
    from precedent.retrieval.results import Lesson
    from precedent.store.base import GraphStore

__all__ = ["IncidentDetail", "incident_detail"]

_PARTS = ("IncidentUpdate", "Postmortem", "PostmortemChunk", "FollowUp", "Service", "Team")
_PART_EDGES = ("HAS_UPDATE", "HAS_POSTMORTEM", "HAS_CHUNK", "HAS_FOLLOW_UP", "AFFECTS", "OWNED_BY")
_MAX_PARTS = 2000


@dataclass(frozen=True)
class IncidentDetail:
    """An incident and its parts.

    Attributes:
        incident: The Incident node.
        updates: Its status updates, oldest first.
        postmortems: Its post-mortem documents.
        lesson: What its post-mortem (else its updates) and follow-ups teach (root cause,
            resolution, follow-ups; ``lessons.with_updates``).
        follow_ups: Its FollowUp nodes, by title.
        services: The services it affected, by name.
        teams: The teams it affected and those owning a service it affected, by name: whom a
            responder reaches for.
    """

    incident: Node
    updates: tuple[Node, ...]
    postmortems: tuple[Node, ...]
    lesson: Lesson
    follow_ups: tuple[Node, ...]
    services: tuple[Node, ...]
    teams: tuple[Node, ...]


def _by_label(nodes: list[Node], label: str) -> list[Node]:
    return [n for n in nodes if n.label == label]


def _name(node: Node) -> str:
    return str(node.properties.get("name") or node.properties.get("title") or node.id).casefold()


async def incident_detail(store: GraphStore, catalog: Catalog, key: str, viewer: Viewer) -> IncidentDetail:
    """Return the incident ``key`` (id or reference) with its parts the viewer may see.

    Raises:
        NotFound: if no incident has that id or reference, or the viewer may not see it.
    """
    incident = await catalog.incident(key, viewer)
    sub = await store.subgraph(
        [incident.id],
        depth=2,
        graph_filter=GraphFilter(labels=_PARTS, rel_types=_PART_EDGES, visibilities=viewer.visibilities),
        max_nodes=_MAX_PARTS,
    )
    # Depth 2 reaches post-mortem chunks; keep only parts linked to this incident or its post-mortems.
    parts = [n for n in sub.nodes if n.id != incident.id]
    direct = {e.target for e in sub.edges if e.source == incident.id}
    postmortems = [n for n in _by_label(parts, "Postmortem") if n.id in direct]
    owners = {incident.id} | {p.id for p in postmortems}
    linked = {e.target for e in sub.edges if e.source in owners}
    chunks = [n for n in _by_label(parts, "PostmortemChunk") if n.id in linked]
    follow_ups = sorted((n for n in _by_label(parts, "FollowUp") if n.id in direct), key=_name)
    updates = sorted(
        (n for n in _by_label(parts, "IncidentUpdate") if n.id in direct),
        key=lambda n: (n.occurred_at.isoformat() if n.occurred_at else "", n.id),
    )
    services = sorted((n for n in _by_label(parts, "Service") if n.id in direct), key=_name)
    owning = {e.target for e in sub.edges if e.type == "OWNED_BY" and e.source in {s.id for s in services}}
    teams = sorted((n for n in _by_label(parts, "Team") if n.id in direct | owning), key=_name)
    return IncidentDetail(
        incident=incident,
        updates=tuple(updates),
        postmortems=tuple(postmortems),
        lesson=with_updates(
            extract_lesson(incident, chunks, follow_ups),
            said_in_updates(incident, updates, [str(s.properties.get("name", "")) for s in services]),
        ),
        follow_ups=tuple(follow_ups),
        services=tuple(services),
        teams=tuple(teams),
    )
