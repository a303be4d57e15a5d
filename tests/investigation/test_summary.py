"""The summary is CommonMark: text from the map is escaped, so Slack and every renderer show it as written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from precedent.investigation import (
    Change,
    Evidence,
    Hypothesis,
    IncidentBrief,
    InvestigatedIncident,
    OnCall,
    Person,
    Precedent,
    ServiceContext,
    TeamInfo,
)
from precedent.investigation.hypotheses import precedent_hypotheses
from precedent.investigation.ranking import rank_hypotheses
from precedent.investigation.summary import _whole_clauses, summary_markdown
from precedent.links import Links
from precedent.notify import to_mrkdwn

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_markup_characters_from_the_map_are_shown_not_read_as_markup() -> None:
    incident = InvestigatedIncident(
        "inc-1",
        "INC-1",
        "payments_api *down* <!channel>",
        "",
        None,
        "Major",
        None,
        T0,
        "public",
        None,
        (),
        (),
        (),
    )
    hypothesis = Hypothesis("A deploy of `api` [v2] shortly before", 0.8, "change", ())
    precedent = Precedent(
        "inc-0",
        "INC-0",
        "Pool_size halved",
        0.9,
        T0 - timedelta(days=21),
        "a *typo*",
        None,
        None,
        (),
        None,
        (),
        (),
        0,
        True,
    )
    summary = summary_markdown(incident, [hypothesis], [precedent], [], [])
    assert summary.splitlines()[0] == r"**INC-1: payments\_api \*down\* \<!channel\>** (Major)"
    assert to_mrkdwn(summary).splitlines() == [
        "*INC-1: payments_api *down* &lt;!channel&gt;* (Major)",
        "*Likely causes*",
        "1. A deploy of `api` [v2] shortly before (80%)",
        "*Precedents*",
        "• *INC-0* (3 weeks before) Pool_size halved: root cause: a *typo*",
        "*Services*: none named, so no owners, on-call or changes near it",
    ]


def test_a_cut_line_never_ends_in_half_an_escape() -> None:
    incident = InvestigatedIncident(
        "inc-1", None, "_" * 300, "", None, None, None, T0, "public", None, (), (), ()
    )
    title = summary_markdown(incident, [], [], [], []).splitlines()[0]
    assert title.endswith("…")
    body = title[:-1]
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0
    assert set(to_mrkdwn(title)) <= {"*", "_", "…"}


INCIDENT = InvestigatedIncident(
    *("inc-9", "INC-9", "Checkout 500s", "", None, "Major", None),
    *(datetime(2026, 12, 3, tzinfo=UTC), "public", None, ("s1",), ("checkout",), ()),
)
HYPOTHESES = [Hypothesis(f"cause {n}", 0.5, "change", ()) for n in range(3)]


def test_the_last_line_links_to_the_page() -> None:
    page = "https://precedent.example.com/ui/investigations/inv%3A1"
    lines = summary_markdown(INCIDENT, HYPOTHESES, [], [], [], page=page).splitlines()
    assert lines[0] == "**INC-9: Checkout 500s** (Major)"
    assert lines[-1] == f"[Read the whole investigation]({page})"
    assert to_mrkdwn(lines[-1]) == f"<{page}|Read the whole investigation>"
    assert len(lines) <= 15


def test_without_a_page_there_is_no_link() -> None:
    assert "Read the whole investigation" not in summary_markdown(INCIDENT, HYPOTHESES, [], [], [])


def test_a_long_cause_is_cut_but_keeps_its_confidence() -> None:
    long = Hypothesis(
        "Check the deploy of auth-api v2.14.1 " + "because it changed the pool " * 12, 0.67, "change", ()
    )
    lines = summary_markdown(INCIDENT, [long, *HYPOTHESES], [], [], []).splitlines()
    cause = lines[lines.index("**Likely causes**") + 1]
    assert cause.startswith("1. Check the deploy of auth-api v2.14.1 because")
    assert cause.endswith("… (67%)")
    assert len(cause) <= 220
    assert cause.removesuffix("… (67%)").endswith("pool")  # cut between words


def test_a_cause_in_japanese_is_cut_at_the_limit_not_back_to_its_only_space() -> None:
    # "Check the deploy: the connection pool was exhausted ...", its one space after the colon.
    japanese = Hypothesis(
        "デプロイを確認: " + "接続プールが枯渇し新しい接続がタイムアウトしました" * 12, 0.5, "change", ()
    )
    line = summary_markdown(INCIDENT, [japanese], [], [], []).splitlines()[3]
    assert line.startswith("1. デプロイを確認: 接続プールが枯渇し")
    assert line.endswith("… (50%)")
    assert len(line) == 220


def _slo_burn(**changes: object) -> Precedent:
    """INC-0 "SLO burn", a precedent with no cause nor fix known, but for ``changes``."""
    precedent = Precedent(
        incident_id="inc-0",
        reference="INC-0",
        name="SLO burn",
        score=0.6,
        started_at=datetime(2026, 11, 5, tzinfo=UTC),
        root_cause=None,
        resolution=None,
        duration_seconds=None,
        reasons=(),
        path=None,
        shared_services=(),
        follow_ups=(),
        open_follow_ups=0,
        caused_by_change=False,
    )
    return replace(precedent, **changes)


def _slo_burn_line(**changes: object) -> str:
    """The summary's line for INC-0, a precedent whose cause and fix are ``changes``."""
    lines = summary_markdown(INCIDENT, [], [_slo_burn(**changes)], [], []).splitlines()
    return next(x for x in lines if x.startswith("- **INC-0**"))


