"""Which precedents count as caused by a change: "a similar past incident caused by a change" must be true."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.cli.similar_io import results_table
from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, Investigation, build_investigation
from precedent.investigation.hypotheses import precedent_hypotheses
from precedent.investigation.precedents import Parts, incident_parts, precedents_from, still_open
from precedent.investigation.results import SuspectedChange
from precedent.mcp.render import render_similar
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.notebook.tables import similar_frame
from precedent.responses import SimilarResponse
from precedent.retrieval import IncidentQuery, SimilarIncidentFinder, incident_detail
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.fusion import Signals, fuse
from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.results import Explanation, SimilarIncident
from precedent.retrieval.weights import DEFAULT_WEIGHTS
from tests.investigation.test_hypotheses import INCIDENT
from tests.test_same_words import _printed

if TYPE_CHECKING:
    from precedent.store import GraphStore

_POSED = PosedQuery(None, None, "x", "x", (), (), (), None, None, None, None, ("public",), frozenset())


def _similar(incident_id: str, root_cause: str | None, resolution: str | None) -> SimilarIncident:
    fused = fuse({incident_id: Signals(semantic=0.9)}, DEFAULT_WEIGHTS)[0]
    lesson = replace(
        extract_lesson(Node(incident_id, "Incident"), [], []), root_cause=root_cause, resolution=resolution
    )
    return SimilarIncident(
        incident_id,
        incident_id.upper(),
        "x",
        fused.score,
        None,
        Explanation(fused.contributions, (), (), None, lesson),
    )


def test_a_fix_that_was_deployed_does_not_make_a_change_the_cause() -> None:
    # GitHub's INC-93: authentication failures, "mitigated by deploying a configuration change to
    # memcached"; it was cited as "a similar past incident caused by a change".
    found = precedents_from(
        [
            _similar(
                "inc-93", "sporadic authentication failures", "deploying a configuration change to memcached"
            ),
            _similar(
                "inc-80", "an upstream model provider was degraded", "We deployed a fix to shift traffic"
            ),
            _similar("inc-138", "triggered by a routine deployment to an internal service", None),
            _similar(
                "inc-153", "a serializer drops a field", "We rolled back auth-api to 2026.11.05-a708097"
            ),
            _similar("inc-7", "a bad config", "reverted the offending commit"),
            _similar("inc-9", "disk full", None),
        ],
        Parts({}, frozenset({"inc-9"})),
    )
    assert {p.incident_id: p.caused_by_change for p in found} == {
        "inc-93": False,
        "inc-80": False,
        "inc-138": True,  # the root cause names a deploy
        "inc-153": True,  # undoing a change fixed it
        "inc-7": True,
        "inc-9": True,  # the incident names its suspected change (CAUSED_BY)
    }


async def test_still_open_reads_each_precedent_as_it_was_at_the_declaration(
    embedded_store: GraphStore,
) -> None:
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    started = at - timedelta(days=2)
    await embedded_store.upsert_nodes(
        [
            # Resolved before the declaration, resolved after it (a replay), never resolved, declined.
            Node("inc-a", "Incident", {"resolved_at": (at - timedelta(days=1)).isoformat()}, started),
            Node("inc-b", "Incident", {"resolved_at": (at + timedelta(days=1)).isoformat()}, started),
            Node("inc-c", "Incident", {"status_category": "live"}, started),
            Node("inc-d", "Incident", {"status_category": "declined"}, started),
        ]
    )
    ids = ["inc-a", "inc-b", "inc-c", "inc-d", "inc-missing"]
    assert await still_open(embedded_store, ids, at) == {"inc-b", "inc-c"}
    assert await still_open(embedded_store, [], at) == frozenset()


def test_a_precedent_still_open_at_the_declaration_claims_no_resolution() -> None:
    similar = [
        _similar("inc-1", "a bad config", "We rolled back the load balancer config"),
        _similar("inc-2", "a bad config", "We rolled back the load balancer config"),
    ]
    found = precedents_from(similar, Parts({}, frozenset()), frozenset({"inc-2"}))
    assert [(p.incident_id, p.resolution) for p in found] == [
        ("inc-1", "We rolled back the load balancer config"),
        ("inc-2", None),  # resolved after the declaration: hindsight
    ]
    assert [p.root_cause for p in found] == ["a bad config", "a bad config"]
    # Flagged, so a page can say it was still open rather than that no fix was recorded.
    assert [p.open_at_declaration for p in found] == [False, True]
    # A lesson its updates told is what was known by its end: none of it, for one still open then.
    told = replace(
        similar[1],
        explanation=replace(
            similar[1].explanation, lesson=replace(similar[1].explanation.lesson, from_updates=True)
        ),
    )
    [kept, left] = precedents_from(
        [replace(told, incident_id="inc-3"), told], Parts({}, frozenset()), frozenset({"inc-2"})
    )
    assert (kept.root_cause, kept.resolution, kept.from_updates) == (
        "a bad config",
        "We rolled back the load balancer config",
        True,
    )
    assert (left.root_cause, left.resolution, left.from_updates) == (None, None, False)


async def _investigate_a_repeat(
    store: GraphStore,
    text: str,
    at: tuple[datetime, datetime],
    past: dict[str, str],
    parts: tuple[list[Node], list[Edge]] = ([], []),
) -> Investigation:
    """INC-2, declared at ``at[0]`` on svc-1 as ``text``, investigated; INC-1 started there at ``at[1]``."""
    declared, started = at
    await store.upsert_nodes(
        [
            Node("svc-1", "Service", {"name": "payments"}),
            Node("inc-1", "Incident", {"reference": "INC-1", "name": text, **past}, started, text=text),
            Node(
                "inc-2",
                "Incident",
                {"reference": "INC-2", "name": text, "status_category": "closed"},
                declared,
                text=text,
            ),
            *parts[0],
        ]
    )
    await store.upsert_edges(
        [Edge("inc-1", "AFFECTS", "svc-1"), Edge("inc-2", "AFFECTS", "svc-1"), *parts[1]]
    )
    finder = SimilarIncidentFinder(store, HashEmbedder())
    return await build_investigation(
        IncidentQuery("INC-2"), Collaborators(store, finder, Catalog(store)), OWNER_VIEWER
    )


async def test_an_investigation_never_says_how_a_precedent_still_open_then_was_resolved(
    embedded_store: GraphStore,
) -> None:
    # INC-1 started on payments and was resolved a day after INC-2 was declared there: an
    # investigation of INC-2 (a replay) cites it, but not the fix nobody knew of yet.
    declared = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    fix = "We rolled back the payments connection pool change"
    text = "Payments API returning 500s: connection pool exhausted"
    postmortem = [
        Node("pm-1", "Postmortem", {"title": "INC-1"}, declared + timedelta(days=2)),
        Node("pm-1-c", "PostmortemChunk", {"heading": "Post-mortem > Resolution"}, text=f"Resolution\n{fix}"),
    ]
    investigation = await _investigate_a_repeat(
        embedded_store,
        text,
        (declared, declared - timedelta(hours=1)),
        {"resolved_at": (declared + timedelta(days=1)).isoformat()},
        (postmortem, [Edge("inc-1", "HAS_POSTMORTEM", "pm-1"), Edge("pm-1", "HAS_CHUNK", "pm-1-c")]),
    )
    [precedent] = [p for p in investigation.similar if p.incident_id == "inc-1"]
    assert precedent.resolution is None
    said = investigation.summary_markdown + " ".join(h.statement for h in investigation.hypotheses)
    assert "rolled back" not in said
    assert "resolved by" not in said
    # Once it was over, its fix is the lesson it teaches.
    later = await SimilarIncidentFinder(embedded_store, HashEmbedder()).find(IncidentQuery("INC-2"))
    [lesson] = [r.explanation.lesson for r in later.results if r.incident_id == "inc-1"]
    assert fix in (lesson.resolution or "")


async def _repeat_without_a_postmortem(
    store: GraphStore,
    cause: str = "We've identified the cause: the cluster ran out of nodes for auth-api.",
    fix: str = "Mitigation applied: we added nodes manually.",
) -> Investigation:
    """INC-2 investigated; INC-1, five days before, has no post-mortem but posted ``cause`` and ``fix``."""
    declared = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    started = declared - timedelta(days=5)
    identified, fixed = started + timedelta(minutes=30), started + timedelta(minutes=50)
    updates = [
        Node("u-1", "IncidentUpdate", {"message": "CPU throttling on auth-api."}, started, text="x"),
        Node("u-2", "IncidentUpdate", {"message": cause}, identified, text="x"),
        Node("u-3", "IncidentUpdate", {"message": fix}, fixed, text="x"),
    ]
    return await _investigate_a_repeat(
        store,
        "auth-api slow under load",
        (declared, started),
        {
            "status_category": "closed",
            "identified_at": identified.isoformat(),
            "fixed_at": fixed.isoformat(),
            "resolved_at": (fixed + timedelta(minutes=10)).isoformat(),
        },
        (updates, [Edge("inc-1", "HAS_UPDATE", u.id) for u in updates]),
    )


async def test_a_precedent_without_a_postmortem_says_what_its_responders_found(
    embedded_store: GraphStore,
) -> None:
    # The demo's INC-194, "auth-api slow under load" five days before, the same failure again:
    # no post-mortem, but its Identified and Monitoring updates said the cause and the fix. The
    # investigation showed neither and made no hypothesis of it.
    investigation = await _repeat_without_a_postmortem(embedded_store)
    [precedent] = [p for p in investigation.similar if p.incident_id == "inc-1"]
    # Without "We've identified the cause:" and "Mitigation applied:" (lessons.informative_part).
    assert (precedent.root_cause, precedent.resolution) == (
        "the cluster ran out of nodes for auth-api.",
        "we added nodes manually.",
    )
    assert precedent.from_updates  # no post-mortem wrote it up: it ranks below one that did
    [hypothesis] = [h for h in investigation.hypotheses if h.kind == "precedent"]
    assert "ran out of nodes" in hypothesis.statement
    assert "added nodes manually" in hypothesis.statement


async def test_similar_incidents_read_a_lesson_without_a_postmortem_as_investigations_do(
    embedded_store: GraphStore,
) -> None:
    # The similar-incidents API, MCP, the CLI and notebook 02 took lessons from post-mortems only:
    # INC-1 showed no cause there while the investigation of the same incident gave one.
    investigation = await _repeat_without_a_postmortem(embedded_store)
    [precedent] = [p for p in investigation.similar if p.incident_id == "inc-1"]
    found = await SimilarIncidentFinder(embedded_store, HashEmbedder()).find(IncidentQuery("INC-2"))
    [lesson] = [r.explanation.lesson for r in found.results if r.incident_id == "inc-1"]
    assert (lesson.root_cause, lesson.resolution, lesson.from_updates) == (
        precedent.root_cause,
        precedent.resolution,
        True,
    )
    answer = SimilarResponse.from_results(found)
    [result] = [r for r in answer.results if r.incident_id == "inc-1"]
    assert result.model_dump(mode="json")["explanation"]["lesson"]["from_updates"] is True
    said = f"{precedent.cause_said}: {precedent.root_cause}"
    assert said.startswith("root cause (as its status updates said; no post-mortem): the cluster ran")
    assert said in render_similar(answer)
    assert said in " ".join(_printed(results_table(found)).split())
    [row] = similar_frame(answer).query("incident_id == 'inc-1'").to_dict("records")
    assert (row["root_cause"], row["from_updates"]) == (precedent.root_cause, True)
    # Its own page (and MCP's get_incident) teach the same lesson.
    detail = await incident_detail(embedded_store, Catalog(embedded_store), "INC-1", OWNER_VIEWER)
    assert (detail.lesson.root_cause, detail.lesson.from_updates) == (precedent.root_cause, True)


async def test_a_precedent_says_which_service_its_suspected_change_was_to(embedded_store: GraphStore) -> None:
    # A change hypothesis cites it only for a change like it (hypotheses.supports): that needs
    # the service the change was to, two hops away (CAUSED_BY, then CHANGED).
    await embedded_store.upsert_nodes(
        [
            Node("inc-1", "Incident", {"reference": "INC-1"}),
            Node("chg-1", "ChangeEvent", {"kind": "deployment"}),
            Node("svc-1", "Service", {"name": "checkout"}),
        ]
    )
    await embedded_store.upsert_edges(
        [Edge("inc-1", "CAUSED_BY", "chg-1"), Edge("chg-1", "CHANGED", "svc-1")]
    )
    parts = await incident_parts(embedded_store, [("inc-1", "INC-1")], ("public",))
    assert parts.caused == {"inc-1"}
    assert parts.suspected == {"inc-1": (SuspectedChange("chg-1", "checkout", "deploy"),)}
    [found] = precedents_from([_similar("inc-1", "a bad deploy", None)], parts)
    assert found.suspected_changes == (SuspectedChange("chg-1", "checkout", "deploy"),)


async def test_a_fix_told_without_a_cause_says_where_it_came_from(embedded_store: GraphStore) -> None:
    # The Identified update only said where the work stood, so no cause was read, only the fix:
    # the note sat on the missing cause ("not recorded (as its status updates said...)") or
    # nowhere, and the fix read as a written-up finding.
    investigation = await _repeat_without_a_postmortem(embedded_store, cause="The issue has been identified.")
    [precedent] = [p for p in investigation.similar if p.incident_id == "inc-1"]
    assert (precedent.root_cause, precedent.from_updates) == (None, True)
    said = "resolved by (as its status updates said; no post-mortem): we added nodes manually"
    [hypothesis] = [h for h in investigation.hypotheses if h.kind == "precedent"]
    assert said in hypothesis.statement
    assert said in investigation.summary_markdown
    found = await SimilarIncidentFinder(embedded_store, HashEmbedder()).find(IncidentQuery("INC-2"))
    assert said in " ".join(_printed(results_table(found)).split())
    assert said in render_similar(SimilarResponse.from_results(found))


@pytest.mark.contract
async def test_an_open_follow_up_of_a_precedent_names_whom_it_is_assigned_to(store: GraphStore) -> None:
    # A recurrence whose follow-up is still open: the first look said the follow-up was open but
    # not who had it, the person the responder needs to ask how far it got.
    declared = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    text = "Payments API returning 500s: connection pool exhausted"
    fix = "Resolution\nWe rolled back the payments connection pool change"
    parts = [
        Node("pm-1", "Postmortem", {"title": "INC-1"}, declared - timedelta(days=2)),
        Node("pm-1-c", "PostmortemChunk", {"heading": "Post-mortem > Resolution"}, text=fix),
        *(
            Node(fid, "FollowUp", {"incident_id": "inc-1", "title": title, "status": "outstanding"})
            for fid, title in (("fu-1", "Alert on pool use"), ("fu-2", "Load test the pool"))
        ),
        Node("user-ana", "User", {"name": "Ana Ruiz", "email": "ana@example.com"}),
    ]
    edges = [
        Edge("inc-1", "HAS_POSTMORTEM", "pm-1"),
        Edge("pm-1", "HAS_CHUNK", "pm-1-c"),
        Edge("inc-1", "HAS_FOLLOW_UP", "fu-1"),
        Edge("inc-1", "HAS_FOLLOW_UP", "fu-2"),
        Edge("fu-1", "ASSIGNED_TO", "user-ana"),
    ]
    investigation = await _investigate_a_repeat(
        store,
        text,
        (declared, declared - timedelta(days=3)),
        {"resolved_at": (declared - timedelta(days=3, hours=-1)).isoformat()},
        (parts, edges),
    )
    assert {(f.id, f.assignee) for f in investigation.follow_ups} == {("fu-1", "Ana Ruiz"), ("fu-2", None)}
    # What it affected is read in the same call: shared with INC-2, not said.
    [precedent] = [p for p in investigation.similar if p.incident_id == "inc-1"]
    assert precedent.services == ("payments",)
    assert "(3 days before) again" in investigation.hypotheses[0].statement
    [hypothesis] = [h for h in investigation.hypotheses if h.evidence[0].id == "inc-1"]
    assert "(Alert on pool use (Ana Ruiz); Load test the pool): apply them" in hypothesis.advice
    assert ("fu-1", "still open, assigned to Ana Ruiz") in {(e.id, e.why) for e in hypothesis.evidence}


def test_a_precedent_far_in_meaning_is_weighed_so_whatever_its_rank_earned_it() -> None:
    # The demo's tuned weights give the cosine's rank most of the score: the best match of a
    # description no past incident resembles scored as the best of close ones, and its
    # hypothesis was ranked at the precedent ceiling. Its semantic value is kept to weigh it.
    weights = replace(DEFAULT_WEIGHTS, semantic_rank=0.5)
    lesson = extract_lesson(Node("x", "Incident"), [], [])
    similar = []
    for incident_id, signals in (
        ("inc-far", Signals(semantic=0.17, semantic_rank=1.0)),
        ("inc-close", Signals(semantic=0.8, semantic_rank=0.5)),
    ):
        fused = fuse({incident_id: signals}, weights)[0]
        lessoned = replace(lesson, root_cause="a bad config", resolution="rolled back the config")
        explanation = Explanation(fused.contributions, (), (), None, lessoned)
        similar.append(SimilarIncident(incident_id, incident_id.upper(), "x", fused.score, None, explanation))
    found = precedents_from(similar, Parts({}, frozenset()))
    assert [(p.incident_id, p.closeness) for p in found] == [("inc-far", 0.17), ("inc-close", 0.8)]
    assert found[0].score > found[1].score
    confidence = {h.evidence[0].id: h.confidence for h in precedent_hypotheses(INCIDENT, found)}
    assert confidence["inc-far"] < confidence["inc-close"]


async def test_a_replay_cites_the_follow_ups_open_at_the_declaration(embedded_store: GraphStore) -> None:
    # A replay of an incident declared months ago cited the follow-ups raised since as "still
    # open" work to apply, and left out those finished since, which were open then.
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    day = timedelta(days=1)
    follow_ups = [
        # id, raised, completed (None: not yet), status now
        ("fu-open", at - 9 * day, None, "outstanding"),
        ("fu-done-since", at - 9 * day, at + day, "completed"),
        ("fu-done-before", at - 9 * day, at - day, "completed"),
        ("fu-raised-since", at + day, None, "outstanding"),
    ]
    await embedded_store.upsert_nodes(
        [
            Node("inc-1", "Incident", {"reference": "INC-1"}, at - 10 * day),
            *(
                Node(
                    fid,
                    "FollowUp",
                    {"incident_id": "inc-1", "title": fid, "status": status}
                    | ({"completed_at": done.isoformat()} if done else {}),
                    raised,
                )
                for fid, raised, done, status in follow_ups
            ),
        ]
    )
    await embedded_store.upsert_edges([Edge("inc-1", "HAS_FOLLOW_UP", f[0]) for f in follow_ups])
    then = await incident_parts(embedded_store, [("inc-1", "INC-1")], ("public",), at)
    assert [f.id for f in then.follow_ups["inc-1"]] == ["fu-done-since", "fu-open"]
    now = await incident_parts(embedded_store, [("inc-1", "INC-1")], ("public",))
    assert [f.id for f in now.follow_ups["inc-1"]] == ["fu-open", "fu-raised-since"]
