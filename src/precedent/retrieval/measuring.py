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
    direct_hits,
    lexical_hits,
    nearby_hits,
    semantic_hits,
    service_neighbourhood,
)
from precedent.retrieval.context import gather_facts
from precedent.retrieval.fusion import SIGNALS, astuple_fast
from precedent.retrieval.signals import Evidence, measure

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
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
        facts: Brief facts per admissible candidate (node, services, teams, links).
        signals: Signal values per candidate id (the input of ``fusion.fuse``).
    """

    posed: PosedQuery
    evidence: Evidence
    facts: Mapping[str, CandidateFacts]
    signals: Mapping[str, Signals]

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Candidate ids (sorted) and their signal values as rows, columns in ``fusion.SIGNALS`` order."""
        ids = sorted(self.signals)
        values = np.array([astuple_fast(self.signals[i]) for i in ids], dtype=np.float64)
        return ids, values.reshape(len(ids), len(SIGNALS))


async def gather_evidence(
    store: GraphStore,
    embedder: Embedder,
    posed: PosedQuery,
    max_hops: int,
    limits: Limits,
) -> tuple[Evidence, dict[str, CandidateFacts]]:
    """Run every candidate generator for ``posed`` concurrently, and read their candidates' facts.

    The facts of one generator's candidates are read as soon as it answers (with the query
    vector, which the cosines need and which is made first), while the others are still
    running: on Neo4j that overlaps the largest read with the slowest generators (the k-NN; the
    service walk, then its newest incidents) instead of waiting for all three first. Every
    candidate is read once, whichever generator names it first; the k-NN's incident hits come
    without a cosine from the store, since the k-NN already gave theirs exactly.

    Args:
        store: The map.
        embedder: The model the map's embeddings were made with.
        posed: The query as declared.
        max_hops: How far over DEPENDS_ON graph candidates are looked for.
        limits: Per-query caps on candidates.

    Returns:
        The hits of the semantic, lexical and graph generators, and the facts of every
        admissible candidate, by id in id order.
    """

    reads = _FactReads(store, posed)

    async def semantic() -> tuple[Vector | None, dict[str, float], dict[str, float]]:
        vector = (await embedder.embed([posed.text]))[0] if posed.text.strip() else None
        reads.vector.set_result(vector)
        if vector is None:
            return None, {}, {}
        incidents, parts = await semantic_hits(store, vector, posed, limits)
        # The k-NN scored its incident hits exactly, so the store need not read their
        # embeddings again; only incidents reached through an update or chunk need a cosine.
        await asyncio.gather(reads.read(incidents, scored=False), reads.read(parts))
        return vector, incidents, parts

    async def lexical() -> dict[str, float]:
        hits = await lexical_hits(store, posed.text, posed, limits.text_k)
        await reads.read(hits)
        return hits

    async def direct() -> GraphHits:
        hits = await direct_hits(store, posed, limits)
        await reads.read(hits.incidents)
        return hits

    async def nearby() -> tuple[ServiceNeighbourhood, GraphHits]:
        hood = await service_neighbourhood(store, posed, max_hops, limits)
        hits = await nearby_hits(store, posed, hood, limits)
        await reads.read(hits.incidents)
        return hood, hits

    try:
        async with asyncio.TaskGroup() as group:
            semantic_task = group.create_task(semantic())
            lexical_task = group.create_task(lexical())
            # The graph generator in two: the query's own services need no walk.
            direct_task = group.create_task(direct())
            nearby_task = group.create_task(nearby())
    except ExceptionGroup as failed:
        # Callers handle Precedent's errors by type (a lost store is a 503), as they did when
        # asyncio.gather raised the first failure; the others were cancelled with it.
        raise failed.exceptions[0]  # noqa: B904 - its own cause is kept; the group is the context
    vector, incidents, parts = semantic_task.result()
    hood, near = nearby_task.result()
    hits = direct_task.result().merged(near)
    evidence = Evidence(vector, incidents, parts, lexical_task.result(), hits, hood)
    return evidence, reads.facts()


class _FactReads:
    """Reads each candidate's facts once, as soon as a generator names it and the query vector is known."""

    def __init__(self, store: GraphStore, posed: PosedQuery) -> None:
        self._store = store
        self._posed = posed
        self._requested: set[str] = set()
        self._found: dict[str, CandidateFacts] = {}
        self.vector: asyncio.Future[Vector | None] = asyncio.get_running_loop().create_future()

    async def read(self, ids: Iterable[str], *, scored: bool = True) -> None:
        """Read the facts of those of ``ids`` not asked for yet; ``scored``: with their cosines."""
        vector = await self.vector  # the cosines need it; the semantic generator makes it first
        new = sorted(set(ids) - self._requested)
        self._requested.update(new)
        if new:
            self._found.update(await gather_facts(self._store, self._posed, new, vector if scored else None))

    def facts(self) -> dict[str, CandidateFacts]:
        """Every admissible candidate's facts, in id order (as one read of the whole pool answered)."""
        return {incident_id: self._found[incident_id] for incident_id in sorted(self._found)}


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
    evidence, facts = await gather_evidence(store, embedder, posed, shape.max_hops, limits)
    signals = measure(posed, evidence, facts, shape, now)
    return Measured(posed, evidence, facts, signals)
