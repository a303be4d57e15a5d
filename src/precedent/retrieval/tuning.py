"""Fitting the ranking to one organisation's history: pure functions over measured, labelled queries.

Each labelled query is measured once (``SimilarIncidentFinder.measure``: candidates and their
signal values); everything here re-fuses those matrices, so trying a weight costs a matrix
product, not a search. ``choose`` is the whole policy ``precedent tune`` applies:

1. order the labelled queries by declaration time; the most recent ``held_out_fraction`` are
   the checked queries, cut into a few consecutive blocks;
2. fit weights by coordinate ascent on mean nDCG@10 (each weight in turn tried at a few
   multiples and absolute values, and the recency half-life at a few lengths, keeping a change
   only when it raises the objective), once from the default and once from reciprocal-rank
   fusion (``RRF_WEIGHTS``), keeping the better fit, on every query older than a block, and
   rank that block with them (forward chaining: no check sees its own future);
3. keep the default unless the fitted rankings beat it on the checked queries by more than the
   noise: the 95% paired-bootstrap interval of the pooled per-query nDCG@10 gain lies above zero;
   then adopt the weights fitted on every query;
4. too few labelled queries (``MIN_FIT`` before the first block, ``MIN_HELD_OUT`` checked) keep
   the default, saying so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from precedent.retrieval.choice import RankingChoice
from precedent.retrieval.fusion import SIGNALS
from precedent.retrieval.metrics import dcg, ndcg_at, reciprocal_rank
from precedent.retrieval.weights import RRF_WEIGHTS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.retrieval.fusion import SignalName
    from precedent.retrieval.weights import Weights

__all__ = [
    "HALF_LIVES",
    "Fit",
    "MIN_FIT",
    "MIN_HELD_OUT",
    "Interval",
    "LabelledQuery",
    "ablations",
    "bootstrap_mean",
    "choose",
    "fit_weights",
    "per_query",
    "rank_ids",
    "split_by_time",
]

MIN_FIT = 30
"""Fewer labelled queries than this before the first checked block: the default is kept."""
MIN_HELD_OUT = 15
"""Fewer checked queries than this: the default is kept."""
HALF_LIVES = (30.0, 90.0, 365.0, 1095.0)
"""Recency half-lives (days) the fit tries."""
_MULTIPLES = (0.0, 0.5, 2.0, 4.0)
_ABSOLUTE = (0.02, 0.05, 0.1, 0.2, 0.4)
_RECENCY = SIGNALS.index("recency")


@dataclass(frozen=True)
class LabelledQuery:
    """One measured query and its relevance grades.

    Attributes:
        ids: Candidate ids, sorted (the rows of ``matrix``).
        matrix: Signal values, one row per candidate, columns in ``fusion.SIGNALS`` order,
            measured with ``shape_half_life`` as the recency half-life.
        grades: Graded labels of the earlier incidents it could have found.
        declared_at: When the query was declared (orders the split).
        shape_half_life: The half-life the recency column was measured with.
    """

    ids: Sequence[str]
    matrix: np.ndarray
    grades: Mapping[str, int]
    declared_at: datetime | None
    shape_half_life: float


Fit = Callable[["Sequence[LabelledQuery]", "Weights"], "Weights"]
"""Fits weights to labelled queries, starting from the given weights."""


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% bootstrap interval."""

    mean: float
    low: float
    high: float


def _with(weights: Weights, signal: str, value: float) -> Weights:
    return type(weights)(**{**dataclasses.asdict(weights), signal: value})


def _columns(query: LabelledQuery, half_life: float) -> np.ndarray:
    if half_life == query.shape_half_life or not len(query.ids):
        return query.matrix
    # recency = 0.5 ** (age / h0), so the value under h is recency ** (h0 / h), without re-measuring.
    matrix = query.matrix.copy()
    matrix[:, _RECENCY] = matrix[:, _RECENCY] ** (query.shape_half_life / half_life)
    return matrix


def rank_ids(query: LabelledQuery, weights: Weights, k: int = 10) -> list[str]:
    """The top ``k`` ids under ``weights``, ordered as ``fusion.fuse`` orders them (ties by id)."""
    if not len(query.ids):
        return []
    vector = np.array([weights.of(s) for s in SIGNALS])
    scores = _columns(query, weights.half_life_days) @ vector
    order = np.lexsort((np.arange(len(query.ids)), -scores))[:k]  # ids are sorted: index order is id order
    return [query.ids[i] for i in order]


def per_query(queries: Sequence[LabelledQuery], weights: Weights, metric: str = "ndcg_10") -> np.ndarray:
    """Per-query nDCG@10 (or ``"mrr"``) of the fused ranking under ``weights``."""
    values = []
    for query in queries:
        ranking = rank_ids(query, weights)
        values.append(
            ndcg_at(ranking, query.grades, 10)
            if metric == "ndcg_10"
            else reciprocal_rank(ranking, query.grades)
        )
    return np.array(values, dtype=np.float64)


