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
    vector, which the cosines need), while the others are still running: on Neo4j that overlaps
    the largest read with the slowest generator (the service walk, then its newest incidents)
    instead of waiting for all three first. Every candidate is read once, whichever finds it.

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

    async def semantic() -> tuple[Vector | None, dict[str, float], dict[str, float]]:
        if not posed.text.strip():
            return None, {}, {}
        vector = (await embedder.embed([posed.text]))[0]
        incidents, parts = await semantic_hits(store, vector, posed, limits)
        return vector, incidents, parts

    async def graph() -> tuple[ServiceNeighbourhood, GraphHits]:
        hood = await service_neighbourhood(store, posed, max_hops, limits)
        return hood, await graph_hits(store, posed, hood, limits)

    requested: set[str] = set()
    reads: list[asyncio.Task[dict[str, CandidateFacts]]] = []
    try:
        async with asyncio.TaskGroup() as group:
            semantic_task = group.create_task(semantic())
            lexical_task = group.create_task(lexical_hits(store, posed.text, posed, limits.text_k))
            graph_task = group.create_task(graph())

            def read(ids: Iterable[str], vector: Vector | None) -> None:
                new = sorted(set(ids) - requested)
                requested.update(new)
                if new:
                    reads.append(group.create_task(gather_facts(store, posed, new, vector)))

            vector, incidents, parts = await semantic_task
            read([*incidents, *parts], vector)
            lexical = await lexical_task
            read(lexical, vector)
            hood, hits = await graph_task
            read(hits.incidents, vector)
    except ExceptionGroup as failed:
        # Callers handle Precedent's errors by type (a lost store is a 503), as they did when
        # asyncio.gather raised the first failure; the others were cancelled with it.
        raise failed.exceptions[0]  # noqa: B904 - its own cause is kept; the group is the context
    found = {incident_id: fact for task in reads for incident_id, fact in task.result().items()}
    evidence = Evidence(vector, incidents, parts, lexical, hits, hood)
    return evidence, {incident_id: found[incident_id] for incident_id in sorted(found)}


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
