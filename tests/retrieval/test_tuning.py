"""Fitting weights to a history, with plain matrices: the fit, the held-out check, the fallbacks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from precedent.retrieval.fusion import SIGNALS
from precedent.retrieval.tuning import (
    MIN_FIT,
    LabelledQuery,
    ablations,
    bootstrap_mean,
    choose,
    fit_weights,
    per_query,
    rank_ids,
    split_by_time,
)
from precedent.retrieval.weights import DEFAULT_WEIGHTS, RANK_FUSION_DEFAULT, RRF_WEIGHTS, SCORE_WEIGHTS

START = datetime(2024, 1, 1, tzinfo=UTC)
COLUMN = {s: i for i, s in enumerate(SIGNALS)}


def _query(day: int, rng: np.random.Generator, *, service_carries: bool = True) -> LabelledQuery:
    """Twenty candidates; the relevant one shares the service, the words point elsewhere."""
    ids = [f"c{i:02d}" for i in range(20)]
    matrix = rng.uniform(0.0, 0.3, size=(20, len(SIGNALS)))
    relevant = int(rng.integers(0, 20))
    decoy = (relevant + 1) % 20
    matrix[decoy, COLUMN["semantic"]] = 0.9  # words match a different incident
    matrix[relevant, COLUMN["semantic"]] = 0.6
    if service_carries:
        matrix[:, COLUMN["same_service"]] = 0.0
        matrix[relevant, COLUMN["same_service"]] = 1.0
    return LabelledQuery(ids, matrix, {ids[relevant]: 1}, START + timedelta(days=day), 365.0)


def test_rank_ids_breaks_ties_by_id_and_reshapes_recency() -> None:
    matrix = np.zeros((3, len(SIGNALS)))
    matrix[:, COLUMN["recency"]] = [0.5, 0.25, 0.5]  # one and two half-lives old at 365 days
    query = LabelledQuery(["a", "b", "c"], matrix, {"b": 1}, START, 365.0)
    assert rank_ids(query, DEFAULT_WEIGHTS) == ["a", "c", "b"]
    # with a 730-day half-life the values become 0.5 ** 0.5 and 0.25 ** 0.5: same order
    longer = dataclasses.replace(DEFAULT_WEIGHTS, half_life_days=730.0)
    assert rank_ids(query, longer) == ["a", "c", "b"]
    assert rank_ids(LabelledQuery([], np.zeros((0, len(SIGNALS))), {}, START, 365.0), DEFAULT_WEIGHTS) == []


def test_the_fits_objective_is_mean_ndcg_under_every_half_life() -> None:
    rng = np.random.default_rng(8)
    queries = [_query(d, rng) for d in range(30)]
    queries.append(LabelledQuery([], np.zeros((0, len(SIGNALS))), {"x": 1}, START, 365.0))
    for half_life in (30.0, 365.0, 1095.0):
        weights = dataclasses.replace(DEFAULT_WEIGHTS, half_life_days=half_life, recency=0.5)
        # ablations go through the fit's precomputed objective; per_query through rank_ids
        dropped = ablations(queries, weights)["semantic"]
        without = dataclasses.replace(weights, semantic=0.0)
        expected = per_query(queries, without).mean() - per_query(queries, weights).mean()
        assert dropped == pytest.approx(expected, abs=1e-12)


def test_fit_finds_the_signal_that_carries_the_history() -> None:
    rng = np.random.default_rng(1)
    queries = [_query(d, rng) for d in range(60)]
    fitted = fit_weights(queries, DEFAULT_WEIGHTS)
    assert per_query(queries, fitted).mean() > per_query(queries, DEFAULT_WEIGHTS).mean() + 0.2
    assert fitted.same_service / fitted.semantic > DEFAULT_WEIGHTS.same_service / DEFAULT_WEIGHTS.semantic


def test_query_weights_let_a_small_history_count_as_much_as_a_large_one() -> None:
    rng = np.random.default_rng(6)
    # a large history the service carries, a small one where the words do and the service misleads
    large = [_query(d, rng) for d in range(60)]
    small = []
    for day in range(10):
        query = _query(day, rng, service_carries=False)
        relevant = query.ids.index(next(iter(query.grades)))
        query.matrix[:, COLUMN["semantic"]] = 0.0
        query.matrix[relevant, COLUMN["semantic"]] = 1.0
        query.matrix[:, COLUMN["same_service"]] = 1.0
        query.matrix[relevant, COLUMN["same_service"]] = 0.0
        small.append(query)
    pooled = [*large, *small]
    balanced = [1.0 / len(large)] * len(large) + [1.0 / len(small)] * len(small)
    by_count = fit_weights(pooled, DEFAULT_WEIGHTS)
    by_history = fit_weights(pooled, DEFAULT_WEIGHTS, query_weights=balanced)
    # counted per query the large history dominates; counted per history the small one is served too
    assert per_query(small, by_history).mean() >= per_query(small, by_count).mean()
    assert per_query(small, by_history).mean() + per_query(large, by_history).mean() >= (
        per_query(small, by_count).mean() + per_query(large, by_count).mean()
    )
    with pytest.raises(ValueError, match="one weight per query"):
        fit_weights(pooled, DEFAULT_WEIGHTS, query_weights=[1.0])


def test_fit_also_climbs_from_rank_fusion() -> None:
    rng = np.random.default_rng(7)
    queries = []
    for day in range(40):
        ids = [f"c{i:02d}" for i in range(30)]
        matrix = rng.uniform(0.0, 1.0, size=(30, len(SIGNALS)))  # scores that mislead
        relevant = int(rng.integers(0, 30))
        for column in ("lexical_rank", "semantic_rank", "shares_service"):
            matrix[:, COLUMN[column]] = rng.uniform(0.0, 0.5, size=30)
            matrix[relevant, COLUMN[column]] = 0.6  # never first in one order, good in all three
        queries.append(LabelledQuery(ids, matrix, {ids[relevant]: 1}, START + timedelta(days=day), 365.0))
    # from score fusion alone (the default of before), the climb from rank fusion is what finds them
    fitted = fit_weights(queries, SCORE_WEIGHTS)
    rank_fusion = dataclasses.replace(SCORE_WEIGHTS, **{s: RRF_WEIGHTS.of(s) for s in SIGNALS})
    assert per_query(queries, fitted).mean() >= per_query(queries, rank_fusion).mean()
    assert per_query(queries, fitted).mean() > per_query(queries, SCORE_WEIGHTS).mean() + 0.3


def test_the_default_is_rrf_with_half_a_service_boost_plus_a_quarter_of_score_fusion() -> None:
    # the family benchmarks/retrieval/shapes.py --choose-default picks from (weights.py)
    assert DEFAULT_WEIGHTS == RANK_FUSION_DEFAULT
    for signal in SIGNALS:
        boost = 0.5 if signal == "shares_service" else 1.0
        expected = boost * RRF_WEIGHTS.of(signal) + 0.25 * SCORE_WEIGHTS.of(signal)
        assert RANK_FUSION_DEFAULT.of(signal) == pytest.approx(expected)


def test_choose_adopts_a_fit_that_wins_on_the_most_recent_queries() -> None:
    rng = np.random.default_rng(2)
    queries = [_query(d, rng) for d in range(80)]
    choice = choose(queries, DEFAULT_WEIGHTS, 0.5, now=START)
    assert choice.source == "fitted"
    assert (choice.figures["fit_queries"], choice.figures["held_out_queries"]) == (40, 40)
    assert choice.figures["labelled_queries"] == 80
    assert choice.weights == fit_weights(queries, DEFAULT_WEIGHTS)  # the adopted fit uses every query
    assert choice.figures["gain_low"] > 0
    assert "beats the default" in choice.reason
    assert choice.tuned_at == START.isoformat()


def test_choose_keeps_the_default_when_the_fit_is_noise() -> None:
    rng = np.random.default_rng(3)
    # no signal carries these labels: relevant ids are drawn at random
    queries = []
    for day in range(80):
        ids = [f"c{i:02d}" for i in range(20)]
        matrix = rng.uniform(0.0, 1.0, size=(20, len(SIGNALS)))
        queries.append(
            LabelledQuery(ids, matrix, {ids[int(rng.integers(0, 20))]: 1}, START + timedelta(days=day), 365.0)
        )
    choice = choose(queries, DEFAULT_WEIGHTS)
    assert choice.source == "default"
    assert choice.weights == DEFAULT_WEIGHTS
    assert "does not beat the default" in choice.reason


def test_small_histories_keep_the_default() -> None:
    rng = np.random.default_rng(4)
    choice = choose([_query(d, rng) for d in range(2 * MIN_FIT - 2)], DEFAULT_WEIGHTS)
    assert (choice.source, choice.weights) == ("default", DEFAULT_WEIGHTS)
    assert "too few labelled queries" in choice.reason
    # Its counts are the figures printed beside it (`tune --json` said "fit_queries": 45 beside
    # "the 23 oldest to fit on"): fit and held-out queries split the labelled ones.
    figures = choice.figures
    assert (figures["labelled_queries"], figures["fit_queries"], figures["held_out_queries"]) == (
        2 * MIN_FIT - 2,
        MIN_FIT - 1,
        MIN_FIT - 1,
    )
    assert (
        f"of {figures['labelled_queries']}, the {figures['fit_queries']} oldest to fit on "
        f"and the {figures['held_out_queries']} newest to check the fit"
    ) in choice.reason, choice.reason


def test_split_holds_out_the_most_recent() -> None:
    rng = np.random.default_rng(5)
    queries = [_query(d, rng) for d in (5, 1, 9, 3, 7, 2, 8, 4, 6, 0)]
    fit, held = split_by_time(queries, 0.3)
    assert [q.declared_at for q in held] == [START + timedelta(days=d) for d in (7, 8, 9)]
    assert max(q.declared_at for q in fit if q.declared_at) < min(
        q.declared_at for q in held if q.declared_at
    )


def test_ablations_say_which_signals_carry_the_ranking() -> None:
    rng = np.random.default_rng(6)
    queries = [_query(d, rng) for d in range(40)]
    weights = dataclasses.replace(DEFAULT_WEIGHTS, same_service=1.0)
    dropped = ablations(queries, weights)
    assert set(dropped) == {s for s in SIGNALS if weights.of(s) > 0}
    assert dropped["same_service"] == min(dropped.values())
    assert dropped["same_service"] < -0.3


def test_bootstrap_interval_brackets_the_mean() -> None:
    values = np.array([0.0, 1.0] * 50)
    interval = bootstrap_mean(values)
    assert interval.mean == pytest.approx(0.5)
    assert interval.low < 0.5 < interval.high
    assert interval.high - interval.low < 0.3
    assert bootstrap_mean(np.array([])).mean == 0.0