_DISCOUNTS = 1.0 / np.log2(np.arange(2, 12))


class _Objective:
    """Mean nDCG@10 under many weights for one fixed set of queries (the fit's inner loop).

    The same value as ``per_query(...).mean()``, with each query's gains, ideal DCG and
    reshaped recency columns computed once instead of once per weight tried.
    """

    def __init__(
        self, queries: Sequence[LabelledQuery], query_weights: Sequence[float] | None = None
    ) -> None:
        weights = [1.0] * len(queries) if query_weights is None else list(query_weights)
        if len(weights) != len(queries):
            raise ValueError("one weight per query is needed")
        self._queries = [q for q in queries if len(q.ids)]
        self._weights = [w for q, w in zip(queries, weights, strict=True) if len(q.ids)]
        # Queries without candidates count in the denominator (they score 0), as in per_query.
        self._count = math.fsum(weights)
        self._gains = [
            np.array([2.0 ** q.grades.get(i, 0) - 1.0 for i in q.ids]).clip(min=0.0) for q in self._queries
        ]
        self._ideals = [_ideal_dcg(q.grades) for q in self._queries]
        self._columns: dict[float, list[np.ndarray]] = {}

    def __call__(self, weights: Weights) -> float:
        if not self._count:
            return 0.0
        half_life = weights.half_life_days
        if half_life not in self._columns:
            self._columns[half_life] = [_columns(q, half_life) for q in self._queries]
        vector = np.array([weights.of(s) for s in SIGNALS])
        total = 0.0
        columns = self._columns[half_life]
        for matrix, gains, ideal, weight in zip(
            columns, self._gains, self._ideals, self._weights, strict=True
        ):
            if ideal == 0.0:
                continue
            # a stable sort keeps index (= id) order among equal scores, as rank_ids does
            top = np.argsort(-(matrix @ vector), kind="stable")[:10]
            total += weight * float(gains[top] @ _DISCOUNTS[: len(top)]) / ideal
        return total / self._count


def _ideal_dcg(grades: Mapping[str, int]) -> float:
    """The DCG@10 of the ideal ordering of ``grades`` (nDCG@10's denominator)."""
    return dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:10])


def _objective(queries: Sequence[LabelledQuery], weights: Weights) -> float:
    return _Objective(queries)(weights)


def fit_weights(
    queries: Sequence[LabelledQuery],
    start: Weights,
    rounds: int = 4,
    *,
    signals: Sequence[SignalName] = SIGNALS,
    rank_fusion: bool = True,
    query_weights: Sequence[float] | None = None,
) -> Weights:
    """Coordinate ascent on mean nDCG@10 from ``start`` and from rank fusion; the better fit wins.

    Score fusion (the default's weighted cosine and BM25) and rank fusion (``RRF_WEIGHTS``) sit
    in different corners of the weight space, and coordinate ascent only climbs from where it
    starts, so both are tried. Deterministic; a tie goes to the fit from ``start``.

    Args:
        queries: The fitting set.
        start: Where to start (the default weights); its shape parameters other than the
            half-life are kept, also for the fit from rank fusion.
        rounds: At most this many passes over the weights.
        signals: The weights the fit may change (the others keep their starting values); an
            ablation of the fit itself, e.g. score fusion only.
        rank_fusion: Also climb from ``RRF_WEIGHTS``.
        query_weights: How much each query counts in the mean (all 1 unless given), e.g. so that
            several histories pooled into one fit count equally whatever their sizes.

    Returns:
        The best weights found.
    """
    starts = [start, _with_weights_of(start, RRF_WEIGHTS)] if rank_fusion else [start]
    objective = _Objective(queries, query_weights)
    fits = [_ascend(objective, s, rounds, signals) for s in starts]
    values = [objective(f) for f in fits]
    return fits[int(np.argmax(values))]  # argmax takes the first of equals: the fit from start


def _with_weights_of(shape: Weights, weights: Weights) -> Weights:
    return type(shape)(**{**dataclasses.asdict(shape), **{str(s): weights.of(s) for s in SIGNALS}})


def _ascend(objective: _Objective, start: Weights, rounds: int, signals: Sequence[SignalName]) -> Weights:
    best, best_value = start, objective(start)
    for _ in range(rounds):
        improved = False
        for signal in signals:
            current = best.of(signal)
            tries = sorted({round(current * m, 4) for m in _MULTIPLES} | set(_ABSOLUTE))
            for value in tries:
                candidate = _with(best, signal, float(value))
                score = objective(candidate)
                if score > best_value + 1e-9:
                    best, best_value, improved = candidate, score, True
        for half_life in HALF_LIVES:
            candidate = dataclasses.replace(best, half_life_days=half_life)
            score = objective(candidate)
            if score > best_value + 1e-9:
                best, best_value, improved = candidate, score, True
        if not improved:
            break
    return best


