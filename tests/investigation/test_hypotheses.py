"""The pure hypothesis functions: what ranks higher, and that nothing is said without evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from precedent.investigation.hypotheses import (
    age_text,
    change_confidence,
    change_hypotheses,
    dependency_hypotheses,
    precedent_hypotheses,
    supports,
)
from precedent.investigation.ranking import rank_hypotheses
from precedent.investigation.recurrence import recurrence_hypotheses
from precedent.investigation.results import (
    Change,
    FollowUp,
    IncidentBrief,
    InvestigatedIncident,
    Precedent,
    RelatedService,
    ServiceContext,
    SuspectedChange,
)

DECLARED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
INCIDENT = InvestigatedIncident(
    id="inc-1",
    reference="INC-1",
    name="Checkout failing",
    summary="",
    status=None,
    severity="SEV1",
    incident_type=None,
    declared_at=DECLARED,
    visibility="public",
    url=None,
    service_ids=("svc-checkout",),
    service_names=("checkout",),
    unknown_services=(),
)


def change(
    id: str = "chg-1", minutes: float = 10, hops: int = 0, relation: str = "affected", kind: str = "deploy"
) -> Change:
    return Change(
        id=id,
        service_id="svc",
        service_name="payments-api" if hops else "checkout",
        kind=kind,  # type: ignore[arg-type]
        summary=None,
        version="1.2.3",
        author="alice",
        started_at=DECLARED - timedelta(minutes=minutes),
        finished_at=None,
        url=None,
        commit_sha=None,
        repository=None,
        source="api",
        relation=relation,  # type: ignore[arg-type]
        hops=hops,
        via="checkout",
        minutes_before=minutes,
    )


def precedent(
    id: str = "inc-0", score: float = 0.8, root_cause: str | None = "A bad deploy", caused: bool = False
) -> Precedent:
    return Precedent(
        incident_id=id,
        reference=id.upper(),
        name="Checkout down",
        score=score,
        started_at=DECLARED - timedelta(days=21),
        root_cause=root_cause,
        resolution="Rolled back",
        duration_seconds=3600,
        reasons=("semantic",),
        path=None,
        shared_services=("checkout",),
        follow_ups=(),
        open_follow_ups=0,
        caused_by_change=caused,
        suspected_changes=(SuspectedChange("chg-0", "checkout", "deploy"),) if caused else (),
    )


def service(upstream: tuple[RelatedService, ...] = ()) -> ServiceContext:
    return ServiceContext("svc-checkout", "checkout", (), (), upstream, (), (), ())


def test_a_change_closer_in_time_ranks_higher() -> None:
    assert change_confidence(change(minutes=5), 0.0) > change_confidence(change(minutes=60), 0.0)
    assert change_confidence(change(minutes=60), 0.0) > change_confidence(change(minutes=600), 0.0)


def test_a_change_closer_in_the_graph_ranks_higher() -> None:
    same = change_confidence(change(hops=0), 0.0)
    one = change_confidence(change(hops=1, relation="upstream"), 0.0)
    two = change_confidence(change(hops=2, relation="upstream"), 0.0)
    assert same > one > two


def test_change_caused_precedents_raise_a_change_and_are_cited() -> None:
    plain = change_hypotheses(INCIDENT, [change()], [precedent(caused=False)])[0]
    boosted = change_hypotheses(INCIDENT, [change()], [precedent(caused=True)])[0]
    assert boosted.confidence > plain.confidence
    assert [e.id for e in boosted.evidence] == ["chg-1", "inc-0"]
    assert "INC-0" in boosted.statement
    assert boosted.statement.startswith("Check the deploy of checkout 1.2.3 by alice, 10 min before INC-1")


def test_changes_after_the_declaration_are_not_hypotheses() -> None:
    assert change_hypotheses(INCIDENT, [change(minutes=-5)], []) == []


def test_precedents_need_a_known_cause_and_cite_their_incident() -> None:
    found = precedent_hypotheses(INCIDENT, [precedent(root_cause=None), precedent("inc-9")])
    assert len(found) == 2  # the first still has a resolution
    unknown = replace(precedent("inc-8", root_cause=None), resolution=None)
    assert precedent_hypotheses(INCIDENT, [unknown]) == []
    best = max(found, key=lambda h: h.confidence)
    assert best.evidence[0].id == "inc-9"
    assert "3 weeks before" in best.statement
    assert "root cause: A bad deploy" in best.statement


def test_a_precedent_s_evidence_keeps_its_reasons_apart_from_their_shared_words() -> None:
    # "similar: shares words: auth-api, slow, load, similar in meaning" read "similar in meaning"
    # as a fourth shared word; the pages join the reasons with "; ".
    said = ("shares words: auth-api, slow, load", "similar in meaning", "same service: auth-api")
    [found] = precedent_hypotheses(INCIDENT, [replace(precedent("inc-9"), reasons=said)])
    assert found.evidence[0].why == (
        "similar: shares words: auth-api, slow, load; similar in meaning; same service: auth-api"
    )


def open_brief(id: str, name: str, service_name: str, minutes: float) -> IncidentBrief:
    """An incident still open on ``service_name``, started ``minutes`` before the declaration."""
    return IncidentBrief(
        id, id.upper(), name, "Investigating", None, DECLARED - timedelta(minutes=minutes), True, service_name
    )


def test_an_active_upstream_incident_is_a_dependency_hypothesis() -> None:
    dep = RelatedService("svc-db", "payments-db", 1, "upstream", "checkout")
    active = open_brief("inc-5", "DB slow", "payments-db", minutes=30)
    old = IncidentBrief(
        "inc-6", "INC-6", "DB slow", "Closed", None, DECLARED - timedelta(days=3), False, "payments-db"
    )
    found = dependency_hypotheses(INCIDENT, [service((dep,))], {"svc-db": (active, old)})
    assert len(found) == 1
    assert [e.id for e in found[0].evidence] == ["inc-5", "svc-db"]
    assert "Check upstream payments-db" in found[0].statement
    assert "active" in found[0].statement


def test_an_incident_open_on_the_service_itself_is_named_so_and_ranks_above_upstream_ones() -> None:
    dep = RelatedService("svc-db", "catalog-db", 1, "upstream", "checkout")
    on_both = open_brief("inc-9001", "Checkout 500s", "checkout", minutes=20)
    upstream_only = replace(
        on_both, id="inc-9002", reference="INC-9002", name="DB slow", service="catalog-db"
    )
    itself = IncidentBrief("inc-1", "INC-1", "Checkout failing", "Triage", None, DECLARED, True, "checkout")
    nearby = {"svc-checkout": (itself, on_both), "svc-db": (on_both, upstream_only)}
    ranked = rank_hypotheses(INCIDENT, [], [precedent("inc-9001")], [service((dep,))], nearby)
    first = ranked[0]
    assert first.kind == "same_service"
    assert [e.id for e in first.evidence] == ["inc-9001", "svc-checkout"]
    assert "same failure as INC-9001 'Checkout 500s', still open on checkout itself" in first.statement
    assert "duplicate" in first.statement
    assert "root cause: A bad deploy" in first.statement  # what its precedent hypothesis knew
    # Neither "upstream" nor "part of" it again, and the incident is never its own hypothesis.
    assert [h.evidence[0].id for h in ranked].count("inc-9001") == 1
    assert all("inc-1" not in {e.id for e in h.evidence} for h in ranked)
    assert [h.evidence[0].id for h in ranked if h.kind == "dependency"] == ["inc-9002"]


def test_recurrence_counts_precedents_on_the_service_and_cites_open_follow_ups() -> None:
    follow_up = FollowUp("fu-1", "Add a pool alert", "outstanding", None, None, "inc-2", "INC-2")
    repeated = [precedent("inc-1"), replace(precedent("inc-2"), follow_ups=(follow_up,), open_follow_ups=1)]
    found = recurrence_hypotheses(INCIDENT, [service()], repeated)
    assert len(found) == 1
    assert "2 similar incidents" in found[0].statement
    assert "Add a pool alert" in found[0].statement
    assert {e.id for e in found[0].evidence} == {"inc-1", "inc-2", "fu-1"}
    assert recurrence_hypotheses(INCIDENT, [service()], repeated[:1]) == []


def test_ranking_puts_a_fresh_change_above_precedents_and_every_hypothesis_has_evidence() -> None:
    ranked = rank_hypotheses(
        INCIDENT,
        [change("chg-old", minutes=20 * 60), change("chg-new", minutes=12)],
        [precedent("inc-7", caused=True), precedent("inc-8")],
        [service()],
        {},
    )
    assert ranked[0].kind == "change"
    assert ranked[0].evidence[0].id == "chg-new"
    assert all(h.evidence for h in ranked)
    assert [h.confidence for h in ranked] == sorted((h.confidence for h in ranked), reverse=True)
    assert all(0 <= h.confidence <= 1 for h in ranked)


def test_no_evidence_no_hypothesis() -> None:
    assert rank_hypotheses(INCIDENT, [], [], [service()], {}) == ()


def test_age_text_reads_like_a_person() -> None:
    assert [age_text(m) for m in (12, 180, 60 * 24 * 4, 60 * 24 * 21, 60 * 24 * 90)] == [
        "12 min",
        "3 h",
        "4 days",
        "3 weeks",
        "3 months",
    ]


def test_a_change_seconds_before_the_declaration_is_under_a_minute_not_0_min() -> None:
    assert [age_text(m) for m in (0, 0.2, 0.7)] == ["under a minute", "under a minute", "1 min"]
    statement = change_hypotheses(INCIDENT, [change(minutes=0.2)], [])[0].statement
    assert "by alice, under a minute before INC-1 was declared" in statement


def test_recurrence_names_every_incident_it_counts_or_says_how_many_more() -> None:
    follow_ups = [
        FollowUp(f"fu-{n}", f"Fix {n}", "outstanding", None, None, "inc-1", "INC-1") for n in range(3)
    ]
    on_it = [precedent(f"inc-{n}") for n in range(1, 6)]
    on_it[0] = replace(on_it[0], follow_ups=tuple(follow_ups), open_follow_ups=3)
    (found,) = recurrence_hypotheses(INCIDENT, [service()], on_it)
    assert "(5 similar incidents on it: INC-1, INC-2, INC-3, INC-4 and 1 more)" in found.statement
    assert "3 follow-ups from INC-1 are still open (Fix 0; Fix 1 and 1 more)" in found.statement
    (one,) = recurrence_hypotheses(
        INCIDENT, [service()], [replace(on_it[0], follow_ups=tuple(follow_ups[:1])), on_it[1]]
    )
    assert (
        "A bad deploy (2 similar incidents on it: INC-1, INC-2); apply the fix that worked last time "
        "(INC-1: Rolled back); 1 follow-up from INC-1 is still open (Fix 0)" in one.statement
    )
    # The demo's "5 similar incidents on it (INC-105, ...); 2 follow-ups from them are still open"
    # read as if every one of them left work behind: only INC-153 did.
    from_two = replace(on_it[2], follow_ups=(replace(follow_ups[0], id="fu-9", incident_reference="INC-3"),))
    (both,) = recurrence_hypotheses(INCIDENT, [service()], [on_it[0], on_it[1], from_two])
    assert "4 follow-ups from INC-1, INC-3 are still open" in both.statement


def test_a_precedent_still_open_at_the_declaration_is_not_asked_about_again() -> None:
    # GitHub's INC-149 "Incident with Actions" was declared while INC-148 on Actions was still
    # open; "Check whether this is INC-148 (2 h ago) again" asked about a repeat of an unfinished event.
    ongoing = replace(precedent("inc-7"), started_at=DECLARED - timedelta(hours=2))
    # Open, but not on an affected service (that is a same_service hypothesis, tested above).
    # Another failure: with the same cause, INC-7 and INC-3 are a recurrence that says INC-3's fix.
    other = precedent("inc-3", root_cause="The primary's disk filled up with audit logs")
    ranked = rank_hypotheses(INCIDENT, [], [ongoing, other], [service()], {}, frozenset({"inc-7"}))
    statements = {h.evidence[0].id: h.statement for h in ranked if h.kind == "precedent"}
    assert statements["inc-7"].startswith(
        "Check whether this is part of INC-7, still open when INC-1 was declared, started 2 h before, "
        "'Checkout down'; root cause: A bad deploy"
    )
    assert "again" not in statements["inc-7"]
    assert statements["inc-3"].startswith("Check whether this is INC-3 (3 weeks before) again,")


def test_change_statements_count_precedents_and_hops_as_they_are() -> None:
    # "(INC-153, similar incidents, followed a change)" for one; a dependent 2 hops off read as a direct one.
    one = change_hypotheses(INCIDENT, [change()], [precedent("inc-5", caused=True)])[0]
    assert "(INC-5, a similar incident, followed a change to checkout)." in one.statement
    two = change_hypotheses(
        INCIDENT, [change()], [precedent("inc-5", caused=True), precedent("inc-6", caused=True)]
    )
    assert "(INC-5 and INC-6, similar incidents, followed changes to checkout)." in two[0].statement
    far = change_hypotheses(INCIDENT, [change(hops=2, relation="downstream")], [])[0]
    assert "on payments-api, which depends on checkout, 2 hops away:" in far.statement
    near = change_hypotheses(INCIDENT, [change(hops=1, relation="upstream")], [])[0]
    assert "on payments-api, which checkout depends on:" in near.statement
    dep = RelatedService("svc-db", "payments-db", 1, "upstream", "checkout")
    brief = IncidentBrief(
        "inc-5", "INC-5", "DB slow", None, None, DECLARED - timedelta(minutes=30), True, "db"
    )
    (found,) = dependency_hypotheses(INCIDENT, [service((dep,))], {"svc-db": (brief,)})
    assert found.evidence[1].why == "checkout depends on it (1 hop)"


def test_recurrence_never_says_a_fix_worked_for_an_incident_still_open() -> None:
    # Two precedents on checkout, INC-2 not resolved when INC-1 was declared: nothing of its
    # "worked last time"; its responders are the ones to ask.
    repeated = [precedent("inc-3"), precedent("inc-2")]
    (closed,) = recurrence_hypotheses(INCIDENT, [service()], repeated)
    assert closed.statement.endswith("; apply the fix that worked last time (INC-3: Rolled back).")
    (mixed,) = recurrence_hypotheses(INCIDENT, [service()], repeated, frozenset({"inc-2"}))
    assert "worked last time" not in mixed.statement
    assert mixed.statement.endswith(
        "; apply the fix that worked in INC-3 (Rolled back); "
        "INC-2 is still open: its responders may know more."
    )
    (both,) = recurrence_hypotheses(INCIDENT, [service()], repeated, frozenset({"inc-2", "inc-3"}))
    assert "worked" not in both.statement
    assert both.statement.endswith("; INC-3, INC-2 are still open: their responders may know more.")
    follow_up = FollowUp("fu-1", "Add a pool alert", "outstanding", None, None, "inc-2", "INC-2")
    with_fu = [repeated[0], replace(repeated[1], follow_ups=(follow_up,), open_follow_ups=1)]
    (listed,) = recurrence_hypotheses(INCIDENT, [service()], with_fu, frozenset({"inc-2"}))
    assert listed.statement.endswith("apply their fixes; INC-2 is still open: its responders may know more.")


def test_a_recurrence_says_the_latest_fix_and_ranks_above_the_incidents_it_counts() -> None:
    # The demo's recurring failure came out fifth, under a hypothesis for each incident it counts,
    # saying "apply the fix that worked last time" without saying what that fix was.
    earlier = replace(precedent("inc-2", score=0.9), resolution="Raised the pool size")
    latest = replace(
        precedent("inc-3", score=0.8),
        started_at=earlier.started_at + timedelta(days=7),  # type: ignore[operator]
        resolution="Killed the batch job.",
    )
    ranked = rank_hypotheses(INCIDENT, [], [earlier, latest], [service()], {})
    assert ranked[0].kind == "recurrence"
    assert ranked[0].statement.endswith("apply the fix that worked last time (INC-3: Killed the batch job).")
    # INC-3's own hypothesis would say its fix again; INC-2's, another fix, is worth trying too.
    assert [(h.kind, h.evidence[0].id) for h in ranked[1:]] == [("precedent", "inc-2")]
    assert ranked[1].advice == "if it is, apply its fix again (resolved by: Raised the pool size)"
    assert ranked[0].confidence > ranked[1].confidence


def test_a_recurrence_and_the_incidents_it_counts_say_each_fix_once() -> None:
    # The demo: "auth-api keeps failing this way: ...; apply the fix that worked last time (INC-194:
    # we added nodes manually ...)", then "Check whether this is INC-105 again ...; apply its fix
    # again (resolved by: We added nodes manually ...)": the same fix twice, in the top three.
    fix = "We added nodes manually. auth-api is scaled out and latency is normal."
    told = [
        replace(precedent("inc-105", score=0.9), resolution=fix),
        replace(
            precedent("inc-194", score=0.85), resolution=fix.lower(), started_at=DECLARED - timedelta(days=5)
        ),
        replace(
            precedent("inc-37", score=0.8),
            root_cause="session-redis evicted hot keys",
            resolution="Added TTLs",
        ),
    ]
    ranked = rank_hypotheses(INCIDENT, [], told, [service()], {})
    assert [(h.kind, h.evidence[0].id) for h in ranked] == [
        ("recurrence", "inc-105"),
        ("precedent", "inc-37"),
    ]
    assert {e.id for e in ranked[0].evidence} == {"inc-105", "inc-194"}
    fixes = [h.statement.casefold().count("we added nodes manually") for h in ranked]
    assert fixes == [1, 0]


def test_incidents_on_two_affected_services_make_one_recurrence() -> None:
    both = [replace(precedent(f"inc-{n}"), shared_services=("checkout", "payments")) for n in (2, 3)]
    services = [service(), ServiceContext("svc-payments", "payments", (), (), (), (), (), ())]
    (found,) = recurrence_hypotheses(INCIDENT, services, both)
    assert found.statement.startswith("checkout keeps failing this way")


def test_ranking_passes_which_precedents_are_still_open_to_every_wording() -> None:
    repeated = [precedent("inc-3"), precedent("inc-2")]
    ranked = rank_hypotheses(INCIDENT, [], repeated, [service()], {}, frozenset({"inc-2"}))
    statements = " ".join(h.statement for h in ranked)
    assert "worked last time" not in statements
    assert "INC-2 is still open" in statements
    assert "Check whether this is part of INC-2, still open when INC-1 was declared" in statements


def test_a_precedent_still_open_is_asked_about_though_it_has_no_lesson_yet() -> None:
    # Still open at the declaration: no resolution yet (precedents_from leaves it out), and maybe
    # no root cause; whether this is part of it is still the question to ask.
    unknown = replace(precedent("inc-2", root_cause=None), resolution=None)
    assert precedent_hypotheses(INCIDENT, [unknown]) == []
    (found,) = precedent_hypotheses(INCIDENT, [unknown], frozenset({"inc-2"}))
    assert found.statement.startswith(
        "Check whether this is part of INC-2, still open when INC-1 was declared"
    )
    assert "resolved by" not in found.statement


def test_a_lesson_read_from_status_updates_weighs_less_than_a_written_up_one() -> None:
    # Counted as written-up lessons, causes read from updates pushed the change later named as
    # the cause out of first place on 8 of the demo's 96 judged incidents (notebook 04).
    told = replace(precedent("inc-2"), from_updates=True)
    written = precedent("inc-3")
    ranked = precedent_hypotheses(INCIDENT, [told, written])
    assert max(ranked, key=lambda h: h.confidence).evidence[0].id == "inc-3"
    # Still made, and still said: a responder sees what was found last time.
    said = next(h.statement for h in ranked if h.evidence[0].id == "inc-2")
    assert "root cause (as its status updates said; no post-mortem): A bad deploy" in said
    assert "no post-mortem" not in next(h.statement for h in ranked if h.evidence[0].id == "inc-3")


def test_causes_read_from_updates_make_a_recurrence_when_they_agree_and_say_so() -> None:
    # The demo's planted recurring failure (INC-105, INC-194: "the cluster ran out of nodes for
    # auth-api; the node pool max was too low", both told in updates, neither written up) came
    # out as two separate precedents, never as the failure that keeps coming back.
    nodes = "the cluster ran out of nodes for checkout; the node pool max was too low"
    first = replace(precedent("inc-2", root_cause=f"We believe the cause is {nodes}"), from_updates=True)
    second = replace(precedent("inc-3", root_cause=nodes), from_updates=True)
    (told,) = recurrence_hypotheses(INCIDENT, [service()], [first, second])
    assert "(2 similar incidents on it: INC-2, INC-3; causes as their status updates said)" in told.statement
    assert {e.id for e in told.evidence} == {"inc-2", "inc-3"}
    (written,) = recurrence_hypotheses(
        INCIDENT, [service()], [replace(first, from_updates=False), replace(second, from_updates=False)]
    )
    assert "status updates" not in written.statement
    assert told.confidence < written.confidence
    # Told causes that disagree are not "this way" again, as written-up ones are not.
    disk = replace(
        precedent("inc-4", root_cause="the disk on the checkout database filled up"), from_updates=True
    )
    assert recurrence_hypotheses(INCIDENT, [service()], [first, disk]) == []


def test_a_recurrence_says_which_causes_its_status_updates_told() -> None:
    # One precedent written up, one told in updates: "causes as their status updates said" claimed
    # both were, and a responder would discount the written-up post-mortem too.
    nodes = "the cluster ran out of nodes for checkout; the node pool max was too low"
    written = precedent("inc-2", root_cause=nodes)
    told = replace(precedent("inc-3", root_cause=f"We believe {nodes}"), from_updates=True)
    (mixed,) = recurrence_hypotheses(INCIDENT, [service()], [written, told])
    assert "on it: INC-2, INC-3; INC-3's cause as its status updates said)" in mixed.statement
    also = replace(precedent("inc-4", root_cause=nodes), from_updates=True)
    (two,) = recurrence_hypotheses(INCIDENT, [service()], [written, told, also])
    assert (
        "on it: INC-2, INC-3, INC-4; causes of INC-3 and INC-4 as their status updates said)" in two.statement
    )


def test_keeps_failing_this_way_only_groups_precedents_whose_causes_agree() -> None:
    # Two incidents on checkout, one an expired certificate and one a full disk, made "checkout
    # keeps failing this way: apply the fix that worked last time": whose fix, for which failure?
    pool = "the payments-db connection pool was exhausted by the batch job holding connections"
    differ = [
        precedent("inc-2", root_cause="the TLS certificate on the checkout ingress expired"),
        precedent("inc-3", root_cause=pool),
    ]
    assert recurrence_hypotheses(INCIDENT, [service()], differ) == []
    again = precedent(
        "inc-4", root_cause="a batch job held connections until the payments-db pool was exhausted"
    )
    (found,) = recurrence_hypotheses(INCIDENT, [service()], [*differ, again])
    assert "(2 similar incidents on it: INC-3, INC-4)" in found.statement
    assert {e.id for e in found.evidence} == {"inc-3", "inc-4"}
    # A fix alone says nothing of the cause: it is not counted as failing "this way".
    fix_only = precedent("inc-5", root_cause=None)
    assert recurrence_hypotheses(INCIDENT, [service()], [fix_only, differ[0]]) == []


def test_each_change_cites_the_precedents_caused_by_a_change_like_it() -> None:
    # Every change hypothesis cited the same top change-caused precedent, whatever service or
    # kind of change it was about: a deploy of checkout and a flag on payments-api both "followed" INC-5.
    def caused_by(id: str, service: str, kind: str, root_cause: str = "A bad change") -> Precedent:
        return replace(
            precedent(id, root_cause=root_cause, caused=True),
            suspected_changes=(SuspectedChange(f"chg-{id}", service, kind),),  # type: ignore[arg-type]
        )

    precedents = [
        caused_by("inc-5", "checkout", "deploy"),
        caused_by("inc-6", "payments-api", "config"),
        caused_by("inc-7", "checkout", "config"),  # same service, another kind of change
        # No suspected change recorded; its cause names the service.
        replace(
            precedent("inc-8", root_cause="We rolled back payments-api to 1.2.2", caused=True),
            suspected_changes=(),
        ),
    ]
    deploy = change("chg-a")
    config = change("chg-b", hops=1, relation="upstream", kind="config")
    flag = replace(change("chg-c", kind="feature_flag"), service_name="search")
    by_change = {h.evidence[0].id: h for h in change_hypotheses(INCIDENT, [deploy, config, flag], precedents)}
    cited = {k: [e.id for e in h.evidence[1:]] for k, h in by_change.items()}
    assert cited == {"chg-a": ["inc-5"], "chg-b": ["inc-6", "inc-8"], "chg-c": []}
    assert "(INC-5, a similar incident, followed a change to checkout)." in by_change["chg-a"].statement
    assert "followed" not in by_change["chg-c"].statement


def test_a_cause_naming_the_service_is_no_support_when_its_change_was_to_another() -> None:
    # INC-5 recorded its suspected change, a config change to payments-api, and its cause names
    # checkout as what broke: a checkout deploy's hypothesis said INC-5 "followed a change to
    # checkout", which its own record contradicts.
    elsewhere = replace(
        precedent("inc-5", root_cause="A payments-api config change made checkout time out", caused=True),
        suspected_changes=(SuspectedChange("chg-old", "payments-api", "config"),),
    )
    deploy = change("chg-a")
    assert not supports(elsewhere, deploy)
    (hypothesis,) = change_hypotheses(INCIDENT, [deploy], [elsewhere])
    assert "followed" not in hypothesis.statement
    # Its change to payments-api is still support for a payments-api config change.
    assert supports(elsewhere, change("chg-b", hops=1, relation="upstream", kind="config"))


def test_a_suspected_change_to_the_service_counts_whatever_the_case_of_its_name() -> None:
    # The deploy tool records "Checkout", the catalog names it "checkout": the same service.
    precedent_ = replace(
        precedent("inc-5", root_cause="A bad deploy of checkout", caused=True),
        suspected_changes=(SuspectedChange("chg-old", "Checkout", "deploy"),),
    )
    assert supports(precedent_, change("chg-a"))


def _week_apart(earlier: str, latest: str) -> list[Precedent]:
    """INC-2 on checkout whose root cause is ``earlier``, then INC-3 a week later, ``latest``."""
    first = precedent("inc-2", root_cause=earlier)
    later = first.started_at + timedelta(days=7)  # type: ignore[operator]
    return [first, replace(precedent("inc-3", root_cause=latest), started_at=later)]


def test_a_recurrence_says_which_failure_its_incidents_share() -> None:
    # "auth-api keeps failing this way: 2 similar incidents on it (INC-105, INC-194): apply the
    # fix that worked last time (...)" named the incidents and the fix, never the failure: the
    # responder opened each incident to learn which way it keeps failing.
    repeated = _week_apart(
        "A batch job held connections until the payments-db pool was exhausted.",
        "Identified: the payments-db connection pool was exhausted by the batch job holding "
        "connections. The job had been added the week before.",
    )
    (found,) = recurrence_hypotheses(INCIDENT, [service()], repeated)
    # The latest one's first sentence that says what broke, without its lead-in.
    assert found.statement == (
        "checkout keeps failing this way: the payments-db connection pool was exhausted by the batch "
        "job holding connections (2 similar incidents on it: INC-2, INC-3); apply the fix that worked "
        "last time (INC-3: Rolled back)."
    )
    # A long cause is cut between words, as every lesson is.
    long = replace(
        repeated[1], root_cause=f"the payments-db connection pool was exhausted {'by a batch job ' * 12}"
    )
    (cut,) = recurrence_hypotheses(INCIDENT, [service()], [repeated[0], long])
    shared = cut.statement.split("this way: ", 1)[1].split(" (2 similar incidents", 1)[0]
    assert shared.endswith(" batch…")
    assert len(shared) <= 120


def test_a_recurrence_says_its_shared_cause_as_a_post_mortem_wrote_it_when_one_did() -> None:
    # Beside "INC-3's cause as its status updates said", a told cause shown as the shared one
    # reads as the written-up finding.
    nodes = "the cluster ran out of nodes for checkout; the node pool max was too low"
    written, told = _week_apart(f"The node pool max was too low, so {nodes}.", f"We believe {nodes}.")
    told = replace(told, from_updates=True)
    (mixed,) = recurrence_hypotheses(INCIDENT, [service()], [written, told])
    assert mixed.statement.startswith(
        "checkout keeps failing this way: The node pool max was too low, so the"
    )
    # All told: the latest one's words, and the statement says where they came from.
    (both,) = recurrence_hypotheses(INCIDENT, [service()], [replace(written, from_updates=True), told])
    assert both.statement.startswith(
        f"checkout keeps failing this way: We believe {nodes} (2 similar incidents on it: INC-2, INC-3; "
        "causes as their status updates said); apply"
    )


def test_a_recurrence_in_japanese_says_its_first_sentence() -> None:
    # Japanese ends a sentence with "。" and no space: the whole write-up was one sentence, cut at
    # its last space, in the middle of the third.
    repeated = _week_apart(
        "バッチジョブが接続を保持し続けたため、データベースの接続プールが枯渇した。",
        "checkout のデータベース接続プールが枯渇しました。v2.3 のリリースでワーカーの並行数が"
        "倍になり、各ワーカーが独自のプールを持つため、max_connections を超えました。夜間のバッチ処理"
        "と重なったことで、影響が拡大しました。",
    )
    (found,) = recurrence_hypotheses(INCIDENT, [service()], repeated)
    said = (
        "this way: checkout のデータベース接続プールが枯渇しました (2 similar incidents on it: INC-2, INC-3)"
    )
    assert f"{said}; apply the fix" in found.statement


def test_a_precedent_says_what_to_do_if_this_is_it_again() -> None:
    # "Check whether this is INC-3 again; root cause: ...; resolved by: ..." gave no advice: the
    # Slack line, cut from its end, lost the fix and said nothing to do.
    follow_up = FollowUp("fu-1", "Add a pool alert", "outstanding", None, None, "inc-3", "INC-3")
    with_work = replace(precedent("inc-3"), follow_ups=(follow_up,), open_follow_ups=1)
    (found,) = precedent_hypotheses(INCIDENT, [with_work])
    assert found.advice == (
        "if it is, apply its fix again (resolved by: Rolled back); "
        "its follow-up is still open (Add a pool alert): apply it"
    )
    assert found.statement == (
        "Check whether this is INC-3 (3 weeks before) again, 'Checkout down'; root cause: A bad deploy; "
        f"{found.advice}."
    )
    assert [(e.kind, e.id) for e in found.evidence] == [("incident", "inc-3"), ("follow_up", "fu-1")]
    (fixed,) = precedent_hypotheses(INCIDENT, [precedent("inc-4")])
    assert fixed.advice == "if it is, apply its fix again (resolved by: Rolled back)"
    (unfixed,) = precedent_hypotheses(INCIDENT, [replace(precedent("inc-5"), resolution=None)])
    assert unfixed.advice == "if it is, ask its responders how they resolved it: no fix is recorded"
    # Still open at the declaration: no fix is known yet; its responders are working on it.
    ongoing = replace(precedent("inc-7"), resolution=None)
    (joined,) = precedent_hypotheses(INCIDENT, [ongoing], frozenset({"inc-7"}))
    assert joined.advice == "if it is, join its responders"
    assert joined.statement.endswith("root cause: A bad deploy; if it is, join its responders.")


def test_the_best_of_unrelated_precedents_is_not_scored_as_a_close_one() -> None:
    # A description no past incident resembles ("the zorblax telemetry emitter spews gribbles")
    # had its best match, 0.17 close in meaning, ranked at 25% as "Check whether this is INC-131
    # again": the confidence was only relative to the rest of the list.
    close = replace(precedent("inc-1"), closeness=0.8)
    far = replace(precedent("inc-1"), closeness=0.17)
    (near,) = precedent_hypotheses(INCIDENT, [close])
    (off,) = precedent_hypotheses(INCIDENT, [far])
    (unmeasured,) = precedent_hypotheses(INCIDENT, [precedent("inc-1")])  # stored before it
    assert near.confidence == unmeasured.confidence == 0.4
    assert off.confidence == round(0.35 * 0.17 / 0.5 + 0.05, 3)  # 17%, the same service's 5 included


def test_a_precedent_on_other_services_says_where_it_was() -> None:
    # "Search results missing" declared on fulfilment-service: "Check whether this is INC-160
    # again" with INC-160's fix read as a fix for fulfilment-service, though INC-160 was on
    # search-api.
    elsewhere = replace(precedent("inc-3"), shared_services=(), services=("search-api", "search-es"))
    (found,) = precedent_hypotheses(INCIDENT, [elsewhere])
    assert found.statement.startswith(
        "Check whether this is INC-3 (3 weeks before, on search-api, search-es) again, 'Checkout down'"
    )
    ongoing = replace(elsewhere, resolution=None)
    (joined,) = precedent_hypotheses(INCIDENT, [ongoing], frozenset({"inc-3"}))
    assert "declared, started 3 weeks before, on search-api, search-es, 'Checkout down'" in joined.statement
    # On a service of this incident, or stored before services were kept: as before.
    here = replace(precedent("inc-3"), services=("checkout",))
    for same in (here, precedent("inc-3")):
        (found,) = precedent_hypotheses(INCIDENT, [same])
        assert found.statement.startswith("Check whether this is INC-3 (3 weeks before) again,")


def test_an_open_follow_up_says_whom_it_is_assigned_to() -> None:
    # "its follow-up is still open (Add a pool alert): apply it" left the responder of a
    # recurrence to find who had the unfinished work, and how far it got.
    owned = FollowUp("fu-1", "Add a pool alert", "outstanding", None, None, "inc-3", "INC-3", "Ana Ruiz")
    loose = FollowUp("fu-2", "Split the pool", "outstanding", None, None, "inc-3", "INC-3")
    with_work = replace(precedent("inc-3"), follow_ups=(owned, loose), open_follow_ups=2)
    (found,) = precedent_hypotheses(INCIDENT, [with_work])
    assert found.advice.endswith(
        "its 2 follow-ups are still open (Add a pool alert (Ana Ruiz); Split the pool): apply them"
    )
    assert [(e.id, e.why) for e in found.evidence if e.kind == "follow_up"] == [
        ("fu-1", "still open, assigned to Ana Ruiz"),
        ("fu-2", "still open, unassigned"),
    ]
    repeated = [precedent("inc-1"), with_work]
    (recurring,) = recurrence_hypotheses(INCIDENT, [service()], repeated)
    assert "(Add a pool alert (Ana Ruiz); Split the pool): apply their fixes" in recurring.statement
    assert ("fu-1", "still open, assigned to Ana Ruiz") in {(e.id, e.why) for e in recurring.evidence}


def test_a_resolved_incident_on_the_service_itself_is_never_said_to_be_upstream() -> None:
    # INC-8 hit checkout and catalog-db, its database, and was resolved before INC-1 was declared:
    # not open, so not the same failure, and "Check upstream catalog-db" called checkout's own
    # incident a dependency's. A precedent if it is one, else nothing.
    dep = RelatedService("svc-db", "catalog-db", 1, "upstream", "checkout")
    resolved = IncidentBrief(
        "inc-8", "INC-8", "Checkout 500s", "Resolved", None, DECLARED - timedelta(hours=3), False, "checkout"
    )
    nearby = {"svc-checkout": (resolved,), "svc-db": (replace(resolved, service="catalog-db"),)}
    assert dependency_hypotheses(INCIDENT, [service((dep,))], nearby) == []
    assert rank_hypotheses(INCIDENT, [], [], [service((dep,))], nearby) == ()
    ranked = rank_hypotheses(INCIDENT, [], [precedent("inc-8")], [service((dep,))], nearby)
    assert [(h.kind, h.evidence[0].id) for h in ranked] == [("precedent", "inc-8")]
    assert "upstream" not in ranked[0].statement
    # Nor when the service it hit is another affected one that this one depends on.
    payments = RelatedService("svc-payments", "payments-api", 1, "upstream", "checkout")
    on_payments = replace(resolved, service="payments-api")
    both = [service((payments,)), ServiceContext("svc-payments", "payments-api", (), (), (), (), (), ())]
    assert dependency_hypotheses(INCIDENT, both, {"svc-payments": (on_payments,)}) == []


def test_precedents_on_other_services_that_failed_the_same_way_make_one_hypothesis() -> None:
    # The generated organisation's INC-197 (accounts-db degraded): "Check whether this is INC-178
    # again ...; pgbouncer in front of accounts-db hit max_client_conn ...; apply its fix again
    # (we killed idle-in-transaction sessions ...)", and two lines lower the same of INC-89 on
    # ledger-db, which pushed a different failure out of the first three.
    cause = "pgbouncer in front of {} hit max_client_conn; the new release opens a connection per request"
    fix = "We killed idle-in-transaction sessions on {} and scaled down the batch workers"

    def on(id: str, score: float, db: str, days: int) -> Precedent:
        p = precedent(id, score, root_cause=cause.format(db))
        started = DECLARED - timedelta(days=days)
        return replace(
            p, name=f"{db} slow", resolution=fix.format(db), shared_services=(), started_at=started
        )

    pool = [
        on("inc-178", 0.9, "accounts-db", 11),
        replace(on("inc-140", 0.8, "inventory-db", 35), root_cause="A disk filled up with WAL"),
        on("inc-89", 0.7, "ledger-db", 60),
    ]
    ranked = rank_hypotheses(INCIDENT, [], pool, [service()], {})
    assert [h.evidence[0].id for h in ranked] == ["inc-178", "inc-140"]
    merged = ranked[0]
    assert [e.id for e in merged.evidence] == ["inc-178", "inc-89"]
    assert merged.evidence[1].why == "the same root cause as INC-178"
    assert merged.statement.endswith(
        "; INC-89 ('ledger-db slow', 2 months before) failed the same way; if it is, apply its fix "
        "again (resolved by: We killed idle-in-transaction sessions on accounts-db and scaled down the "
        "batch workers)."
    )
    # Its confidence is its own: nothing else moves down for it.
    alone = rank_hypotheses(INCIDENT, [], pool[:1], [service()], {})
    assert merged.confidence == alone[0].confidence
    # One still open at the declaration is asked about on its own.
    apart = rank_hypotheses(INCIDENT, [], pool, [service()], {}, frozenset({"inc-89"}))
    assert [h.evidence[0].id for h in apart] == ["inc-178", "inc-140", "inc-89"]


def test_two_deploys_of_one_service_without_a_version_read_apart() -> None:
    # Both "deploy of checkout ... 3 h before": which one to roll back could not be told.
    early, late = (replace(change(id, minutes=m), version=None) for id, m in (("chg-1", 175), ("chg-2", 160)))
    late = replace(late, summary="Retry payments on timeout\n\nLonger body")
    first, second = change_hypotheses(INCIDENT, [early, late], [])
    assert first.statement != second.statement
    assert "deploy of checkout (started 09:05 UTC) by alice, 3 h before" in first.statement
    assert 'deploy of checkout (started 09:20 UTC, "Retry payments on timeout") by' in second.statement
    # Only the words: a version or none, each ranks as before.
    versioned = [change("chg-1", minutes=175), change("chg-2", minutes=160)]
    with_versions = change_hypotheses(INCIDENT, versioned, [])
    assert [h.confidence for h in (first, second)] == [h.confidence for h in with_versions]
    assert "deploy of checkout 1.2.3 by alice" in with_versions[0].statement
