"""The incident and service lists: what a viewer may see, a page at a time, and a refused filter said."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from typing import TYPE_CHECKING
from urllib.parse import quote

from precedent.embedding import HashEmbedder
from precedent.model import Node
from precedent.web.pages_lists import PLACE_LOST
from tests.web.conftest import DIMENSIONS, copied_map, signed_in_reader

if TYPE_CHECKING:
    from tests.web.conftest import Pages, WebOrg


def _references(html: str) -> list[str]:
    return re.findall(r'<li><a href="/ui/incidents/(INC-\d+)">', html)


def _ticked(html: str) -> list[str]:
    """The statuses whose boxes the filter form has ticked, in the form's order."""
    return re.findall(r'<input type="checkbox" name="status" value="([^"]+)" checked>', html)


def _refused(html: str) -> str:
    found = re.search(r'id="refused">(.*?)</p>', html, re.S)
    assert found is not None, html
    return unescape(found.group(1))


def _link(html: str, link_id: str) -> str | None:
    found = re.search(rf'<a id="{link_id}"[^>]* href="([^"]+)">', html)
    return unescape(found.group(1)) if found else None


async def _every_page(pages: Pages, path: str) -> list[str]:
    """The references listed on ``path`` and each page its "Next page" links lead to."""
    seen: list[str] = []
    while True:
        response = await pages.client.get(path)
        assert response.status_code == 200, (path, response.text)
        seen += _references(response.text)
        following = _link(response.text, "next-page")
        if following is None:
            return seen
        path = following


async def test_the_incident_list_pages_newest_first_through_every_incident_the_viewer_may_see(
    pages: Pages,
) -> None:
    await pages.sign_in(pages.org.private_token)
    first = (await pages.client.get("/ui/incidents")).text
    assert len(_references(first)) == 25  # one page; 30 in the map
    assert _references(first)[0] in (pages.org.public_ref, pages.org.private_ref)  # the newest
    listed = await _every_page(pages, "/ui/incidents")
    assert len(listed) == len(set(listed)) == 30
    assert pages.org.private_ref in listed
    # Each row: its incident page, title, severity, status, declared time and services, linked.
    row = re.search(rf'<li><a href="/ui/incidents/{pages.org.public_ref}">.*?</li>', first, re.S)
    assert row is not None
    props = pages.org.public.properties
    for shown in (str(props["name"]), str(props["severity"]), str(props["status"])):
        assert shown in unescape(row.group(0)), shown
    # Its declared time itself, then how long ago: a phone shows no tooltip to read the date from.
    declared = pages.org.public.occurred_at
    assert declared is not None
    at = declared.isoformat(timespec="seconds")
    shown = f'<time class="when" datetime="{at}">{declared:%Y-%m-%d %H:%M} UTC</time>'
    assert re.search(
        re.escape(shown) + r' <span class="ago">\(\d+ (s|min|h|d)( \d+ (min|h))? ago\)</span>', row.group(0)
    ), row.group(0)
    assert "title=" not in row.group(0)
    assert f'<a href="/ui/services/{pages.org.service_name}">' in row.group(0)


