"""Similar past incidents: pose the query, measure the candidates, fuse, explain the top results.

``SimilarIncidentFinder`` holds the store, the embedder and the catalog for as long as the
caller likes (one per process for ``--batch`` and the API), so the model and the lookups load once.
Unless given weights, it ranks with the map's own choice (``choice.load_choice``: what
``precedent tune`` recorded, else ``DEFAULT_WEIGHTS``), read once on first use.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from precedent.retrieval.candidates import Limits
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.choice import RankingChoice, load_choice
from precedent.retrieval.explain import display_names, explain, result_facts
from precedent.retrieval.fusion import fuse
from precedent.retrieval.measuring import Measured, measure_posed
from precedent.retrieval.posing import pose
from precedent.retrieval.query import PosedQuery, SimilarOptions, SimilarQuery
from precedent.retrieval.results import SimilarIncident, SimilarResults
from precedent.retrieval.terms import terms
from precedent.retrieval.told import with_told

if TYPE_CHECKING:
    from precedent.embedding.base import Embedder
    from precedent.model import Node
    from precedent.retrieval.weights import Weights
    from precedent.store.base import GraphStore

__all__ = ["SimilarIncidentFinder"]


class SimilarIncidentFinder:
    """Finds and explains past incidents similar to a query.

    Args:
        store: The knowledge map.
        embedder: The model the map's embeddings were made with.
        weights: Ranking weights; ``None`` (the default) uses the map's recorded choice.
        limits: Per-query caps on candidates.
        catalog: The process's catalog, shared with other readers (one is made when omitted).
    """

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        *,
        weights: Weights | None = None,
        limits: Limits | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._given = (
            None if weights is None else RankingChoice(weights, "given", "weights given by the caller")
        )
        self._choice: RankingChoice | None = self._given
        self._choice_lock = asyncio.Lock()
        self._limits = limits or Limits()
        self._catalog = catalog or Catalog(store)

    async def ranking(self) -> RankingChoice:
        """The ranking this finder uses: the weights it was given, else the map's recorded choice."""
        if self._choice is None:
            async with self._choice_lock:
                if self._choice is None:
                    self._choice = await load_choice(self._store)
        return self._choice

    async def weights(self) -> Weights:
        """The weights this finder ranks with (see ``ranking``)."""
        return (await self.ranking()).weights

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

    async def measure(self, posed: PosedQuery) -> Measured:
        """Every candidate of an already posed query with its signal values, before weighting.

        The tuner calls this once per labelled query and re-fuses the result under many weights;
        ``find_posed`` calls it once and fuses with this finder's weights.
        """
        shape = await self.weights()
        return await measure_posed(self._store, self._embedder, posed, shape, self._limits, datetime.now(UTC))

    async def find_posed(self, posed: PosedQuery, limit: int) -> SimilarResults:
        """Rank past incidents for an already posed query."""
        measured = await self.measure(posed)
        top = fuse(measured.signals, await self.weights(), limit)
        details = await result_facts(self._store, [f.incident_id for f in top], posed.visibilities)
        context = (
            measured.evidence.hood,
            {**measured.evidence.hood.names, **display_names(details.values())},
            terms(posed.text),
        )
        results = []
        for fused in top:
            fact = measured.facts[fused.incident_id]
            # Ranking read a brief node; the answer shows the whole one (unless it was deleted
            # or hidden in between, when the brief one still names it).
            detail = details.get(fused.incident_id)
            material: tuple[tuple[Node, ...], tuple[Node, ...]] = ((), ())
            if detail is not None:
                fact = msgspec.structs.replace(fact, node=detail.node)
                material = (detail.chunks, detail.follow_ups)
            props = fact.node.properties
            results.append(
                SimilarIncident(
                    incident_id=fused.incident_id,
                    reference=str(props["reference"]) if "reference" in props else None,
                    name=str(props.get("name", fused.incident_id)),
                    score=fused.score,
                    started_at=fact.node.occurred_at,
                    explanation=explain(posed, fused, fact, context, material),
                )
            )
        # A lesson no post-mortem wrote up is read from the updates, as investigations read it.
        return SimilarResults(posed, await with_told(self._store, results, posed.visibilities))
