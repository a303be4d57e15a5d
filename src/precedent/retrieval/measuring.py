"""The measure stage: a posed query's candidates and their signal values, before any weighting.

``SimilarIncidentFinder.find_posed`` measures, then fuses (``fusion.fuse``) and explains; the
tuner (``tuning.py``) measures each labelled query once and re-fuses it under many weights.
Both go through ``measure_posed``, so what is tuned is exactly what is served.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from precedent.retrieval.candidates import (
    graph_hits,
    lexical_hits,
    semantic_hits,
    service_neighbourhood,
)
from precedent.retrieval.context import gather_facts
from precedent.retrieval.fusion import SIGNALS, astuple_fast
from precedent.retrieval.signals import Evidence, measure

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from precedent.embedding.base import Embedder
    from precedent.model import Vector
    from precedent.retrieval.candidates import GraphHits, Limits, ServiceNeighbourhood
    from precedent.retrieval.context import CandidateFacts
    from precedent.retrieval.fusion import Signals
    from precedent.retrieval.query import PosedQuery
    from precedent.retrieval.weights import Weights
    from precedent.store.base import GraphStore

__all__ = ["Measured", "gather_evidence", "measure_posed"]


@dataclass(frozen=True)
class Measured:
    """Every admissible candidate of one query with its signal values.

    Attributes:
        posed: The query as declared.
        evidence: What the candidate generators found.
        facts: Facts per admissible candidate (node, services, teams, links).
        names: Display names of services and teams the facts mention.
        signals: Signal values per candidate id (the input of ``fusion.fuse``).
    """

    posed: PosedQuery
    evidence: Evidence
    facts: Mapping[str, CandidateFacts]
    names: Mapping[str, str]
    signals: Mapping[str, Signals]

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Candidate ids (sorted) and their signal values as rows, columns in ``fusion.SIGNALS`` order."""
        ids = sorted(self.signals)
        values = np.array([astuple_fast(self.signals[i]) for i in ids], dtype=np.float64)
        return ids, values.reshape(len(ids), len(SIGNALS))


async def gather_evidence(
    store: GraphStore, embedder: Embedder, posed: PosedQuery, max_hops: int, limits: Limits
) -> Evidence:
    """Run every candidate generator for ``posed`` concurrently.

    Args:
        store: The map.
        embedder: The model the map's embeddings were made with.
        posed: The query as declared.
        max_hops: How far over DEPENDS_ON graph candidates are looked for.
        limits: Per-query caps on candidates.

    Returns:
        The query vector and the hits of the semantic, lexical and graph generators.
    """

    async def semantic() -> tuple[Vector | None, dict[str, float], dict[str, float]]:
        if not posed.text.strip():
            return None, {}, {}
        vector = (await embedder.embed([posed.text]))[0]
        incidents, parts = await semantic_hits(store, vector, posed, limits)
        return vector, incidents, parts

    async def graph() -> tuple[ServiceNeighbourhood, GraphHits]:
        hood = await service_neighbourhood(store, posed, max_hops, limits)
        return hood, await graph_hits(store, posed, hood, limits)

    (vector, incidents, parts), lexical, (hood, hits) = await asyncio.gather(
        semantic(), lexical_hits(store, posed.text, posed, limits.text_k), graph()
    )
    return Evidence(vector, incidents, parts, lexical, hits, hood)


async def measure_posed(
    store: GraphStore,
    embedder: Embedder,
    posed: PosedQuery,
    shape: Weights,
    limits: Limits,
    now: datetime,
) -> Measured:
    """Generate ``posed``'s candidates and measure their signals.

    Args:
        store: The map.
        embedder: The model the map's embeddings were made with.
        posed: The query as declared.
        shape: Supplies the signal shapes (floor, half-life, hop decay, max hops); its
            weights are not used here.
        limits: Per-query caps on candidates.
        now: Reference time for recency when the query has no cutoff.

    Returns:
        The candidates, their facts and their signal values.
    """
    evidence = await gather_evidence(store, embedder, posed, shape.max_hops, limits)
    pool = sorted(
        {*evidence.vector_hits, *evidence.part_hits, *evidence.lexical_hits, *evidence.graph.incidents}
    )
    facts, names = await gather_facts(store, posed, pool, evidence.vector)
    signals = measure(posed, evidence, facts, shape, now)
    return Measured(posed, evidence, facts, names, signals)