def bootstrap_mean(values: np.ndarray, samples: int = 2000, seed: int = 0) -> Interval:
    """Mean of ``values`` with a 95% percentile-bootstrap interval (resampling queries)."""
    if not len(values):
        return Interval(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(samples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def split_by_time(
    queries: Sequence[LabelledQuery], held_out_fraction: float
) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """Oldest queries to fit on, the most recent ``held_out_fraction`` held out (undated ones fit)."""
    ordered = sorted(
        queries, key=lambda q: (q.declared_at is not None, q.declared_at or datetime.min.replace(tzinfo=UTC))
    )
    held = math.floor(len(ordered) * held_out_fraction)
    cut = len(ordered) - held
    return ordered[:cut], ordered[cut:]


def ablations(queries: Sequence[LabelledQuery], weights: Weights) -> dict[str, float]:
    """nDCG@10 change when each signal is dropped (its weight set to 0), per signal with a weight."""
    objective = _Objective(queries)
    base = objective(weights)
    return {
        signal: objective(_with(weights, signal, 0.0)) - base for signal in SIGNALS if weights.of(signal) > 0
    }


def choose(
    queries: Sequence[LabelledQuery],
    default: Weights,
    held_out_fraction: float = 0.5,
    now: datetime | None = None,
    folds: int = 3,
    fit: Fit | None = None,
) -> RankingChoice:
    """Check the fit on the most recent queries, each by a fit on everything older; decide; fit on all.

    The most recent ``held_out_fraction`` of the queries are cut into ``folds`` consecutive
    blocks; each block is ranked by weights fitted on every query declared before it (so no
    check ever sees its own future), and the per-query nDCG@10 gains over the default are
    pooled. Pooling uses many more checks than one final block would, which matters for the
    small histories most organisations have. If the pooled gain's 95% bootstrap interval lies
    above zero, the weights fitted on every query are adopted.

    Args:
        queries: Every labelled, measured query of the history.
        default: The incumbent weights (``DEFAULT_WEIGHTS``).
        held_out_fraction: Share of the most recent queries used to check fits.
        now: When the decision is made (recorded).
        folds: How many consecutive blocks the checked queries are cut into.
        fit: How weights are fitted to a set of queries from the default (``fit_weights``
            unless measuring a variant of it, e.g. score fusion only).

    Returns:
        The choice, its reason and the figures it rests on.
    """
    fit = fit or fit_weights
    stamp = (now or datetime.now(UTC)).isoformat()
    first_fit, checked = split_by_time(queries, held_out_fraction)
    # Fit and held-out counts are disjoint, as the reason says them ("of 45, the 23 oldest to fit
    # on and the 22 newest to check"); "fit queries" once counted all 45 beside it. The weights
    # adopted are fitted on every labelled query: ``labelled_queries``.
    figures: dict[str, float] = {
        "labelled_queries": len(queries),
        "fit_queries": len(first_fit),
        "held_out_queries": len(checked),
    }
    if len(first_fit) < MIN_FIT or len(checked) < MIN_HELD_OUT:
        reason = (
            f"too few labelled queries to tune: of {len(queries)}, the {len(first_fit)} oldest to fit on "
            f"and the {len(checked)} newest to check the fit (at least {MIN_FIT} and {MIN_HELD_OUT} "
            "needed): the default is kept"
        )
        return RankingChoice(default, "default", reason, stamp, figures)
    before_parts, after_parts = [], []
    seen = list(first_fit)
    for block in np.array_split(np.arange(len(checked)), min(folds, len(checked))):
        tested = [checked[i] for i in block]
        fold_fit = fit(seen, default)
        before_parts.append(per_query(tested, default))
        after_parts.append(per_query(tested, fold_fit))
        seen += tested
    before, after = np.concatenate(before_parts), np.concatenate(after_parts)
    gain = bootstrap_mean(after - before)
    fitted = fit(queries, default)
    figures |= {
        "held_out_ndcg_10_default": float(before.mean()),
        "held_out_ndcg_10_fitted": float(after.mean()),
        "gain": gain.mean,
        "gain_low": gain.low,
        "gain_high": gain.high,
        "labelled_ndcg_10_default": _objective(queries, default),
        "labelled_ndcg_10_fitted": _objective(queries, fitted),
    }
    numbers = (
        f"on the {len(checked)} most recent queries, each ranked by a fit on older ones, nDCG@10 "
        f"{after.mean():.3f} fitted vs {before.mean():.3f} default, gain {gain.mean:+.3f} "
        f"(95% interval {gain.low:+.3f} to {gain.high:+.3f})"
    )
    if fitted != default and gain.low > 0:
        return RankingChoice(fitted, "fitted", f"the fit beats the default: {numbers}", stamp, figures)
    reason = f"the fit does not beat the default beyond noise: {numbers}"
    return RankingChoice(default, "default", reason, stamp, figures)
