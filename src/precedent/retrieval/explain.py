"""Builds each result's explanation: contributions, matched terms, the linking path and the lesson.

``lesson_material`` is the only store access (one batched call for the top results); the rest is
pure assembly from facts ranking already fetched, so explaining never re-queries per result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.paths import incident_path, team_path
from precedent.retrieval.results import Explanation, GraphPath
from precedent.retrieval.terms import matched_terms

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.model import Node, Visibility
    from precedent.retrieval.candidates import ServiceNeighbourhood
    from precedent.retrieval.context import CandidateFacts
    from precedent.retrieval.fusion import Fused
    from precedent.retrieval.query import PosedQuery
    from precedent.store.base import GraphStore

__all__ = ["LessonMaterial", "best_path", "explain", "lesson_material"]

LessonMaterial = dict[str, tuple[list["Node"], list["Node"]]]
"""Incident id -> (post-mortem chunks, follow-ups)."""

# Far more chunks and follow-ups than any lesson reads; only a malformed map would reach it.
_PER_NODE = 100


async def lesson_material(
    store: GraphStore, ids: Sequence[str], visibilities: tuple[Visibility, ...]
) -> LessonMaterial:
    """Fetch the post-mortem chunks and follow-ups of ``ids`` in one batched store call.

    Chunks and follow-ups each come in id order (``extract_lesson`` orders them its own way).
    """
    material: LessonMaterial = {i: ([], []) for i in ids}
    if not ids:
        return material
    found = await store.incident_facts(
        list(material), visibilities=visibilities, lessons=True, per_list=_PER_NODE
    )
    for incident_id, facts in found.items():
        material[incident_id] = (list(facts.chunks), list(facts.follow_ups))
    return material


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