def test_a_precedent_s_cause_and_fix_are_joined_without_a_stray_full_stop() -> None:
    line = _slo_burn_line(
        root_cause="A serializer change drops a field.", resolution="We rolled back.", caused_by_change=True
    )
    assert line.endswith(
        "SLO burn: root cause: A serializer change drops a field; resolved by: We rolled back."
    )


def test_a_cause_read_from_status_updates_says_so_in_the_slack_summary() -> None:
    # The web page and the CLI say it; the Slack message responders read first said it as a finding.
    line = _slo_burn_line(root_cause="We believe the node pool max was too low.", from_updates=True)
    assert line.endswith(
        "SLO burn: root cause (as its status updates said; no post-mortem): "
        "We believe the node pool max was too low"
    )


def test_the_slack_summary_says_which_failure_keeps_recurring() -> None:
    # The demo's planted failure, told in the updates of INC-105 and INC-194, neither written up:
    # Slack said "auth-api keeps failing this way" and which incidents, never which way.
    told = [
        replace(
            Precedent(
                *(
                    f"inc-{n}",
                    f"INC-{n}",
                    "auth-api slow under load",
                    0.6,
                    datetime(2026, 11, day, tzinfo=UTC),
                ),
                *(
                    f"the cluster ran out of nodes for auth-api; the node pool max was {size}.",
                    "we added nodes.",
                ),
                *(None, (), None, ("auth-api",), (), 0, False),
            ),
            from_updates=True,
        )
        for n, day, size in ((105, 2, "too low"), (194, 28, "8"))
    ]
    on_auth = ServiceContext("s1", "auth-api", (), (), (), (), (), ())
    hypotheses = rank_hypotheses(INCIDENT, [], told, [on_auth], {})
    slack = to_mrkdwn(summary_markdown(INCIDENT, hypotheses, told, [on_auth], [])).splitlines()
    assert slack[2].startswith(
        "1. auth-api keeps failing this way: the cluster ran out of nodes for auth-api; the node pool max "
        "was 8 (2 similar incidents on it: INC-105, INC-194"
    )
    # The cause is shortened, not the fix that worked (see the next test).
    assert slack[2].endswith("; apply the fix that worked last time (INC-194: we added nodes). (30%)")


