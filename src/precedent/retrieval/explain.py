"""Builds each result's explanation: contributions, matched terms, the linking path and the lesson.

``result_facts`` is the only store access (one batched call for the top results: their whole
nodes, services and teams with names, post-mortem chunks and follow-ups); the rest is pure
assembly, so explaining never re-queries per result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.paths import incident_path, team_path
from precedent.retrieval.results import Explanation, GraphPath
from precedent.retrieval.terms import matched_terms

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from precedent.model import IncidentFacts, Node, Visibility
    from precedent.retrieval.candidates import ServiceNeighbourhood
    from precedent.retrieval.context import CandidateFacts
    from precedent.retrieval.fusion import Fused
    from precedent.retrieval.query import PosedQuery
    from precedent.store.base import GraphStore

__all__ = ["best_path", "display_names", "explain", "result_facts"]

# Far more chunks and follow-ups than any lesson reads; only a malformed map would reach it.
_PER_NODE = 100


async def result_facts(
    store: GraphStore, ids: Sequence[str], visibilities: tuple[Visibility, ...]
) -> dict[str, IncidentFacts]:
    """Whole facts about the top results ``ids``, with their lessons, in one batched store call.

    Ranking read brief facts of every candidate; explaining a few needs their text, names,
    post-mortem chunks and follow-ups (each list in id order; ``extract_lesson`` orders its own).
    """
    if not ids:
        return {}
    return await store.incident_facts(list(ids), visibilities=visibilities, lessons=True, per_list=_PER_NODE)


def display_names(facts: Iterable[IncidentFacts]) -> dict[str, str]:
    """Service and team id -> display name, from whole facts (``result_facts``)."""
    names = {}
    for fact in facts:
        for node in (*fact.affected, *(team for teams in fact.owners.values() for team in teams)):
            names[node.id] = str(node.properties.get("name", node.id))
    return names


def best_path(
    posed: PosedQuery, fact: CandidateFacts, hood: ServiceNeighbourhood, names: Mapping[str, str]
) -> GraphPath | None:
    """The shortest path from the query to the candidate through services (or a shared team)."""
    label = str(fact.node.properties.get("reference") or fact.node.properties.get("name") or fact.node.id)
    reachable = sorted((hood.routes[s].hops, s) for s in fact.services if s in hood.routes)
    if reachable:
        return incident_path(posed.label, hood.routes[reachable[0][1]], label, names)
    via_team = sorted(s for s in fact.services if s in hood.team_services)
    if via_team:
        query_service, team = hood.team_services[via_team[0]]
        return team_path(posed.label, (query_service, team, via_team[0]), label, names)
    return None


def explain(
    posed: PosedQuery,
    fused: Fused,
    fact: CandidateFacts,
    context: tuple[ServiceNeighbourhood, Mapping[str, str], Sequence[str]],
    material: tuple[Sequence[Node], Sequence[Node]],
) -> Explanation:
    """Assemble one result's explanation.

    Args:
        posed: The query as declared.
        fused: The candidate's score and contributions.
        fact: What the map says about the candidate.
        context: The query's service neighbourhood, display names, and the query's terms.
        material: The candidate's post-mortem chunks and follow-ups.
    """
    hood, names, query_terms = context
    node = fact.node
    candidate_text = node.text or str(node.properties.get("name", ""))
    shared = sorted(names.get(s, s) for s in fact.services if s in set(posed.service_ids))
    return Explanation(
        contributions=fused.contributions,
        matched_terms=matched_terms(query_terms, candidate_text),
        shared_services=tuple(shared),
        path=best_path(posed, fact, hood, names),
        lesson=extract_lesson(node, material[0], material[1]),
    )
