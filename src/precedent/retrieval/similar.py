"""Similar past incidents: pose the query, generate candidates, fuse, explain the top results.

``SimilarIncidentFinder`` holds the store, the embedder and the catalog for as long as the
caller likes (one per process for ``--batch`` and the API), so the model and the lookups load once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.retrieval.candidates import (
    Limits,
    graph_hits,
    lexical_hits,
    semantic_hits,
    service_neighbourhood,
)
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.context import gather_facts
from precedent.retrieval.explain import explain, lesson_material
from precedent.retrieval.fusion import fuse
from precedent.retrieval.posing import pose
from precedent.retrieval.query import PosedQuery, SimilarOptions, SimilarQuery
from precedent.retrieval.results import SimilarIncident, SimilarResults
from precedent.retrieval.signals import Evidence, measure
from precedent.retrieval.terms import terms
from precedent.retrieval.weights import DEFAULT_WEIGHTS, Weights

if TYPE_CHECKING:
    from precedent.embedding.base import Embedder
    from precedent.model import Vector
    from precedent.retrieval.candidates import GraphHits, ServiceNeighbourhood
    from precedent.store.base import GraphStore

__all__ = ["SimilarIncidentFinder"]


class SimilarIncidentFinder:
    """Finds and explains past incidents similar to a query.

    Args:
        store: The knowledge map.
        embedder: The model the map's embeddings were made with.
        weights: Ranking weights (``DEFAULT_WEIGHTS`` unless experimenting).
        limits: Per-query caps on candidates.
    """

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        *,
        weights: Weights = DEFAULT_WEIGHTS,
        limits: Limits | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._weights = weights
        self._limits = limits or Limits()
        self._catalog = Catalog(store)

    @property
    def weights(self) -> Weights:
        """The weights this finder ranks with."""
        return self._weights

    def with_weights(self, weights: Weights) -> SimilarIncidentFinder:
        """A finder sharing this one's store, model and catalog, ranking with other weights."""
        finder = SimilarIncidentFinder(self._store, self._embedder, weights=weights, limits=self._limits)
        finder._catalog = self._catalog
        return finder

    async def pose(self, query: SimilarQuery, options: SimilarOptions) -> PosedQuery:
        """Resolve ``query`` as it looked when declared (see ``posing.pose``)."""
        return await pose(self._store, self._catalog, query, options)

    async def find(self, query: SimilarQuery, options: SimilarOptions | None = None) -> SimilarResults:
        """Rank past incidents similar to ``query``, best first, each with its explanation.

        Raises:
            NotFound: if an incident query names no incident in the map.
        """
        options = options or SimilarOptions()
        posed = await self.pose(query, options)
        return await self.find_posed(posed, options.limit)

    async def find_posed(self, posed: PosedQuery, limit: int) -> SimilarResults:
        """Rank past incidents for an already posed query."""
        evidence = await self._evidence(posed)
        pool = sorted(
            {*evidence.vector_hits, *evidence.part_hits, *evidence.lexical_hits, *evidence.graph.incidents}
        )
        facts, names = await gather_facts(self._store, posed, pool, evidence.vector)
        signals = measure(posed, evidence, facts, self._weights, datetime.now(UTC))
        top = fuse(signals, self._weights, limit)
        material = await lesson_material(self._store, [f.incident_id for f in top], posed.visibilities)
        context = (evidence.hood, {**evidence.hood.names, **names}, terms(posed.text))
        results = []
        for fused in top:
            fact = facts[fused.incident_id]
            props = fact.node.properties
            results.append(
                SimilarIncident(
                    incident_id=fused.incident_id,
                    reference=str(props["reference"]) if "reference" in props else None,
                    name=str(props.get("name", fused.incident_id)),
                    score=fused.score,
                    started_at=fact.node.occurred_at,
                    explanation=explain(posed, fused, fact, context, material[fused.incident_id]),
                )
            )
        return SimilarResults(posed, tuple(results))

    async def _evidence(self, posed: PosedQuery) -> Evidence:
        limits = self._limits

        async def semantic() -> tuple[Vector | None, dict[str, float], dict[str, float]]:
            if not posed.text.strip():
                return None, {}, {}
            vector = (await self._embedder.embed([posed.text]))[0]
            incidents, parts = await semantic_hits(self._store, vector, posed, limits)
            return vector, incidents, parts

        async def graph() -> tuple[ServiceNeighbourhood, GraphHits]:
            hood = await service_neighbourhood(self._store, posed, self._weights.max_hops, limits)
            return hood, await graph_hits(self._store, posed, hood, limits)

        (vector, incidents, parts), lexical, (hood, hits) = await asyncio.gather(
            semantic(), lexical_hits(self._store, posed.text, posed, limits.text_k), graph()
        )
        return Evidence(vector, incidents, parts, lexical, hits, hood)
