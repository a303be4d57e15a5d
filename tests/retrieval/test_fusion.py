"""Pure fusion: normalisation of each signal and the weighted sum, with plain values (no store)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from precedent.retrieval.fusion import (
    SIGNALS,
    Signals,
    dependency_value,
    fuse,
    max_normalise,
    overlap,
    rank_values,
    recency_value,
    recurrence_value,
    same_value,
    saturate,
    semantic_value,
)
from precedent.retrieval.weights import DEFAULT_WEIGHTS, RRF_WEIGHTS, Weights


def test_signals_cover_every_weight() -> None:
    weight_names = {f.name for f in dataclasses.fields(Weights)}
    assert set(SIGNALS) <= weight_names
    assert len(SIGNALS) == 12


def test_signals_reject_values_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="semantic"):
        Signals(semantic=1.5)
    with pytest.raises(ValueError, match="lexical"):
        Signals(lexical=float("nan"))


def test_fuse_is_the_weighted_sum_and_orders_by_score_then_id() -> None:
    weights = Weights(
        semantic=1.0,
        lexical=0.5,
        same_service=0.0,
        dependency_path=0.0,
        same_team=0.0,
        same_type=0.0,
        same_severity=0.0,
        recency=0.0,
        recurrence=0.0,
    )
    fused = fuse(
        {
            "b": Signals(semantic=0.5),
            "a": Signals(semantic=0.5),
            "c": Signals(semantic=0.2, lexical=1.0),
        },
        weights,
    )
    assert [f.incident_id for f in fused] == ["c", "a", "b"]
    assert fused[0].score == pytest.approx(0.7)
    by_signal = {c.signal: c for c in fused[0].contributions}
    assert by_signal["lexical"].points == pytest.approx(0.5)
    assert math.fsum(c.points for c in fused[0].contributions) == fused[0].score


def test_fuse_is_deterministic_whatever_the_input_order() -> None:
    items = {str(i): Signals(semantic=(i % 3) / 3, recency=(i % 2) / 2) for i in range(30)}
    reversed_items = dict(reversed(list(items.items())))
    assert fuse(items, DEFAULT_WEIGHTS) == fuse(reversed_items, DEFAULT_WEIGHTS)


def test_semantic_value_rescales_above_the_floor() -> None:
    assert semantic_value(0.1, 0.1) == 0.0
    assert semantic_value(-0.5, 0.1) == 0.0
    assert semantic_value(1.0, 0.1) == 1.0
    assert semantic_value(0.55, 0.1) == pytest.approx(0.5)


def test_max_normalise() -> None:
    assert max_normalise({"a": 4.0, "b": 2.0, "c": -1.0}) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert max_normalise({"a": 0.0}) == {"a": 0.0}
    assert max_normalise({}) == {}


def test_rank_values_are_reciprocal_ranks_scaled_to_the_first_place() -> None:
    values = rank_values({"b": 2.0, "a": 2.0, "c": 9.0})
    assert values == {"c": 1.0, "a": pytest.approx(61 / 62), "b": pytest.approx(61 / 63)}  # ties by id
    deep = rank_values({f"i{n:03d}": float(n) for n in range(100)})
    assert deep["i099"] == 1.0
    assert deep["i040"] == pytest.approx(61 / 120)  # rank 60: still counted
    assert deep["i039"] == 0.0  # rank 61: beyond the depth, as if never returned
    assert rank_values({}) == {}


def test_rank_constant_scales_with_a_small_candidate_pool() -> None:
    scores = {"a": 3.0, "b": 2.0, "c": 1.0}
    # four candidates (one without a score here): constant 4, the last of four worth 5/8 of first
    small = rank_values(scores, candidates=4)
    assert small == {"a": 1.0, "b": pytest.approx(5 / 6), "c": pytest.approx(5 / 7)}
    # a pool of 60 or more is plain reciprocal-rank fusion
    assert rank_values(scores, candidates=500) == rank_values(scores)
    assert rank_values(scores, candidates=60)["b"] == pytest.approx(61 / 62)


def test_rrf_weights_are_reciprocal_rank_fusion_with_a_service_boost() -> None:
    # in both lists at ranks 2 and 3 beats first in one list; a shared service is worth a first place
    both = Signals(lexical_rank=61 / 62, semantic_rank=61 / 63)
    first_once = Signals(lexical_rank=1.0)
    service = Signals(semantic_rank=61 / 120, shares_service=1.0)
    ranked = fuse({"both": both, "first": first_once, "service": service}, RRF_WEIGHTS)
    assert [f.incident_id for f in ranked] == ["both", "service", "first"]
    scores = {f.incident_id: f.score for f in ranked}
    assert scores["both"] / 0.2 / 61 == pytest.approx(1 / 62 + 1 / 63)


def test_overlap_prefers_focused_incidents() -> None:
    assert overlap(["x"], ["x"]) == 1.0
    assert overlap(["x"], ["x", "y", "z", "w"]) == pytest.approx(0.5)
    assert overlap(["x"], ["y"]) == 0.0
    assert overlap([], ["y"]) == 0.0


def test_dependency_value_decays_per_hop() -> None:
    assert dependency_value(None, 0.5, 2) == 0.0
    assert dependency_value(0, 0.5, 2) == 0.0
    assert dependency_value(1, 0.5, 2) == 1.0
    assert dependency_value(2, 0.5, 2) == 0.5
    assert dependency_value(3, 0.5, 2) == 0.0


def test_recency_value_halves_every_half_life() -> None:
    assert recency_value(0, 365) == 1.0
    assert recency_value(365, 365) == pytest.approx(0.5)
    assert recency_value(730, 365) == pytest.approx(0.25)
    assert recency_value(-3, 365) == 1.0


def test_recurrence_saturates() -> None:
    assert recurrence_value(0, 0) == 0.0
    assert recurrence_value(1, 0) == pytest.approx(0.5)
    assert recurrence_value(0, 4) == pytest.approx(0.5)
    assert 0.9 < recurrence_value(20, 0) < 1.0
    assert saturate(3, 1) == pytest.approx(0.75)


def test_same_value_ignores_case_and_unknowns() -> None:
    assert same_value("SEV1", " sev1 ") == 1.0
    assert same_value("SEV1", "SEV2") == 0.0
    assert same_value(None, "SEV2") == 0.0
    assert same_value("", "") == 0.0


def test_weights_are_frozen_and_validated() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_WEIGHTS.semantic = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="half_life_days"):
        Weights(half_life_days=0)
    assert dataclasses.replace(DEFAULT_WEIGHTS, lexical=0.3).lexical == 0.3
