"""The MCP text: what an agent reads must say the same as the structured content, cut only between words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from precedent.investigation import Change, IncidentBrief, Person, ServiceContext, TeamInfo
from precedent.mcp.render import render_changes, render_neighbourhood, render_service
from precedent.model import Edge, Node, Subgraph
from precedent.responses import ChangesResponse, NeighbourhoodResponse, ServiceContextResponse

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CHANGE = Change(
    id="chg-1",
    service_id="svc-1",
    service_name="auth-api",
    kind="deploy",
    summary="We rolled back auth-api to 2026.11.05-a708097 " * 4,
    version="2026.11.05-68ba60f",
    author=None,
    started_at=AT,
    finished_at=None,
    url=None,
    commit_sha=None,
    repository=None,
    source="api",
    relation="downstream",
    hops=1,
    via="session-redis",
    minutes_before=None,
)


def test_a_long_summary_is_cut_between_words_and_hops_are_counted_in_words() -> None:
    text = render_changes(ChangesResponse(service="auth-api", since=AT, until=AT, changes=[CHANGE]), most=500)
    line = text.splitlines()[1]
    summary = line.split(": ", 1)[1].rsplit(" [", 1)[0]
    assert summary.endswith("…")
    # Every word shown is a whole word of the summary: no "2026.11.05-a7…" posing as a version.
    assert set(summary.removesuffix("…").split()) <= set(CHANGE.summary.split())  # type: ignore[union-attr]
    assert "(downstream of session-redis, 1 hop)" in line
    two = render_changes(
        ChangesResponse(service=None, since=AT, until=AT, changes=[replace(CHANGE, hops=2, summary=None)]),
        most=500,
    )
    assert "(downstream of session-redis, 2 hops)" in two
    sibling = render_changes(
        ChangesResponse(
            service=None,
            since=AT,
            until=AT,
            changes=[replace(CHANGE, relation="unlinked", hops=2, summary=None)],
        ),
        most=500,
    )
    assert "(no dependency path to session-redis, 2 hops)" in sibling


def test_a_window_cut_at_the_largest_limit_is_to_be_narrowed_not_listed_longer() -> None:
    # Cut at 500, the most `limit` takes, the text still said to raise `limit`: an agent that
    # did was refused, and learnt nothing about the older changes.
    cut = ChangesResponse(service="auth-api", since=AT, until=AT, changes=[CHANGE] * 2, truncated=True)
    at_most = render_changes(cut, most=2).splitlines()[-1]
    assert at_most == (
        "(only the newest 2: the window holds more; 2 is the most `limit` lists; narrow the window "
        "with `until` and `hours` to see the older ones)"
    )
    assert "raise `limit`" in render_changes(cut, most=500)


def test_a_summary_in_japanese_is_cut_at_the_limit_not_back_to_its_only_space() -> None:
    # "v2.14.1: the database connection pool was exhausted ..." with one space, after the version.
    japanese = "v2.14.1: " + "データベースの接続プールが枯渇しました" * 10
    text = render_changes(
        ChangesResponse(service="auth-api", since=AT, until=AT, changes=[replace(CHANGE, summary=japanese)]),
        most=500,
    )
    summary = text.splitlines()[1].split(": ", 1)[1].rsplit(" [", 1)[0]
    assert summary.startswith("v2.14.1: データベースの接続プール")
    assert len(summary) == 100


def test_an_investigation_in_a_neighbourhood_is_named_as_an_investigation() -> None:
    # It carries its incident's reference and name: "INC-201 -INVESTIGATES-> INC-201" read as an
    # incident investigating itself, in this text and the CLI's table alike.
    props = {"reference": "INC-201", "name": "Checkout down"}
    subgraph = Subgraph(
        (Node("inc-201", "Incident", props), Node("inv:01", "Investigation", props)),
        (Edge("inv:01", "INVESTIGATES", "inc-201"),),
    )
    text = render_neighbourhood(NeighbourhoodResponse.from_subgraph(subgraph))
    assert "investigation of INC-201 -INVESTIGATES-> INC-201" in text.splitlines()


def test_a_service_context_says_what_its_text_leaves_out() -> None:
    # Ten recent incidents and eight members were shown, and the rest dropped without a word.
    person = Person(id="u", name="Someone")
    team = TeamInfo(id="t", name="Payments", members=tuple(replace(person, id=f"u{i}") for i in range(11)))
    brief = IncidentBrief(
        id="i",
        reference="INC-1",
        name="Down",
        status="Closed",
        severity=None,
        started_at=AT,
        active=False,
        service="payments-api",
    )
    service = ServiceContext(
        id="s",
        name="payments-api",
        teams=(team,),
        on_call=(),
        upstream=(),
        downstream=(),
        recent_incidents=tuple(replace(brief, id=f"i{i}") for i in range(13)),
        active_incidents=(),
    )
    text = render_service(ServiceContextResponse(service=service, changes=[], at=AT, change_window_hours=24))
    assert "owned by Payments (" + ", ".join(["Someone"] * 8) + " and 3 more)" in text
    assert "recent incidents: 3 more (`service.recent_incidents` in the structured content)" in text