def test_a_recurrence_cut_for_slack_keeps_its_advice_and_shortens_its_cause() -> None:
    # Cut at its end, the line lost "apply the fix that worked last time (...)": the action a
    # responder reading Slack needs more than the whole cause.
    cause = (
        "the cluster autoscaler could not add nodes for auth-api because the node pool maximum was set "
        "too low after the migration to the new instance family, so pods stayed pending {}."
    )
    written = [
        Precedent(
            *(f"inc-{n}", f"INC-{n}", "auth-api slow under load", 0.6, datetime(2026, 11, day, tzinfo=UTC)),
            *(cause.format(when), "we raised the node pool maximum to 40."),
            *(None, (), None, ("auth-api",), (), 0, False),
        )
        for n, day, when in ((105, 2, "for an hour"), (194, 28, "all morning"))
    ]
    on_auth = ServiceContext("s1", "auth-api", (), (), (), (), (), ())
    hypotheses = rank_hypotheses(INCIDENT, [], written, [on_auth], {})
    assert len(hypotheses[0].statement) > 220
    line = summary_markdown(INCIDENT, hypotheses, written, [on_auth], []).splitlines()[3]
    # The failure comes before the list of its incidents, so a cut line keeps what failed.
    assert line.startswith("1. auth-api keeps failing this way: the cluster autoscaler could not add nodes")
    advice = "…; apply the fix that worked last time (INC-194: we raised the node pool maximum to 40)."
    assert line.endswith(f"{advice} ({round(hypotheses[0].confidence * 100)}%)")
    assert "the cluster autoscaler could not add nodes" in line
    assert len(line) <= 220


