"""Turning raw evidence into signal values, with plain values (no store, no model)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import precedent.retrieval as retrieval
from precedent.model import Edge, Node
from precedent.retrieval.candidates import GraphHits, ServiceNeighbourhood
from precedent.retrieval.context import CandidateFacts
from precedent.retrieval.paths import service_routes
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.signals import Evidence, measure, nearest_hops
from precedent.retrieval.weights import DEFAULT_WEIGHTS

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _posed() -> PosedQuery:
    return PosedQuery(
        incident_id="q", reference="INC-9", name="db down", text="db down", service_ids=("checkout",),
        service_names=("checkout",), unknown_services=(), severity="SEV1", incident_type="Outage",
        declared_at=NOW, before=NOW, visibilities=("public",), exclude=frozenset({"q"}),
    )  # fmt: skip


def _unit(values: list[float]) -> np.ndarray:  # type: ignore[type-arg]
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)  # type: ignore[no-any-return]


def test_measure_combines_every_kind_of_evidence() -> None:
    routes = service_routes(["checkout"], [Edge("checkout", "DEPENDS_ON", "db")], max_hops=2)
    hood = ServiceNeighbourhood(routes, frozenset({"team-pay"}), {"ledger": ("checkout", "team-pay")}, {})
    evidence = Evidence(
        vector=_unit([1, 0]),
        vector_hits={},
        part_hits={"b": 0.9},
        lexical_hits={"a": 4.0, "b": 2.0},
        graph=GraphHits(frozenset({"a", "b"}), {"db": 3}),
        hood=hood,
    )
    a = Node("a", "Incident", {"severity": "sev1", "incident_type": "Outage"}, NOW - timedelta(days=365),
             embedding=_unit([1, 1]))  # fmt: skip
    b = Node("b", "Incident", {"severity": "SEV2"}, NOW - timedelta(days=1))
    facts = {
        "a": CandidateFacts(a, frozenset({"checkout"}), frozenset({"team-web"}), related_links=1),
        "b": CandidateFacts(b, frozenset({"db"}), frozenset({"team-pay"}), related_links=0),
    }
    signals = measure(_posed(), evidence, facts, DEFAULT_WEIGHTS, NOW)
    sa, sb = signals["a"], signals["b"]
    # a: exact cosine from its embedding (0.707), same service, same type/severity, a year old
    assert sa.semantic == pytest.approx((0.7071 - 0.1) / 0.9, abs=1e-3)
    assert (sa.lexical, sa.same_service, sa.dependency_path) == (1.0, 1.0, 0.0)
    assert (sa.same_type, sa.same_severity, sa.same_team) == (1.0, 1.0, 0.0)
    assert sa.recency == pytest.approx(0.5, abs=1e-2)
    assert sa.recurrence == pytest.approx(0.5)
    # b: its post-mortem matched, one DEPENDS_ON hop away, same team, two other incidents on db
    assert sb.semantic == pytest.approx((0.9 - 0.1) / 0.9)
    assert (sb.lexical, sb.same_service, sb.dependency_path, sb.same_team) == (0.5, 0.0, 1.0, 1.0)
    assert sb.recurrence == pytest.approx(2 / 6)
    # ranks: a leads BM25 (4.0 vs 2.0), b leads the cosines (0.9 vs 0.707); a shares a service.
    # Two candidates: the rank constant is 2, so second place is worth 3/4 of first.
    assert (sa.lexical_rank, sb.lexical_rank) == (1.0, pytest.approx(3 / 4))
    assert (sb.semantic_rank, sa.semantic_rank) == (1.0, pytest.approx(3 / 4))
    assert (sa.shares_service, sb.shares_service) == (1.0, 0.0)
    assert nearest_hops(frozenset({"db", "checkout"}), hood) == 0
    assert nearest_hops(frozenset({"elsewhere"}), hood) is None


def test_several_services_named_overlap_and_sharing() -> None:
    posed = dataclasses.replace(_posed(), service_ids=("checkout", "db"), service_names=("checkout", "db"))
    hood = ServiceNeighbourhood({}, frozenset(), {}, {})
    evidence = Evidence(None, {}, {}, {}, GraphHits(frozenset({"a"}), {}), hood)
    node = Node("a", "Incident", {}, NOW - timedelta(days=3))
    facts = {"a": CandidateFacts(node, frozenset({"db", "cache", "queue"}), frozenset(), related_links=0)}
    signals = measure(posed, evidence, facts, DEFAULT_WEIGHTS, NOW)["a"]
    # Ochiai: one shared of 2 x 3 named; sharing: any one in common. No text: no semantic order.
    assert signals.same_service == pytest.approx(1 / math.sqrt(6))
    assert (signals.shares_service, signals.semantic_rank, signals.lexical_rank) == (1.0, 0.0, 0.0)


def test_public_surface() -> None:
    assert set(retrieval.__all__) == {
        "Catalog", "NeighbourhoodQuery", "find_neighbourhood", "truncation_note", "NAME_MAX_CHARS",
        "SUMMARY_MAX_CHARS", "SIMILAR_MAX_RESULTS", "SIMILAR_DEFAULT_RESULTS", "SERVICES_MAX", "EXCLUDE_MAX",
        "MAX_NEIGHBOURHOOD_DEPTH",
        "MAX_NEIGHBOURHOOD_NODES", "DEFAULT_NEIGHBOURHOOD_DEPTH", "DEFAULT_NEIGHBOURHOOD_NODES",
        "DEFAULT_WEIGHTS", "DescribedQuery", "Explanation", "FollowUpSummary", "GraphPath", "IncidentQuery",
        "Lesson", "Limits", "PosedQuery", "SimilarIncident", "SimilarIncidentFinder",
        "SimilarOptions", "SimilarQuery", "SimilarResults", "Weights",
        "IncidentDetail", "incident_detail", "KINDS", "MapHit", "SearchKind", "SearchMode", "search_map",
        "SEARCH_DEFAULT_LIMIT", "SEARCH_MAX_CHARS", "SEARCH_MAX_RESULTS", "SearchQuery",
        "KINDS_PATTERN", "kinds_in", "incidents_named",
    }  # fmt: skip
    for name in retrieval.__all__:
        assert getattr(retrieval, name) is not None