async def test_a_read_token_never_sees_a_private_incident_in_the_lists(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    listed = await _every_page(pages, "/ui/incidents")
    assert pages.org.public_ref in listed
    assert pages.org.private_ref not in listed
    assert str(pages.org.private.properties["name"]) not in "".join(listed)
    services = (await pages.client.get("/ui/services")).text
    assert pages.org.private_ref not in services


async def test_the_filters_keep_their_values_and_page_on_within_them(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    status = str(pages.org.public.properties["status"])
    html = (await pages.client.get("/ui/incidents", params={"status": status.lower()})).text
    assert _ticked(html) == [status]
    assert _references(html)
    for ref in _references(html):
        assert status in unescape(re.search(rf'/ui/incidents/{ref}">.*?</li>', html, re.S).group(0))  # type: ignore[union-attr]
    on_service = await _every_page(pages, f"/ui/incidents?service={pages.org.service_name}")
    assert pages.org.public_ref in on_service
    assert len(on_service) < 30


async def test_a_bad_filter_is_the_list_saying_why_with_its_form_kept(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    unknown_status = await pages.client.get("/ui/incidents", params={"status": "Sleeping", "service": "x"})
    assert unknown_status.status_code == 400
    assert unknown_status.headers["content-type"].startswith("text/html")
    assert 'id="refused"' in unknown_status.text
    assert "Sleeping" in unknown_status.text
    assert _ticked(unknown_status.text) == ["Sleeping"]
    assert 'name="service" type="search" value="x"' in unknown_status.text
    unknown_service = await pages.client.get("/ui/incidents", params={"service": "no-such-service"})
    assert unknown_service.status_code == 400
    assert "no-such-service" in unescape(re.search(r'id="refused">(.*?)</p>', unknown_service.text).group(1))  # type: ignore[union-attr]
    stale = await pages.client.get("/ui/incidents", params={"cursor": "garbage"})
    assert stale.status_code == 400
    assert 'id="refused"' in stale.text


async def test_the_service_list_names_owners_and_recent_incidents(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get("/ui/services")).text
    rows = re.findall(r'<li><a href="/ui/services/([^"]+)">(.*?)</a>(.*?)</li>', html, re.S)
    names = [unescape(name) for _, name, _ in rows]
    assert names == sorted(names, key=str.casefold)
    assert pages.org.service_name in names
    row = next(rest for _, name, rest in rows if name == pages.org.service_name)
    # The service of the newest incident: it had one in the last four weeks.
    count = re.search(r"· (\d+) incidents?</span>", row)
    assert count is not None, row
    assert int(count.group(1)) >= 1, row
    assert re.search(r'owned by <a href="/ui/teams/[^"]+">', row), row


async def test_the_home_counts_and_the_nav_lead_to_the_lists(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    home = (await pages.client.get("/ui/")).text
    assert '<dt><a class="whole" href="/ui/incidents">Incidents</a></dt>' in home
    assert '<dt><a class="whole" href="/ui/services">Services</a></dt>' in home
    nav = re.search(r'<nav aria-label="Site">(.*?)</nav>', home, re.S)
    assert nav is not None
    assert 'href="/ui/incidents"' in nav.group(1)
    assert 'href="/ui/services"' in nav.group(1)


async def test_several_statuses_list_any_of_them_given_as_the_api_takes_them_or_as_ticked_boxes(
    web_org: WebOrg,
) -> None:
    async with copied_map(web_org, "statuses-data") as (data_dir, store):
        public = sorted(
            [n async for n in store.scan_nodes(["Incident"]) if n.visibility == "public"], key=lambda n: n.id
        )
        groups = (
            ("Triage", "triage", public[:2]),
            ("Investigating", "live", public[2:5]),
            ("Monitoring", "live", public[5:6]),
        )
        await store.upsert_nodes(
            [
                dataclasses.replace(
                    n, properties={**n.properties, "status": name, "status_category": category}
                )
                for name, category, nodes in groups
                for n in nodes
            ]
        )
        ranked = sorted(
            [n async for n in store.scan_nodes(["IncidentStatus"])],
            key=lambda n: float(n.properties["rank"]),  # type: ignore[arg-type]
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            # The API's form (in any case), and the form's: one parameter per ticked box.
            given = await client.get("/ui/incidents", params={"status": "Triage, investigating"})
            ticked = await client.get(
                "/ui/incidents", params=[("status", "Triage"), ("status", "Investigating")]
            )
            assert given.status_code == ticked.status_code == 200
            wanted = {str(n.properties["reference"]) for _, _, nodes in groups[:2] for n in nodes}
            assert set(_references(given.text)) == wanted
            assert _references(ticked.text) == _references(given.text)
            for html in (given.text, ticked.text):
                assert _ticked(html) == ["Triage", "Investigating"]
                # A box per status the map knows, in the order an incident goes through them.
                boxes = re.findall(r'<input type="checkbox" name="status" value="([^"]+)"', html)
                assert boxes == [str(n.properties["name"]) for n in ranked]
            # "The open ones" in one step: the statuses of incidents still being worked on.
            open_ones = _link(given.text, "open-ones")
            assert open_ones == "/ui/incidents?status=Triage,Investigating,Identified,Monitoring"
            shown = (await client.get(open_ones)).text
            every_open = {str(n.properties["reference"]) for _, _, nodes in groups for n in nodes}
            assert set(_references(shown)) == every_open
            assert _ticked(shown) == ["Triage", "Investigating", "Identified", "Monitoring"]
            assert _link(shown, "open-ones") is None
            # The refusal names the status the map does not know among several.
            refused = await client.get("/ui/incidents", params={"status": "Triage,Sleeping"})
            assert refused.status_code == 400
            assert "Sleeping" in unescape(re.search(r'id="refused">(.*?)</p>', refused.text).group(1))  # type: ignore[union-attr]
            assert _ticked(refused.text) == ["Triage", "Sleeping"]


async def test_later_pages_keep_several_statuses_in_the_apis_form(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    first = await pages.client.get("/ui/incidents", params=[("status", "Closed"), ("status", "Triage")])
    following = _link(first.text, "next-page")
    assert following is not None
    assert following.startswith("/ui/incidents?status=Closed,Triage&cursor=")
    listed = await _every_page(pages, "/ui/incidents?status=Closed,Triage")
    assert len(listed) == len(set(listed)) == 30


async def test_a_later_page_leads_back_to_the_newest_with_the_same_filters(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    first = (await pages.client.get("/ui/incidents", params={"status": "closed"})).text
    assert _link(first, "newest-page") is None
    second_path = _link(first, "next-page")
    assert second_path is not None
    second = (await pages.client.get(second_path)).text
    assert "Newest declared first, continued." in second
    newest = _link(second, "newest-page")
    assert newest == "/ui/incidents?status=closed"
    again = (await pages.client.get(newest)).text
    assert _references(again) == _references(first)
    assert _link(again, "newest-page") is None
    # A cursor the list refuses (an old bookmark): the way back is there too.
    service = pages.org.service_name
    stale = await pages.client.get("/ui/incidents", params={"service": service, "cursor": "garbage"})
    assert stale.status_code == 400
    assert _link(stale.text, "newest-page") == f"/ui/incidents?service={service}"
    # Said in words for a reader, not the API's "pass the previous page's next_cursor unchanged".
    lost = PLACE_LOST.format(first="newest incidents")
    assert _refused(stale.text) == lost
    # A later page's link opened with other filters (or shared with someone who sees other incidents).
    other = await pages.client.get(second_path.replace("status=closed", "status=Closed,Triage"))
    assert other.status_code == 400
    assert _refused(other.text) == lost
    assert _link(other.text, "newest-page") == "/ui/incidents?status=Closed,Triage"
    # An empty cursor is the first page, not a later one.
    empty = (await pages.client.get("/ui/incidents?cursor=")).text
    assert "Newest declared first." in empty
    assert _link(empty, "newest-page") is None


async def test_a_later_page_of_services_leads_back_to_the_first(web_org: WebOrg) -> None:
    async with copied_map(web_org, "many-services-data") as (data_dir, store):
        # More than one page of 100: the catalog of a large organisation.
        await store.upsert_nodes(
            [Node(f"svc-extra-{i:03}", "Service", {"name": f"zz-extra-{i:03}"}) for i in range(100)]
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            first = (await client.get("/ui/services")).text
            assert _link(first, "first-page") is None
            second_path = _link(first, "next-page")
            assert second_path is not None
            second = (await client.get(second_path)).text
            assert "zz-extra-099" in second
            assert _link(second, "first-page") == "/ui/services"
            stale = await client.get("/ui/services", params={"cursor": "garbage"})
            assert stale.status_code == 400
            assert _refused(stale.text) == PLACE_LOST.format(first="first page")
            assert _link(stale.text, "first-page") == "/ui/services"


def _current(html: str) -> list[str]:
    """The header's links marked as the page the reader is on."""
    nav = re.search(r'<nav aria-label="Site">(.*?)</nav>', html, re.S)
    assert nav is not None
    return re.findall(r'<a [^>]*href="([^"]+)" aria-current="page">', nav.group(1))


async def test_the_header_marks_the_link_to_the_page_the_reader_is_on(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    for path, current in (
        ("/ui/", ["/ui/"]),
        ("/ui/incidents", ["/ui/incidents"]),
        ("/ui/incidents?status=Closed", ["/ui/incidents"]),
        ("/ui/services", ["/ui/services"]),
        (f"/ui/incidents/{pages.org.public_ref}", []),
        ("/ui/search?q=latency", []),
    ):
        response = await pages.client.get(path)
        assert response.status_code == 200, path
        assert _current(response.text) == current, path


async def test_a_service_page_leads_to_every_incident_on_it(pages: Pages) -> None:
    # Its own list stops at 30 days; the chart counts 26 weeks.
    await pages.sign_in(pages.org.private_token)
    name = pages.org.service_name
    service = (await pages.client.get(f"/ui/services/{quote(name)}")).text
    every = _link(service, "every-incident")
    assert every == f"/ui/incidents?service={quote(name)}"
    listed = await _every_page(pages, every)
    assert pages.org.public_ref in listed
    assert listed == await _every_page(pages, f"/ui/incidents?service={pages.org.service.id}")


async def test_the_team_list_leads_to_each_team_and_is_reached_from_the_home_count(pages: Pages) -> None:
    # /ui/teams was "There is no page at /ui/teams." and the home page's Teams count led nowhere.
    await pages.sign_in(pages.org.read_token)
    home = (await pages.client.get("/ui/")).text
    assert '<dt><a class="whole" href="/ui/teams">Teams</a></dt>' in home
    teams = await pages.client.get("/ui/teams")
    assert teams.status_code == 200
    row = r'<li><a href="(/ui/teams/[^"]+)">(.*?)</a>\s*<span class="muted">(.*?)</span>'
    rows = re.findall(row, teams.text)
    names = [unescape(name) for _, name, _ in rows]
    assert names
    assert names == sorted(names, key=str.casefold)
    counted = int(re.search(r"<dt>.*?Teams.*?</dt><dd>(\d+)</dd>", home).group(1))  # type: ignore[union-attr]
    assert len(names) == counted
    for href, name, counts in rows:
        assert re.fullmatch(r"\d+ members? · owns \d+ services?", counts), counts
        team = await pages.client.get(unescape(href))
        assert team.status_code == 200, href
        assert f"<h1>{name}</h1>" in team.text
    stale = await pages.client.get("/ui/teams", params={"cursor": "garbage"})
    assert stale.status_code == 400
    assert _refused(stale.text) == PLACE_LOST.format(first="first page")
    assert _link(stale.text, "first-page") == "/ui/teams"


async def test_a_service_charts_one_incident_as_one_incident(pages: Pages) -> None:
    # "1 incidents on ledger-db in the last 26 weeks", the chart's name to a screen reader.
    await pages.sign_in(pages.org.read_token)
    listed = (await pages.client.get("/ui/services")).text
    services = re.findall(r'<li><a href="(/ui/services/[^"]+)">', listed)
    counts = []
    for href in services:
        html = (await pages.client.get(unescape(href))).text
        title = re.search(r'<title id="chart-title">(\d+) (incidents?) on ', html)
        assert title is not None, href
        counts.append(int(title.group(1)))
        assert title.group(2) == ("incident" if counts[-1] == 1 else "incidents"), title.group(0)
    assert 1 in counts


async def test_a_team_page_leads_to_every_incident_of_the_team(pages: Pages) -> None:
    # Its own list stops at its newest ten; the incident list takes the API's team filter.
    await pages.sign_in(pages.org.private_token)
    service = (await pages.client.get(f"/ui/services/{quote(pages.org.service_name)}")).text
    team_href = re.search(r'<a href="(/ui/teams/[^"]+)">', service)
    assert team_href is not None
    team = (await pages.client.get(unescape(team_href.group(1)))).text
    recent = re.findall(r'<li><a href="/ui/incidents/(INC-\d+)">', team)
    every = _link(team, "every-incident")
    assert every is not None
    assert every.startswith("/ui/incidents?team=")
    listed = (await pages.client.get(every)).text
    assert _references(listed)[: len(recent)] == recent
    name = unescape(re.search(r"<h1>(.*?)</h1>", team).group(1))  # type: ignore[union-attr]
    # Said above the list, kept when the form is sent again, and a way to drop it.
    assert f'id="only-team">Only incidents of the team {name} or what it owns' in unescape(listed)
    assert f'<input type="hidden" name="team" value="{name}">' in unescape(listed)
    assert '(<a href="/ui/incidents">any team</a>)' in listed
    closed = (await pages.client.get(every + "&status=Closed")).text
    assert '(<a href="/ui/incidents?status=Closed">any team</a>)' in closed
