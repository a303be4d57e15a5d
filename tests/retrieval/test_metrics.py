"""Ranking metrics on plain lists."""

from __future__ import annotations

import math

import pytest

from precedent.retrieval.metrics import dcg, ndcg_at, recall_at, reciprocal_rank, summarise


def test_dcg_uses_exponential_gain_and_log_discount() -> None:
    assert dcg([2, 0, 1]) == pytest.approx(3 / math.log2(2) + 1 / math.log2(4))
    assert dcg([]) == 0.0


def test_ndcg_is_one_for_the_ideal_ranking_and_lower_otherwise() -> None:
    grades = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b", "x"], grades, 10) == pytest.approx(1.0)
    assert ndcg_at(["b", "a"], grades, 10) < 1.0
    assert ndcg_at(["x", "y"], grades, 10) == 0.0
    assert ndcg_at(["a"], {}, 10) == 0.0
    # only the top k count
    assert ndcg_at(["x", "a"], {"a": 1}, 1) == 0.0


def test_reciprocal_rank_and_recall() -> None:
    grades = {"a": 1, "b": 1, "c": 0}
    assert reciprocal_rank(["c", "x", "b"], grades) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], grades) == 0.0
    assert recall_at(["a", "x", "b"], grades, 1) == 0.5
    assert recall_at(["a", "x", "b"], grades, 5) == 1.0
    assert recall_at(["a"], {}, 5) == 0.0


def test_summarise_averages_over_queries() -> None:
    summary = summarise([(["a"], {"a": 1}), (["x", "b"], {"b": 1})])
    assert summary.queries == 2
    assert summary.mrr == pytest.approx(0.75)
    assert summary.recall_1 == pytest.approx(0.5)
    assert summary.recall_5 == pytest.approx(1.0)
    assert summarise([]).queries == 0