def test_a_precedent_s_age_counts_back_from_the_declaration_not_from_now() -> None:
    # An investigation of an incident declared on 2026-11-20, read on 2026-12-04: INC-153 started
    # two weeks before the declaration, four weeks before the reader's now. "2 weeks ago" was wrong.
    declared = replace(INCIDENT, declared_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    precedent = _slo_burn(
        incident_id="inc-153",
        reference="INC-153",
        started_at=datetime(2026, 11, 5, 11, 41, tzinfo=UTC),
        root_cause="A serializer change",
        caused_by_change=True,
    )
    hypotheses = precedent_hypotheses(declared, [precedent])
    summary = summary_markdown(declared, hypotheses, [precedent], [], [])
    assert "- **INC-153** (2 weeks before) SLO burn" in summary
    assert "Check whether this is INC-153 (2 weeks before) again" in summary
    assert " ago" not in summary


def test_owners_name_every_service_and_group_those_without_an_owner() -> None:
    # GitHub's INC-147 touched eight services; the line showed three "no owner in the map" and
    # said nothing of the other five.
    def context(name: str, team: str | None = None) -> ServiceContext:
        teams = (TeamInfo(f"t-{team}", team, ()),) if team else ()
        return ServiceContext(f"s-{name}", name, teams, (), (), (), (), ())

    services = [context(n) for n in ("Actions", "API Requests", "Copilot", "Git", "Issues")]
    services.append(context("Pages", "Web"))
    lines = summary_markdown(INCIDENT, [], [], services, []).splitlines()
    owners = next(x for x in lines if x.startswith("**Owners**"))
    assert owners == (
        "**Owners**: Pages: Web; no owner or on-call in the map for Actions, API Requests, Copilot and 2 more"
    )


def test_owners_say_on_call_came_from_an_imported_export_as_the_cli_and_pages_do() -> None:
    # Slack and --markdown named who was on call as if a sync had just read it; the CLI and the
    # pages said the entries were only as fresh as the export's file.
    ana = OnCall(
        Person("u-1", "Ana Ruiz", None, None), "sch-1", "Checkout primary", "Checkout", None, None,
        "export", datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    team = (TeamInfo("t-1", "Checkout", ()),)
    services = [ServiceContext("s1", "checkout", team, (ana,), (), (), (), ())]
    summary = summary_markdown(INCIDENT, [], [], services, [])
    owners = next(x for x in summary.splitlines() if x.startswith("**Owners**"))
    assert owners.startswith(
        "**Owners**: checkout: Checkout (on call: Ana Ruiz); "
        "on call from an imported export, as of its file time 2026-03-02 09:30 UTC"
    )
    assert ana.provenance is not None
    assert ana.provenance in to_mrkdwn(summary)
    synced = replace(ana, source="synced")
    services = [ServiceContext("s1", "checkout", team, (synced,), (), (), (), ())]
    assert "export" not in summary_markdown(INCIDENT, [], [], services, [])


def test_each_owning_team_opens_its_team_page_from_the_summary() -> None:
    # "payments is owned by Team Checkout, on call now: Ana": in Slack the team was plain text,
    # and a responder who wanted the rest of the team (its on-call, services, follow-ups) had no way there.
    page = Links("https://precedent.example.com").team
    ana = OnCall(
        Person("u-1", "Ana", None, None),
        "sch-1",
        "Checkout primary",
        "Team Checkout",
        None,
        None,
        "synced",
        None,
    )
    teams = (TeamInfo("t-1", "Team Checkout", ()), TeamInfo("t-2", "core/payments_*", ()))
    services = [ServiceContext("s1", "payments", teams, (ana,), (), (), (), ())]
    summary = summary_markdown(INCIDENT, [], [], services, [], team_page=page)
    owners = next(x for x in summary.splitlines() if x.startswith("**Owners**"))
    assert owners == (
        "**Owners**: payments: [Team Checkout](https://precedent.example.com/ui/teams/Team%20Checkout), "
        "[core/payments\\_\\*](https://precedent.example.com/ui/teams/core%2Fpayments_%2A) (on call: Ana)"
    )
    assert "<https://precedent.example.com/ui/teams/Team%20Checkout|Team Checkout>" in to_mrkdwn(summary)
    # Without a public address nothing is linked.
    assert "](" not in summary_markdown(INCIDENT, [], [], services, [])


def test_every_incident_the_summary_cites_opens_from_it() -> None:
    # Slack showed "Check whether this is INC-37 again" with INC-37 neither linked nor among the
    # three precedents listed: the responder could not open what the cause rests on.
    page = "https://precedent.example.com/ui/incidents/{}".format
    cause = Hypothesis(
        "Check whether this is INC-37 (3 months before) again, 'Cache misses'; INC-3 too.",
        0.25,
        "precedent",
        (
            Evidence("incident", "inc-37", "INC-37", "similar"),
            Evidence("incident", "inc-3", "INC-3", "similar"),
        ),
    )
    listed = Precedent(
        incident_id="inc-105",
        reference="INC-105",
        name="auth-api slow",
        score=0.65,
        started_at=None,
        root_cause=None,
        resolution=None,
        duration_seconds=None,
        reasons=(),
        path=None,
        shared_services=(),
        follow_ups=(),
        open_follow_ups=0,
        caused_by_change=False,
    )
    lines = summary_markdown(INCIDENT, [cause], [listed], [], [], incident_page=page).splitlines()
    assert lines[3] == (
        "1. Check whether this is [INC-37](https://precedent.example.com/ui/incidents/INC-37) (3 months "
        "before) again, 'Cache misses'; [INC-3](https://precedent.example.com/ui/incidents/INC-3) too. (25%)"
    )
    assert "- **[INC-105](https://precedent.example.com/ui/incidents/INC-105)** auth-api slow" in lines
    slack = to_mrkdwn("\n".join(lines))
    assert "<https://precedent.example.com/ui/incidents/INC-37|INC-37>" in slack
    assert "*<https://precedent.example.com/ui/incidents/INC-105|INC-105>* auth-api slow" in slack
    # Without a public address (an investigation built on the spot) nothing is linked.
    assert "](" not in summary_markdown(INCIDENT, [cause], [listed], [], [])


def test_an_incident_open_nearby_when_declared_is_in_the_summary() -> None:
    # INC-201 was live on auth-api when INC-1001 was declared on it, 22 minutes later: the summary
    # (what Slack shows) said nothing of it; only the services' details listed it.
    page = "https://precedent.example.com/ui/incidents/{}".format
    open_ = IncidentBrief("inc-201", "INC-201", "auth-api slow", "Investigating", None, T0, True, "checkout")
    upstream = replace(open_, id="inc-30", reference="INC-30", name="payments-db lag", service="payments-db")
    services = [
        ServiceContext("s1", "checkout", (), (), (), (), (open_,), (open_, upstream)),
        ServiceContext("s2", "cart", (), (), (), (), (), (open_,)),  # on both: named once
    ]
    lines = summary_markdown(INCIDENT, HYPOTHESES, [], services, [], incident_page=page).splitlines()
    assert (
        "**Active when declared**: [INC-201](https://precedent.example.com/ui/incidents/INC-201) auth-api "
        "slow (on checkout itself), [INC-30](https://precedent.example.com/ui/incidents/INC-30) "
        "payments-db lag (on payments-db)"
    ) in lines
    assert len(lines) <= 15


def test_a_precedent_cut_for_slack_keeps_what_resolved_it() -> None:
    # A precedent hypothesis had no advice: cut at its end, the line lost "resolved by: ..." and
    # told the responder nothing to do.
    precedent = _slo_burn(
        incident_id="inc-153",
        reference="INC-153",
        started_at=T0 - timedelta(days=14),
        root_cause=(
            "A serializer change in the checkout API dropped the currency field from every order "
            "response, so the payments service rejected each request and retried until its queue filled"
        ),
        resolution="We rolled back the serializer change.",
        caused_by_change=True,
    )
    hypotheses = precedent_hypotheses(INCIDENT, [precedent])
    assert len(hypotheses[0].statement) > 220
    line = summary_markdown(INCIDENT, hypotheses, [precedent], [], []).splitlines()[3]
    assert line.startswith("1. Check whether this is INC-153 (2 weeks before) again")
    assert line.endswith(
        "if it is, apply its fix again (resolved by: We rolled back the serializer change). "
        f"({round(hypotheses[0].confidence * 100)}%)"
    )
    assert len(line) <= 220


def test_a_cause_cut_for_slack_never_ends_inside_a_quoted_name() -> None:
    # Slack showed "again, 'refunds-service: SLO…; apply": a quotation that ran on into the advice.
    named = _slo_burn(
        name="refunds-service: SLO burn rate alert on the refund path " + "and the ledger writes " * 4,
        root_cause="the ledger pool was exhausted",
        resolution="we raised the pool size to 80 and restarted the refund workers",
    )
    hypotheses = precedent_hypotheses(INCIDENT, [named])
    line = summary_markdown(INCIDENT, hypotheses, [named], [], []).splitlines()[3]
    assert line.startswith("1. Check whether this is INC-0 (4 weeks before) again…; if it is, apply its fix")
    assert "'" not in line
    assert len(line) <= 220


def test_a_quotation_with_little_before_it_is_closed_after_the_ellipsis() -> None:
    quoted = Hypothesis("'" + "the refund ledger writes time out " * 10 + "'", 0.5, "change", ())
    line = summary_markdown(INCIDENT, [quoted], [], [], []).splitlines()[3]
    assert line.startswith("1. 'the refund ledger writes time out")
    assert line.endswith("out…' (50%)")  # not on the article that began the next words
    assert len(line) <= 220


def test_a_cause_cut_inside_parentheses_closes_them() -> None:
    # Slack showed "apply its fix again (resolved by: We added TTLs, … is… (25%)": the fix's
    # parenthesis ran on into the confidence.
    fixed = _slo_burn(
        root_cause="session-redis hit maxmemory and began evicting hot keys",
        resolution="We added TTLs, flushed the orphaned keys and scaled session-redis. " * 4,
    )
    line = summary_markdown(INCIDENT, precedent_hypotheses(INCIDENT, [fixed]), [fixed], [], []).splitlines()[
        3
    ]
    assert "apply its fix again (resolved by: We added TTLs" in line
    assert line.endswith("…) (35%)")
    assert line.count("(") == line.count(")")
    assert len(line) <= 220


def test_a_cause_cut_for_slack_ends_after_a_whole_clause_not_a_clause_s_first_word() -> None:
    # Slack read "again, 'Writes failing on auth-api'; root…; if it is, apply its fix again": the
    # word "root" alone, cut from "root cause (...)", said nothing and read as if it did.
    named = _slo_burn(
        name="Writes failing on auth-api",
        root_cause="a runaway log table on accounts-db grew by 36GB in a day",
        resolution="we truncated the log table and expanded disk. Writes are succeeding again",
        from_updates=True,
    )
    hypotheses = precedent_hypotheses(INCIDENT, [named])
    assert len(hypotheses[0].statement) > 220
    line = summary_markdown(INCIDENT, hypotheses, [named], [], []).splitlines()[3]
    said = "1. Check whether this is INC-0 (4 weeks before) again, 'Writes failing on auth-api'…; if it is"
    assert line.startswith(said)
    assert "root…" not in line
    assert len(line) <= 220


def test_a_cause_cut_for_slack_ends_after_a_clause_but_never_inside_brackets() -> None:
    # "the node pool…; apply" read as if "the node pool" were the cause.
    cause = "the cluster ran out of nodes for auth-api; the node pool max was too low"
    assert _whole_clauses(cause, 60) == "the cluster ran out of nodes for auth-api…"
    # "(2 similar incidents on it: INC-105, INC-194; causes ...": its "; " is no place to end.
    listed = "the cause (on it: INC-105, INC-194; causes as their status updates said and more words here)"
    assert _whole_clauses(listed, 60) == "the cause (on it: INC-105, INC-194; causes as their status…)"


def test_every_precedent_a_shown_cause_cites_is_in_the_precedents_listed() -> None:
    # INC-201 on the demo map: "Check whether this is INC-37 again" ranked among the causes while
    # the precedents listed were INC-105, INC-194 and INC-39; the responder looked for INC-37's
    # cause and fix below and found none.
    closest = [
        _slo_burn(incident_id=f"inc-{n}", reference=f"INC-{n}", name=f"SLO burn {n}", score=score)
        for n, score in ((105, 0.9), (194, 0.8), (39, 0.7))
    ]
    known = _slo_burn(
        incident_id="inc-37",
        reference="INC-37",
        name="Cache misses",
        score=0.6,
        root_cause="The cache TTL was set to zero.",
        resolution="We restored the TTL.",
    )
    precedents = [*closest, known]
    hypotheses = rank_hypotheses(INCIDENT, [], precedents, [], {})
    assert "INC-37" in hypotheses[0].statement
    lines = summary_markdown(INCIDENT, hypotheses, precedents, [], []).splitlines()
    listed = [x.split("**")[1] for x in lines if x.startswith("- **")]
    # Three still, in similarity order: the one cited, and the closest others.
    assert listed == ["INC-105", "INC-194", "INC-37"]
    assert any(x.startswith("- **INC-37** ") and "resolved by: We restored the TTL." in x for x in lines)
    # With no cause citing one, the three closest.
    plain = summary_markdown(INCIDENT, [], precedents, [], []).splitlines()
    assert [x.split("**")[1] for x in plain if x.startswith("- **")] == ["INC-105", "INC-194", "INC-39"]


def test_the_closest_precedent_is_listed_when_the_causes_name_others() -> None:
    # The demo's INC-201: its causes named INC-153, INC-194 and INC-37, and the list showed just
    # those three, without INC-105, the closest ("Top precedent") that the responder reads first.
    def precedent(n: int, score: float) -> Precedent:
        return _slo_burn(incident_id=f"inc-{n}", reference=f"INC-{n}", name=f"SLO burn {n}", score=score)

    precedents = [precedent(105, 0.9), precedent(194, 0.8), precedent(153, 0.7), precedent(37, 0.6)]
    hypotheses = [
        Hypothesis(
            f"Check whether this is INC-{n} again.",
            0.5 - rank / 10,
            "precedent",
            (Evidence("incident", f"inc-{n}", f"INC-{n}", "similar"),),
        )
        for rank, n in enumerate((194, 153, 37))
    ]
    lines = summary_markdown(INCIDENT, hypotheses, precedents, [], []).splitlines()
    listed = [x.split("**")[1] for x in lines if x.startswith("- **")]
    assert listed == ["INC-105", "INC-194", "INC-153", "INC-37"]


def test_causes_citing_many_precedents_leave_the_owners_on_call_and_changes_shown() -> None:
    # Since the precedents listed include every one a cause names, three causes naming seven
    # pushed the summary past its 15 lines, and the cut took the closing lines a responder
    # needs most: who owns it and who is on call, what is open nearby, what changed.
    def known(n: int) -> Precedent:
        return _slo_burn(
            incident_id=f"inc-{n}", reference=f"INC-{n}", name=f"SLO burn {n}", score=1 - n / 100
        )

    precedents = [known(n) for n in range(1, 10)]
    cited = [[1, 4, 6], [2, 7], [8, 9]]
    hypotheses = [
        Hypothesis(
            "Check whether this is " + " or ".join(f"INC-{n}" for n in ns) + " again.",
            0.5 - rank / 10,
            "precedent",
            tuple(Evidence("incident", f"inc-{n}", f"INC-{n}", "similar") for n in ns),
        )
        for rank, ns in enumerate(cited)
    ]
    ana = OnCall(
        Person("u-1", "Ana Ruiz", None, None), "sch-1", "Checkout primary", "Checkout",
        None, None, "synced", None,
    )  # fmt: skip
    open_ = IncidentBrief("inc-201", "INC-201", "auth-api slow", "Investigating", None, T0, True, "checkout")
    team = (TeamInfo("t-1", "Checkout", ()),)
    checkout = ServiceContext("s1", "checkout", team, (ana,), (), (), (), (open_,))
    deploy = Change(
        *("chg-1", "s1", "checkout", "deploy", None, "2.1", None, None, None, None, None, None),
        *("api", "affected", 0, "checkout", 12.0),
    )
    page = "https://precedent.example.com/ui/investigations/inv%3A1"
    for link in (None, page):
        summary = summary_markdown(INCIDENT, hypotheses, precedents, [checkout], [deploy], page=link)
        lines = summary.splitlines()
        assert len(lines) <= 15
        assert any(x.startswith("**Owners**: checkout: Checkout (on call: Ana Ruiz)") for x in lines)
        assert any(x.startswith("**Active when declared**: INC-201") for x in lines)
        assert any(x.startswith("**Recent changes**: deploy of checkout 2.1") for x in lines)
        # Every incident a cause names is listed, or said to be left out, with where to read it.
        listed = [x.split("**")[1] for x in lines if x.startswith("- **")]
        # Room for three lines: the first two causes' first, in similarity order, and the rest named.
        assert listed == ["INC-1", "INC-2"]
        more = next(x for x in lines if x.startswith("- and "))
        assert more.startswith("- and 5 more the causes name: INC-4, INC-6, INC-7, INC-8, INC-9")
        assert more.endswith(f" (listed on [the investigation's page]({page}))" if link else "INC-9")
        assert "INC-3" not in summary  # uncited and not among the closest three: left out, as before
    # With one cause, the list has room for all it names, up to five, and no line is cut.
    lines = summary_markdown(INCIDENT, hypotheses[:1], precedents, [checkout], [deploy]).splitlines()
    assert [x.split("**")[1] for x in lines if x.startswith("- **")] == ["INC-1", "INC-4", "INC-6"]
    assert lines[-1].startswith("**Recent changes**")
    nine = range(1, 10)
    many = Hypothesis(
        "Check " + ", ".join(f"INC-{n}" for n in nine),
        0.5,
        "precedent",
        tuple(Evidence("incident", f"inc-{n}", f"INC-{n}", "similar") for n in nine),
    )
    lines = summary_markdown(INCIDENT, [many], precedents, [checkout], [deploy]).splitlines()
    assert [x.split("**")[1] for x in lines if x.startswith("- **")] == ["INC-1", "INC-2", "INC-3", "INC-4"]
    assert "- and 5 more the causes name: INC-5, INC-6, INC-7, INC-8, INC-9" in lines
    # Each opens from Slack, as every incident the causes cite does: one known by its id alone
    # by its own page, not by the name as escaped for the line.
    web = "https://precedent.example.com/ui/incidents/{}".format
    unnamed = replace(precedents[-1], incident_id="gh_9", reference=None)
    cites = replace(many, evidence=(*many.evidence[:-1], Evidence("incident", "gh_9", "gh_9", "similar")))
    cites = replace(cites, statement=cites.statement.replace("INC-9", "gh_9"))
    shown = summary_markdown(INCIDENT, [cites], [*precedents[:-1], unnamed], [], [], incident_page=web)
    more = next(x for x in shown.splitlines() if x.startswith("- and "))
    assert more.endswith(f"[INC-8]({web('INC-8')}), [gh\\_9]({web('gh_9')})")


def test_an_incident_a_cause_names_by_an_id_with_markup_in_it_opens_from_the_cause() -> None:
    # The line shows gh\_9 (escaped): looked for as gh_9, it was never linked.
    web = "https://precedent.example.com/ui/incidents/{}".format
    named = (Evidence("incident", "gh_9", "gh_9", "similar"),)
    cause = Hypothesis("Check whether this is gh_9 again.", 0.4, "precedent", named)
    line = summary_markdown(INCIDENT, [cause], [], [], [], incident_page=web).splitlines()[3]
    assert line == f"1. Check whether this is [gh\\_9]({web('gh_9')}) again. (40%)"


def test_an_incident_open_nearby_that_the_active_line_has_no_room_for_is_listed_as_a_precedent() -> None:
    # A precedent a cause names was left out of the list when it was open nearby, as the
    # "Active when declared" line shows it; but that line is cut at 300 characters, and three
    # long names left the third out of it too: the cause named an incident shown nowhere.
    long = "payments database connection pool exhausted while the nightly batch reconciliation job ran over"
    long += " into the morning peak"
    open_ = [
        IncidentBrief(f"inc-{n}", f"INC-{n}", long, "Investigating", None, T0, True, "payments-db")
        for n in (30, 31, 32)
    ]
    services = [ServiceContext("s1", "checkout", (), (), (), (), (), tuple(open_))]
    named = (Evidence("incident", "inc-32", "INC-32", "similar"),)
    cause = Hypothesis("Check whether this is INC-32 again.", 0.4, "precedent", named)
    closer = [_slo_burn(incident_id=f"inc-{n}", reference=f"INC-{n}", score=0.9) for n in (1, 2, 3)]
    precedents = [*closer, _slo_burn(incident_id="inc-32", reference="INC-32", name=long)]
    lines = summary_markdown(INCIDENT, [cause], precedents, services, []).splitlines()
    active = next(x for x in lines if x.startswith("**Active when declared**"))
    assert "INC-31" in active
    assert "INC-32" not in active
    assert any(x.startswith("- **INC-32** ") for x in lines)


def test_a_summary_of_an_incident_naming_no_service_says_why_it_has_no_owners_or_changes() -> None:
    # "everything is slow", declared with no service: the Slack message had no owners line and
    # no changes line, which read as "nothing deployed, nobody to call"; neither was looked for.
    lines = summary_markdown(INCIDENT, HYPOTHESES, [], [], []).splitlines()
    assert lines[-1] == "**Services**: none named, so no owners, on-call or changes near it"
    assert len(lines) <= 15
