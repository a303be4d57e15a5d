"""Facts about every candidate that ranking needs, fetched in a few batched store calls.

For the whole candidate pool at once: the nodes with their embeddings, the services they
affect and the teams owning those, and their RELATED_TO links known before the cutoff.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.model import GraphFilter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Node
    from precedent.retrieval.query import PosedQuery
    from precedent.store.base import GraphStore

__all__ = ["CandidateFacts", "gather_facts", "admissible"]

_SERVICES = GraphFilter(labels=("Service", "Team"), rel_types=("AFFECTS", "OWNED_BY"), direction="out")


@dataclass(frozen=True)
class CandidateFacts:
    """What the map says about one candidate.

    Attributes:
        node: The Incident node, with its embedding when it has one.
        services: Ids of services it affects.
        teams: Ids of teams owning those services (or affected directly).
        related_links: Other incidents linked by RELATED_TO, started before the cutoff.
    """

    node: Node
    services: frozenset[str]
    teams: frozenset[str]
    related_links: int


def admissible(node: Node, posed: PosedQuery) -> bool:
    """Whether ``node`` may be returned: an Incident, before the cutoff, visible and not excluded."""
    if node.label != "Incident" or node.id in posed.exclude or node.visibility not in posed.visibilities:
        return False
    if posed.before is None:
        return True
    return node.occurred_at is not None and node.occurred_at < posed.before


async def gather_facts(
    store: GraphStore, posed: PosedQuery, ids: Sequence[str]
) -> tuple[dict[str, CandidateFacts], dict[str, str]]:
    """Fetch facts for the admissible incidents among ``ids`` in three store calls.

    Returns:
        Facts per admissible incident id, and display names of the services and teams seen.
    """
    nodes = [n for n in await store.get_nodes(list(ids), with_embeddings=True) if admissible(n, posed)]
    kept = [n.id for n in nodes]
    if not kept:
        return {}, {}
    related_filter = GraphFilter(
        labels=("Incident",),
        rel_types=("RELATED_TO",),
        before=posed.before,
        visibilities=posed.visibilities,
    )
    around, related = await asyncio.gather(
        store.subgraph(kept, depth=2, graph_filter=_SERVICES, max_nodes=len(kept) + 5000),
        store.subgraph(kept, depth=1, graph_filter=related_filter, max_nodes=2 * len(kept) + 1000),
    )
    labels = {n.id: n.label for n in around.nodes}
    names = {n.id: str(n.properties.get("name", n.id)) for n in around.nodes if n.label != "Incident"}
    affected: dict[str, set[str]] = {}
    owners: dict[str, set[str]] = {}
    for edge in around.edges:
        if edge.type == "AFFECTS":
            affected.setdefault(edge.source, set()).add(edge.target)
        elif edge.type == "OWNED_BY":
            owners.setdefault(edge.source, set()).add(edge.target)
    links: dict[str, set[str]] = {}
    query_id = posed.incident_id
    for edge in related.edges:
        if edge.type == "RELATED_TO" and query_id not in (edge.source, edge.target):
            links.setdefault(edge.source, set()).add(edge.target)
            links.setdefault(edge.target, set()).add(edge.source)
    facts = {}
    for node in nodes:
        targets = affected.get(node.id, set())
        services = frozenset(t for t in targets if labels.get(t) == "Service")
        teams = {t for t in targets if labels.get(t) == "Team"}
        teams.update(team for s in services for team in owners.get(s, ()))
        facts[node.id] = CandidateFacts(
            node, services, frozenset(teams), len(links.get(node.id, set()) - {node.id})
        )
    return facts, names
