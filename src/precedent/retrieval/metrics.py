"""Ranking metrics as pure functions over a ranked list of ids and graded relevance labels.

Grades follow TREC: 0 (or absent) is not relevant, higher is more relevant; nDCG uses the
exponential gain ``2**grade - 1``; MRR and recall count any grade above 0 as relevant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = ["MetricSummary", "dcg", "ndcg_at", "recall_at", "reciprocal_rank", "summarise"]


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain of grades in rank order."""
    return math.fsum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades) if g > 0)


def ndcg_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k: DCG of the top ``k`` over the DCG of the ideal ordering (0 with no relevant ids)."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0.0:
        return 0.0
    return dcg(grades.get(i, 0) for i in ranking[:k]) / ideal


def reciprocal_rank(ranking: Sequence[str], grades: Mapping[str, int]) -> float:
    """1 / rank of the first relevant id (0 when none is ranked)."""
    for rank, incident_id in enumerate(ranking, start=1):
        if grades.get(incident_id, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the relevant ids found in the top ``k`` (0 with no relevant ids)."""
    relevant = {i for i, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


@dataclass(frozen=True)
class MetricSummary:
    """Mean metrics over a set of queries."""

    queries: int
    ndcg_10: float
    mrr: float
    recall_1: float
    recall_5: float
    recall_10: float


def summarise(runs: Sequence[tuple[Sequence[str], Mapping[str, int]]]) -> MetricSummary:
    """Average every metric over ``(ranking, grades)`` pairs, one per query."""
    if not runs:
        return MetricSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def mean(values: Iterable[float]) -> float:
        return math.fsum(values) / len(runs)

    return MetricSummary(
        queries=len(runs),
        ndcg_10=mean(ndcg_at(r, g, 10) for r, g in runs),
        mrr=mean(reciprocal_rank(r, g) for r, g in runs),
        recall_1=mean(recall_at(r, g, 1) for r, g in runs),
        recall_5=mean(recall_at(r, g, 5) for r, g in runs),
        recall_10=mean(recall_at(r, g, 10) for r, g in runs),
    )
