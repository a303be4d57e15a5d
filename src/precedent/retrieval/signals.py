"""Turns raw evidence about each candidate into ``Signals`` (pure: no store, no model).

Kept apart from ``fusion`` so the normalisation rules there stay small and generic, while this
module knows what the evidence of a similar-incident query looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from precedent.retrieval.fusion import (
    Signals,
    dependency_value,
    max_normalise,
    overlap,
    rank_values,
    recency_value,
    recurrence_value,
    same_value,
    semantic_value,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from precedent.model import Vector
    from precedent.retrieval.candidates import GraphHits, ServiceNeighbourhood
    from precedent.retrieval.context import CandidateFacts
    from precedent.retrieval.query import PosedQuery
    from precedent.retrieval.weights import Weights

__all__ = ["Evidence", "measure", "nearest_hops"]

_DAY = 86400.0


@dataclass(frozen=True)
class Evidence:
    """Everything the generators found for one query.

    Attributes:
        vector: The query's embedding (``None`` when it has no text).
        vector_hits: Incident id -> cosine from k-NN over incident embeddings.
        part_hits: Incident id -> best cosine of its updates / post-mortem chunks.
        lexical_hits: Incident id -> BM25 score.
        graph: Incidents found through services, with per-service counts.
        hood: The query's service neighbourhood.
    """

    vector: Vector | None
    vector_hits: Mapping[str, float]
    part_hits: Mapping[str, float]
    lexical_hits: Mapping[str, float]
    graph: GraphHits
    hood: ServiceNeighbourhood


def nearest_hops(services: frozenset[str], hood: ServiceNeighbourhood) -> int | None:
    """Fewest DEPENDS_ON hops from a query service to one of ``services`` (``None``: unreachable)."""
    hops = [hood.routes[s].hops for s in services if s in hood.routes]
    return min(hops) if hops else None


def _cosine(facts: CandidateFacts, evidence: Evidence) -> float:
    known = [evidence.vector_hits.get(facts.node.id, -1.0), evidence.part_hits.get(facts.node.id, -1.0)]
    embedding = facts.node.embedding
    # Graph-only candidates have no k-NN score; the exact cosine makes them comparable.
    if facts.cosine is not None:
        known.append(facts.cosine)
    elif evidence.vector is not None and embedding is not None and embedding.shape == evidence.vector.shape:
        known.append(float(np.dot(evidence.vector, embedding)))
    return max(known)


def measure(
    posed: PosedQuery,
    evidence: Evidence,
    facts: Mapping[str, CandidateFacts],
    weights: Weights,
    now: datetime,
) -> dict[str, Signals]:
    """Compute every candidate's signal values.

    Args:
        posed: The query as declared.
        evidence: What the generators found.
        facts: Facts per admissible candidate.
        weights: Supplies the signal shapes (floor, half-life, hop decay).
        now: The reference time for recency when the query has no cutoff.
    """
    reference_time = posed.before or now
    bm25 = {i: s for i, s in evidence.lexical_hits.items() if i in facts}
    # Both rank orders share one constant, scaled to the candidate pool (``rank_values``).
    lexical, lexical_ranks = max_normalise(bm25), rank_values(bm25, len(facts))
    cosines = {incident_id: _cosine(fact, evidence) for incident_id, fact in facts.items()}
    # A query without text has no semantic order: ranking every candidate by a cosine of -1 would
    # reward ids, not meaning.
    semantic_ranks = rank_values(cosines, len(facts)) if evidence.vector is not None else {}
    by_services = _ServiceSignals(posed, evidence, weights)
    hood_teams = evidence.hood.teams
    floor, half_life = weights.semantic_floor, weights.half_life_days
    signals = {}
    for incident_id, fact in facts.items():
        node = fact.node
        started = node.occurred_at
        same_service, dependency_path, shares_service, repeats = by_services.of(fact.services)
        properties = node.properties
        signals[incident_id] = Signals(
            semantic=semantic_value(cosines[incident_id], floor),
            lexical=lexical.get(incident_id, 0.0),
            same_service=same_service,
            dependency_path=dependency_path,
            same_team=1.0 if fact.teams & hood_teams else 0.0,
            same_type=same_value(posed.incident_type, _prop(properties, "incident_type")),
            same_severity=same_value(posed.severity, _prop(properties, "severity")),
            recency=0.0
            if started is None
            else recency_value((reference_time - started).total_seconds() / _DAY, half_life),
            # The candidate itself is one of the incidents counted on its service.
            recurrence=recurrence_value(fact.related_links, max(0, repeats - 1)),
            lexical_rank=lexical_ranks.get(incident_id, 0.0),
            semantic_rank=semantic_ranks.get(incident_id, 0.0),
            shares_service=shares_service,
        )
    return signals


class _ServiceSignals:
    """The signals that depend only on a candidate's services, worked out once per set of them.

    A few hundred candidates name a few dozen services between them (a busy service's incidents
    are most of a pool), so most candidates share their set with an earlier one.
    """

    def __init__(self, posed: PosedQuery, evidence: Evidence, weights: Weights) -> None:
        self._query = frozenset(posed.service_ids)
        self._evidence = evidence
        self._weights = weights
        self._known: dict[frozenset[str], tuple[float, float, float, int]] = {}

    def of(self, services: frozenset[str]) -> tuple[float, float, float, int]:
        """``same_service``, ``dependency_path``, ``shares_service`` and incidents seen on the busiest."""
        found = self._known.get(services)
        if found is None:
            evidence, weights = self._evidence, self._weights
            hops = nearest_hops(services, evidence.hood)
            found = self._known[services] = (
                overlap(self._query, services),
                dependency_value(hops, weights.hop_decay, weights.max_hops),
                1.0 if self._query & services else 0.0,
                max((evidence.graph.per_service.get(s, 0) for s in services), default=0),
            )
        return found


def _prop(properties: Mapping[str, object], key: str) -> str | None:
    value = properties.get(key)
    return str(value) if value is not None else None
