"""Pure parts of the pages: return-path checks, the neighbourhood layout, the chart, the formats."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest

from precedent.auth.tokens import ApiToken
from precedent.browse import WeekCount
from precedent.investigation import (
    Evidence,
    FollowUp,
    Hypothesis,
    IncidentBrief,
    InvestigatedIncident,
    Investigation,
    MapState,
    Precedent,
    RelatedService,
    ServiceContext,
)
from precedent.web.chart import weekly_bars
from precedent.web.format import duration, percent
from precedent.web.graph_svg import draw_investigation, path_names, path_steps
from precedent.web.pages_investigation import render_investigation
from precedent.web.rendering import _environment
from precedent.web.session import PageSession, safe_return_path, sign_in_path

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/ui/incidents/INC-1?x=1", "/ui/incidents/INC-1?x=1"),
        ("/ui", "/ui"),
        (None, "/ui/"),
        ("https://evil.example/ui/", "/ui/"),
        ("//evil.example/ui", "/ui/"),
        ("/ui\\..\\evil", "/ui/"),
        ("/v1/stats", "/ui/"),
        ("/ui/\r\nSet-Cookie:x", "/ui/"),
    ],
)
def test_only_local_page_paths_are_returned_to(given: str | None, kept: str) -> None:
    assert safe_return_path(given) == kept


def test_the_sign_in_path_quotes_the_return_path() -> None:
    assert sign_in_path("/ui/search?q=a b&x=1") == "/ui/sign-in?next=/ui/search%3Fq%3Da%20b%26x%3D1"


def test_path_names_split_on_the_arrows_only() -> None:
    path = "INC-30 -AFFECTS-> session redis <-DEPENDS_ON- auth-api <-AFFECTS- INC-29"
    assert path_names(path) == ["INC-30", "session redis", "auth-api", "INC-29"]
    assert path_names(None) == []


def _precedent(ref: str, path: str | None) -> Precedent:
    return Precedent(ref.lower(), ref, ref, 0.5, None, None, None, None, (), path, (), (), 0, False)


def _investigation() -> Investigation:
    incident = InvestigatedIncident(
        "inc-9",
        "INC-9",
        "Checkout 500s",
        "",
        None,
        None,
        None,
        NOW,
        "public",
        None,
        ("s1",),
        ("checkout",),
        (),
    )
    context = ServiceContext(
        "s1",
        "checkout",
        (),
        (),
        (RelatedService("s2", "payments", 1, "upstream", "checkout"),),
        (RelatedService("s3", "web", 1, "downstream", "checkout"),),
        (),
        (),
    )
    return Investigation(
        "inv:1",
        incident,
        (Hypothesis("x", 0.5, "precedent", (Evidence("incident", "inc-1", "INC-1", "similar"),)),),
        (
            _precedent("INC-1", "INC-9 -AFFECTS-> checkout -DEPENDS_ON-> payments <-AFFECTS- INC-1"),
            _precedent("INC-2", None),
        ),
        (context,),
        (),
        (),
        "",
        NOW,
        12.0,
        MapState(10, 0, 3, None),
        24.0,
    )


def test_a_precedent_still_open_at_the_declaration_says_so_not_that_no_fix_was_recorded() -> None:
    investigation = _investigation()
    first, second = investigation.similar
    similar = (dataclasses.replace(first, open_at_declaration=True), second)
    investigation = dataclasses.replace(investigation, similar=similar)
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    template = render_investigation(investigation, PageSession(token, token.viewer(), "csrf"))
    assert template.template_name is not None
    html = _environment().get_template(template.template_name).render(**template.context)
    cards = [c for c in html.split('<li class="card">') if "<dt>Resolved by</dt>" in c]
    assert len(cards) == 2
    still_open = "still open when this incident was declared; its responders may know more"
    assert still_open in cards[0]
    assert "<dt>Resolved by</dt><dd>not recorded</dd>" not in cards[0]
    # A precedent over by then, with no fix recorded, still says so.
    assert "<dt>Resolved by</dt><dd>not recorded</dd>" in cards[1]
    assert still_open not in cards[1]
    # The brief's closest precedent says it too, rather than nothing.
    assert "; still open when this incident was declared" in html.split('id="brief"')[1].split("</dl>")[0]


def test_a_lesson_read_from_status_updates_says_where_it_came_from() -> None:
    # A responder weighs "what the responders believed then" below a post-mortem's finding.
    investigation = _investigation()
    first, second = investigation.similar
    similar = (
        dataclasses.replace(first, root_cause="the node pool max was too low", from_updates=True),
        second,
    )
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(
        dataclasses.replace(investigation, similar=similar), PageSession(token, token.viewer(), "csrf")
    )
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    cards = [c for c in html.split('<li class="card">') if "<dt>Root cause</dt>" in c]
    assert (
        'the node pool max was too low <span class="muted">(as its status updates said; no post-mortem)'
        in cards[0]
    )
    assert "no post-mortem" not in cards[1]
    # A fix told without a cause: the note is on the fix, not on the cause "not recorded".
    fix_only = (dataclasses.replace(first, root_cause=None, resolution="we added nodes", from_updates=True),)
    page = render_investigation(
        dataclasses.replace(investigation, similar=fix_only), PageSession(token, token.viewer(), "csrf")
    )
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    [card] = [c for c in html.split('<li class="card">') if "<dt>Root cause</dt>" in c]
    assert "not recorded</dd>" in card
    assert 'we added nodes <span class="muted">(as its status updates said; no post-mortem)' in card


def test_the_drawing_highlights_the_path_to_each_precedent() -> None:
    drawing = draw_investigation(_investigation(), {"service:checkout": "/ui/services/checkout"})
    nodes = {n.key: n for n in drawing.nodes}
    assert nodes["service:checkout"].href == "/ui/services/checkout"
    linking = {(e.source.key, e.target.key) for e in drawing.edges if e.linking}
    assert linking == {
        ("incident:inc-9", "service:checkout"),
        ("service:checkout", "service:payments"),
        ("service:payments", "incident:inc-1"),
    }
    # A precedent no path links is drawn, but not as a linking path; nor is the unrelated dependency.
    plain = {(e.source.key, e.target.key) for e in drawing.edges if not e.linking}
    assert ("incident:inc-9", "incident:inc-2") in plain
    assert ("service:web", "service:checkout") in plain or ("service:checkout", "service:web") in plain
    # Columns run left to right: incident, its services, their neighbours, precedents.
    assert nodes["incident:inc-9"].x < nodes["service:checkout"].x < nodes["service:payments"].x
    assert nodes["service:payments"].x < nodes["incident:inc-1"].x
    assert all(0 < n.y < drawing.height for n in drawing.nodes)


def test_the_drawing_says_each_dependency_the_way_it_points() -> None:
    # Checkout depends on payments (upstream); web depends on checkout (downstream). Drawn both
    # as "checkout depends on ...", the page contradicted its own "Depended on by" list.
    investigation = _investigation()
    team_path = "INC-9 -AFFECTS-> checkout -OWNED_BY-> Payments team <-OWNED_BY- ledger <-AFFECTS- INC-3"
    investigation = dataclasses.replace(
        investigation, similar=(*investigation.similar, _precedent("INC-3", team_path))
    )
    drawing = draw_investigation(investigation, {})
    said = {f"{e.source.name} {e.label} {e.target.name}" for e in drawing.edges}
    assert {"checkout depends on payments", "web depends on checkout"} <= said
    assert "checkout depends on web" not in said
    # A path's steps name their relationship, each the way it points, never "path".
    assert {
        "checkout owned by Payments team",
        "ledger owned by Payments team",
        "ledger affected INC-3",
    } <= said
    assert not [s for s in said if " path " in s]


def test_path_steps_read_each_arrow() -> None:
    path = "INC-30 -AFFECTS-> session redis <-DEPENDS_ON- auth-api <-AFFECTS- INC-29"
    assert path_steps(path) == [
        ("session redis", "AFFECTS", True),
        ("auth-api", "DEPENDS_ON", False),
        ("INC-29", "AFFECTS", False),
    ]
    assert path_steps(None) == []


def test_weekly_bars_scale_to_the_busiest_week() -> None:
    weeks = tuple(WeekCount(NOW - timedelta(weeks=3 - i), n) for i, n in enumerate((0, 2, 4, 1)))
    bars = weekly_bars(weeks)
    assert [b.count for b in bars] == [0, 2, 4, 1]
    assert [b.height for b in bars] == [0.0, 35.0, 70.0, 17.5]
    assert bars[0].x < bars[1].x


def test_formats() -> None:
    assert duration(45) == "45 s"
    assert duration(3 * 3600 + 20 * 60) == "3 h 20 min"
    assert duration(2 * 86400 + 4 * 3600) == "2 d 4 h"
    assert percent(0.726) == "73%"


def test_an_active_incident_on_a_dependency_says_where_it_is() -> None:
    # A service's "Active incidents" include those on what it depends on; unlabelled, an
    # incident on auth-api read as if it were on mobile-bff.
    def brief(ref: str, service: str) -> IncidentBrief:
        return IncidentBrief(ref.lower(), ref, f"{service} slow", "Investigating", None, NOW, True, service)

    context = ServiceContext(
        "s1",
        "mobile-bff",
        (),
        (),
        (RelatedService("s2", "auth-api", 2, "upstream", "mobile-bff"),),
        (),
        (),
        (brief("INC-2", "mobile-bff"), brief("INC-1", "auth-api")),
    )
    html = _environment().get_template("_service_people.html").render(s=context, changes_before_now=True)
    assert 'INC-1</a> auth-api slow <span class="muted">(on auth-api, which it depends on)</span>' in html
    assert "INC-2</a> mobile-bff slow;" in html


def test_a_hypothesis_kind_reads_as_words() -> None:
    # "same_service · evidence:" showed the model's identifier to the responder.
    same = Hypothesis("Check whether this is INC-1 again", 0.7, "same_service", ())
    investigation = dataclasses.replace(_investigation(), hypotheses=(same,))
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(investigation, PageSession(token, token.viewer(), "csrf"))
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    assert "same service · evidence:" in html
    assert "same_service" not in html


def _page_header(investigation: Investigation) -> str:
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(investigation, PageSession(token, token.viewer(), "csrf"))
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    return html.split('<header class="page">')[1].split("</header>")[0]


def test_a_named_service_the_map_does_not_hold_is_said_on_the_page() -> None:
    # "services: none named" hid the typo the CLI and MCP name ("not in the map, so left out").
    investigation = _investigation()
    # Described (no id): the name was typed, so "check the name"; one an incident in the map
    # names came from incident.io's catalog, and the page says to sync instead.
    incident = dataclasses.replace(
        investigation.incident, id=None, service_ids=(), service_names=(), unknown_services=("chekout",)
    )
    header = _page_header(dataclasses.replace(investigation, incident=incident, services=()))
    assert "not in the map, so left out: chekout (check the name)" in header
    assert "none named" not in header
    named = dataclasses.replace(incident, id="inc-9")
    header = _page_header(dataclasses.replace(investigation, incident=named, services=()))
    synced = "chekout (in incident.io&#39;s catalog, not yet in the map: run precedent sync)"
    assert f"not in the map, so left out: {synced}" in header


def test_a_described_incident_is_headed_by_its_name() -> None:
    # Described (not in the map): "this incident: Checkout 500s" headed the page, its title and the
    # home page's list, as if the page's subject were some other incident.
    investigation = _investigation()
    incident = dataclasses.replace(investigation.incident, id=None, reference=None, name="Checkout 500s")
    described = dataclasses.replace(investigation, incident=incident)
    header = _page_header(described)
    assert "<h1>Checkout 500s</h1>" in header
    assert "this incident" not in header
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(described, PageSession(token, token.viewer(), "csrf"))
    assert page.context is not None
    assert page.context["title"] == "Investigation: Checkout 500s"
    named = dataclasses.replace(incident, id="inc-9", reference="INC-9")
    assert named.heading == "INC-9: Checkout 500s"


def test_the_drawing_of_an_incident_with_nothing_around_it_is_counted_in_words() -> None:
    # "Neighbourhood of INC-9: 1 nodes, 0 linking edges", read out as the drawing's name.
    alone = _investigation()
    alone = dataclasses.replace(
        alone,
        similar=(),
        services=(),
        changes=(),
        hypotheses=(),
        incident=dataclasses.replace(alone.incident, service_ids=(), service_names=()),
    )
    title = _page_title_of_drawing(alone)
    assert title == "Neighbourhood of INC-9: 1 node, 0 linking edges"
    assert _page_title_of_drawing(_investigation()).endswith(" linking edges")


def _page_title_of_drawing(investigation: Investigation) -> str:
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(investigation, PageSession(token, token.viewer(), "csrf"))
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    found = re.search(r'<title id="map-title">(.*?)</title>', html)
    assert found is not None
    return found.group(1)


def test_an_open_follow_up_on_the_investigation_page_names_whom_it_is_assigned_to() -> None:
    # The open follow-ups and each precedent's follow-ups gave title and status, not the assignee
    # the investigation read: a responder finding the fix unfinished had to look up whom to ask.
    def follow_up(id_: str, assignee: str | None) -> FollowUp:
        return FollowUp(id_, f"Fix {id_}", "outstanding", None, None, "inc-1", "INC-1", assignee)

    follow_ups = (follow_up("fu-1", "Ana <Ruiz>"), follow_up("fu-2", None))
    investigation = _investigation()
    first, second = investigation.similar
    similar = (dataclasses.replace(first, follow_ups=follow_ups), second)
    investigation = dataclasses.replace(investigation, follow_ups=follow_ups, similar=similar)
    token = ApiToken("tok_000000000000", "reader", frozenset({"read"}), NOW)
    page = render_investigation(investigation, PageSession(token, token.viewer(), "csrf"))
    assert page.template_name is not None
    html = _environment().get_template(page.template_name).render(**page.context)
    listed = html[html.index('id="follow-ups"') :]
    items = dict(re.findall(r'<li id="follow-up-([^"]+)">(.*?)</li>', listed, re.S))
    assert "assigned to Ana &lt;Ruiz&gt;</span>" in items["fu-1"]
    assert "unassigned</span>" in items["fu-2"]
    [card] = [c for c in html.split('<li class="card">') if "<dt>Follow-ups</dt>" in c]
    assert 'Fix fu-1 <span class="muted">outstanding · assigned to Ana &lt;Ruiz&gt;</span>' in card
    assert 'Fix fu-2 <span class="muted">outstanding · unassigned</span>' in card
