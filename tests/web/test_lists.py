"""The incident and service lists: what a viewer may see, a page at a time, and a refused filter said."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.web.conftest import Pages


def _references(html: str) -> list[str]:
    return re.findall(r'<li><a href="/ui/incidents/(INC-\d+)">', html)


async def _every_page(pages: Pages, path: str) -> list[str]:
    """The references listed on ``path`` and each page its "Next page" links lead to."""
    seen: list[str] = []
    while True:
        response = await pages.client.get(path)
        assert response.status_code == 200, (path, response.text)
        seen += _references(response.text)
        found = re.search(r'<a id="next-page" rel="next" href="([^"]+)">Next page</a>', response.text)
        if found is None:
            return seen
        path = unescape(found.group(1))


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
    assert re.search(r"<time datetime=\"[^\"]+\" title=\"[^\"]+ UTC\">[^<]+ ago</time>", row.group(0)), (
        row.group(0)
    )
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
    assert f"<option selected>{status}</option>" in html
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
    assert "<option selected>Sleeping</option>" in unknown_status.text
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
