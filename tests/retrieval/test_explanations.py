"""Pure explanation parts: matched terms, lessons from post-mortem chunks, graph paths, JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from precedent.model import Edge, Node
from precedent.responses import SimilarResponse
from precedent.retrieval.fusion import Signals, fuse
from precedent.retrieval.lessons import extract_lesson, section_of
from precedent.retrieval.paths import incident_path, service_routes, team_path
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.results import Explanation, SimilarIncident, SimilarResults
from precedent.retrieval.terms import matched_terms, terms
from precedent.retrieval.weights import DEFAULT_WEIGHTS


def test_terms_drop_stop_words_and_boilerplate() -> None:
    assert terms("We are investigating reports of degraded performance for Actions runners") == [
        "actions",
        "runners",
    ]
    assert terms("Redis redis REDIS failover 500 errors") == ["redis", "failover", "errors"]


def test_matched_terms_keep_query_order() -> None:
    query = terms("Checkout latency: payments-db connection pool exhausted")
    assert matched_terms(query, "The connection pool on payments-db was exhausted by a deploy") == (
        "payments-db",
        "connection",
        "pool",
        "exhausted",
    )


def test_matched_terms_leave_out_narration_both_texts_share() -> None:
    query = terms("Connection pool timeout, seems it started around 14:00 after the deploy")
    past = "It seems the pool started to time out around noon: connection timeout on every deploy"
    assert matched_terms(query, past) == ("connection", "pool", "timeout", "deploy")


def test_sections_are_found_by_heading() -> None:
    assert section_of("Root cause") == "root_cause"
    assert section_of("## Resolution and recovery") == "resolution"
    assert section_of("Lessons learned") == "learnings"
    assert section_of("Timeline") is None


def _chunk(n: int, heading: str, text: str) -> Node:
    return Node(
        f"pm:{n}", "PostmortemChunk", {"heading": heading, "position": n, "incident_id": "i"}, text=text
    )


def test_extract_lesson_from_headed_chunks_and_follow_ups() -> None:
    incident = Node(
        "i", "Incident", {"severity": "SEV1", "incident_type": "Outage", "duration_seconds": 3600}
    )
    chunks = [
        _chunk(2, "Resolution", "We rolled back the pool size change."),
        _chunk(1, "Root cause", "## Root cause\nA config change halved the connection pool."),
        _chunk(0, "Timeline", "10:00 alerts fired."),
    ]
    follow_ups = [
        Node("f2", "FollowUp", {"title": "Alert on pool saturation", "status": "outstanding"}),
        Node("f1", "FollowUp", {"title": "Add pool size to review checklist", "status": "completed"}),
    ]
    lesson = extract_lesson(incident, chunks, follow_ups)
    assert lesson.root_cause == "A config change halved the connection pool."
    assert lesson.resolution == "We rolled back the pool size change."
    assert lesson.duration_seconds == 3600
    assert lesson.severity == "SEV1"
    assert [(f.title, f.open) for f in lesson.follow_ups] == [
        ("Add pool size to review checklist", False),
        ("Alert on pool saturation", True),
    ]
    assert lesson.open_follow_ups == 1


def test_extract_lesson_from_an_unheaded_write_up() -> None:
    text = (
        "On May 3 we saw failures. The root cause was an expired certificate on the proxy. "
        "We mitigated by rotating the certificate."
    )
    lesson = extract_lesson(Node("i", "Incident"), [_chunk(0, "", text)], [])
    assert lesson.root_cause == "The root cause was an expired certificate on the proxy."
    assert lesson.resolution == "We mitigated by rotating the certificate."
    assert lesson.learnings is None


def test_service_routes_walk_depends_on_both_ways_with_stable_ties() -> None:
    edges = [
        Edge("checkout", "DEPENDS_ON", "payments-db"),
        Edge("ledger", "DEPENDS_ON", "payments-db"),
        Edge("checkout", "OWNED_BY", "team"),
        Edge("search", "DEPENDS_ON", "ledger"),
    ]
    routes = service_routes(["checkout"], edges, max_hops=2)
    assert routes["checkout"].hops == 0
    assert routes["payments-db"].steps == (("DEPENDS_ON", True, "payments-db"),)
    assert routes["ledger"].steps == (("DEPENDS_ON", True, "payments-db"), ("DEPENDS_ON", False, "ledger"))
    assert "search" not in routes
    assert "team" not in routes


def test_incident_path_text() -> None:
    routes = service_routes(["svc-c"], [Edge("svc-c", "DEPENDS_ON", "svc-p")], max_hops=2)
    names = {"svc-c": "checkout", "svc-p": "payments-db"}
    path = incident_path("INC-90", routes["svc-p"], "INC-47", names)
    assert str(path) == "INC-90 -AFFECTS-> checkout -DEPENDS_ON-> payments-db <-AFFECTS- INC-47"
    assert path.kind == "dependency"
    assert path.hops == 1
    same = incident_path("INC-90", routes["svc-c"], "INC-12", names)
    assert str(same) == "INC-90 -AFFECTS-> checkout <-AFFECTS- INC-12"
    team = team_path(
        "INC-90", ("svc-c", "t", "svc-l"), "INC-5", {**names, "t": "payments", "svc-l": "ledger"}
    )
    assert str(team) == "INC-90 -AFFECTS-> checkout -OWNED_BY-> payments <-OWNED_BY- ledger <-AFFECTS- INC-5"


def test_results_json_shape_is_plain_and_stable() -> None:
    query = PosedQuery(
        incident_id="q",
        reference="INC-90",
        name="Checkout errors",
        text="Checkout errors",
        service_ids=("svc-c",),
        service_names=("checkout",),
        unknown_services=(),
        severity="SEV1",
        incident_type=None,
        declared_at=datetime(2024, 1, 2, tzinfo=UTC),
        before=datetime(2024, 1, 2, tzinfo=UTC),
        visibilities=("public",),
        exclude=frozenset({"q"}),
    )
    fused = fuse({"p": Signals(semantic=0.8, same_service=1.0)}, DEFAULT_WEIGHTS)[0]
    routes = service_routes(["svc-c"], [], 2)
    explanation = Explanation(
        contributions=fused.contributions,
        matched_terms=("checkout",),
        shared_services=("checkout",),
        path=incident_path("INC-90", routes["svc-c"], "INC-47", {"svc-c": "checkout"}),
        lesson=extract_lesson(Node("p", "Incident"), [], []),
    )
    result = SimilarIncident("p", "INC-47", "Checkout 500s", fused.score, None, explanation)
    payload = SimilarResponse.from_results(SimilarResults(query, (result,))).model_dump(mode="json")
    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) == {"query", "results"}
    [row] = payload["results"]  # type: ignore[misc]
    assert {"incident_id", "reference", "name", "score", "explanation"} <= set(row)
    assert row["explanation"]["path"] == "INC-90 -AFFECTS-> checkout <-AFFECTS- INC-47"
    assert row["explanation"]["contributions"]["same_service"]["points"] == DEFAULT_WEIGHTS.same_service
    assert [c.signal for c in explanation.top_reasons(2)] == ["semantic", "same_service"]
    assert row["explanation"]["reasons"] == ["similar in meaning", "same service: checkout"]


def test_reasons_read_as_words_a_responder_understands() -> None:
    # A responder read "lexical rank, semantic rank, semantic": the ranking's names, each half
    # twice, and nothing they could check against the incident.
    signals = Signals(semantic=0.9, semantic_rank=0.9, lexical=0.8, lexical_rank=0.8, same_service=1.0)
    fused = fuse({"p": signals}, DEFAULT_WEIGHTS)[0]
    lesson = extract_lesson(Node("p", "Incident"), [], [])
    explanation = Explanation(fused.contributions, ("pool", "timeout"), ("payments-api",), None, lesson)
    reasons = explanation.reasons()
    assert sorted(reasons) == [
        "same service: payments-api",
        "shares words: pool, timeout",
        "similar in meaning",
    ]
    assert not any(re.search(r"rank|lexical|semantic|_", r) for r in reasons), reasons


def test_progress_notes_are_not_taken_for_findings() -> None:
    text = (
        "* [2026-07-22 21:00] **Investigating**: We continue to investigate the root cause.\n"
        "* [2026-07-22 22:01] **Resolved**: The incident was caused by an unhealthy backend. "
        "Due to load, queues grew. We mitigated the incident by failing over to a healthy region."
    )
    lesson = extract_lesson(Node("i", "Incident"), [_chunk(0, "", text)], [])
    assert lesson.root_cause == "The incident was caused by an unhealthy backend."
    assert lesson.resolution == "We mitigated the incident by failing over to a healthy region."
