"""Facts about every candidate that ranking needs, fetched in a few batched store calls.

For the whole candidate pool at once: the nodes, their cosine to the query, the services they
affect and the teams owning those, and their RELATED_TO links known before the cutoff.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.model import GraphFilter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Node, Vector
    from precedent.retrieval.query import PosedQuery
    from precedent.store.base import GraphStore

__all__ = ["CandidateFacts", "gather_facts", "admissible"]

_AFFECTED = GraphFilter(labels=("Service", "Team"), rel_types=("AFFECTS",), direction="out")
_OWNERS = GraphFilter(labels=("Team",), rel_types=("OWNED_BY",), direction="out")
# An incident affects a handful of services and has a few related incidents, a service a team or
# two: the cap only guards against a malformed map, it never cuts a real one.
_PER_NODE = 200


@dataclass(frozen=True)
class CandidateFacts:
    """What the map says about one candidate.

    Attributes:
        node: The Incident node (without its embedding; ``cosine`` is what ranking needs of it).
        services: Ids of services it affects.
        teams: Ids of teams owning those services (or affected directly).
        related_links: Other incidents linked by RELATED_TO, started before the cutoff.
        cosine: Cosine of the query's embedding with the incident's, when both exist.
    """

    node: Node
    services: frozenset[str]
    teams: frozenset[str]
    related_links: int
    cosine: float | None = None


def admissible(node: Node, posed: PosedQuery) -> bool:
    """Whether ``node`` may be returned: an Incident, before the cutoff, visible and not excluded."""
    if node.label != "Incident" or node.id in posed.exclude or node.visibility not in posed.visibilities:
        return False
    if posed.before is None:
        return True
    return node.occurred_at is not None and node.occurred_at < posed.before


async def _cosines(store: GraphStore, vector: Vector | None, ids: Sequence[str]) -> dict[str, float]:
    return await store.similarities(vector, ids) if vector is not None else {}


async def gather_facts(
    store: GraphStore, posed: PosedQuery, ids: Sequence[str], vector: Vector | None = None
) -> tuple[dict[str, CandidateFacts], dict[str, str]]:
    """Fetch facts for the admissible incidents among ``ids`` in five store calls (two round trips).

    Args:
        store: The map.
        posed: The query (cutoff, visibility, exclusions).
        ids: The candidate pool.
        vector: The query's embedding, to score every candidate's own embedding in the store.

    Returns:
        Facts per admissible incident id, and display names of the services and teams seen.
    """
    if not ids:
        return {}, {}
    related_filter = GraphFilter(
        labels=("Incident",),
        rel_types=("RELATED_TO",),
        before=posed.before,
        visibilities=posed.visibilities,
    )
    # All at once: asking about a few inadmissible ids costs less than a round trip.
    found, affects, related, cosines = await asyncio.gather(
        store.get_nodes(list(ids)),
        store.neighbours_of(ids, _AFFECTED, per_node=_PER_NODE),
        store.neighbours_of(ids, related_filter, per_node=_PER_NODE),
        _cosines(store, vector, ids),
    )
    nodes = [n for n in found if admissible(n, posed)]
    if not nodes:
        return {}, {}
    affects = {n.id: affects[n.id] for n in nodes}
    labels = {other.id: other.label for pairs in affects.values() for _, other in pairs}
    names = {
        other.id: str(other.properties.get("name", other.id))
        for pairs in affects.values()
        for _, other in pairs
    }
    seen_services = sorted(node_id for node_id, label in labels.items() if label == "Service")
    owned = await store.neighbours_of(seen_services, _OWNERS, per_node=_PER_NODE)
    owners: dict[str, set[str]] = {}
    for service, pairs in owned.items():
        for _, team in pairs:
            owners.setdefault(service, set()).add(team.id)
            names[team.id] = str(team.properties.get("name", team.id))
    affected = {node_id: {other.id for _, other in pairs} for node_id, pairs in affects.items()}
    links: dict[str, set[str]] = {}
    query_id = posed.incident_id
    for node in nodes:
        # Only from admissible ends: the filter vouches for the far end, not for the near one.
        for edge, _ in related[node.id]:
            if query_id not in (edge.source, edge.target):
                links.setdefault(edge.source, set()).add(edge.target)
                links.setdefault(edge.target, set()).add(edge.source)
    facts = {}
    for node in nodes:
        targets = affected.get(node.id, set())
        services = frozenset(t for t in targets if labels.get(t) == "Service")
        teams = {t for t in targets if labels.get(t) == "Team"}
        teams.update(team for s in services for team in owners.get(s, ()))
        facts[node.id] = CandidateFacts(
            node, services, frozenset(teams), len(links.get(node.id, set()) - {node.id}), cosines.get(node.id)
        )
    return facts, names
