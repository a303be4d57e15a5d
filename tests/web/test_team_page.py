"""The team page: on call now, what the team owns, members, recent incidents, open follow-ups, links to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from precedent.browse.teams import RECENT_INCIDENTS
from precedent.embedding import HashEmbedder
from precedent.links import Links
from precedent.model import Edge, Node
from precedent.retrieval.lessons import DONE_STATUSES
from precedent.store.embedded import EmbeddedStore
from tests.web.conftest import DIMENSIONS, copied_map, signed_in_reader

if TYPE_CHECKING:
    from tests.web.conftest import Pages, WebOrg


@dataclass(frozen=True)
class Team:
    """A team of the organisation, and what its page should show, read from the map directly."""

    node: Node
    members: list[str]
    services: list[str]
    incidents: list[Node]  # on the team or a service it owns, newest first
    open_follow_ups: dict[str, list[str]]  # incident id -> its open follow-ups' ids, by id
    hit: dict[str, list[str]]  # incident id -> the names of what the team owns that it affected

    @property
    def name(self) -> str:
        return str(self.node.properties["name"])

    def newest(self, *, private: bool) -> list[str]:
        shown = [n for n in self.incidents if private or n.visibility == "public"]
        return [str(n.properties["reference"]) for n in shown[:RECENT_INCIDENTS]]


async def _team_of(org: WebOrg, incident: Node) -> Team:
    """The team owning a service ``incident`` affected."""
    store = EmbeddedStore(org.data_dir / "graph", dimensions=DIMENSIONS, read_only=True)
    await store.open()
    try:
        edges = [e async for e in store.scan_edges(["AFFECTS", "OWNED_BY", "MEMBER_OF", "HAS_FOLLOW_UP"])]
        nodes = {n.id: n async for n in store.scan_nodes(["Team", "Service", "User", "Incident", "FollowUp"])}
    finally:
        await store.close()
    affected = {e.target for e in edges if e.type == "AFFECTS" and e.source == incident.id}
    team_id = min(
        e.target for e in edges if e.type == "OWNED_BY" and e.source in affected and e.target in nodes
    )
    owned = {e.source for e in edges if e.type == "OWNED_BY" and e.target == team_id}
    anchors = owned | {team_id}
    incidents = {e.source for e in edges if e.type == "AFFECTS" and e.target in anchors}
    hit = {
        i: sorted(
            (
                str(nodes[e.target].properties["name"])
                for e in edges
                if e.type == "AFFECTS" and e.source == i and e.target in owned
            ),
            key=str.casefold,
        )
        for i in incidents
    }
    return Team(
        nodes[team_id],
        [
            str(nodes[e.source].properties["name"])
            for e in edges
            if e.type == "MEMBER_OF" and e.target == team_id
        ],
        [str(nodes[s].properties["name"]) for s in owned if s in nodes and nodes[s].label == "Service"],
        sorted((nodes[i] for i in incidents), key=lambda n: (n.occurred_at, n.id), reverse=True),
        {
            i: sorted(
                e.target
                for e in edges
                if e.type == "HAS_FOLLOW_UP" and e.source == i and _open(nodes[e.target])
            )
            for i in incidents
        },
        hit,
    )


def _open(follow_up: Node) -> bool:
    return (
        "completed_at" not in follow_up.properties
        and str(follow_up.properties.get("status", "")).lower() not in DONE_STATUSES
    )


def _section(html: str, section: str) -> str:
    start = html.index(f'id="{section}"')
    return html[start : html.find("</section>", start)]


def _listed(html: str) -> list[str]:
    return re.findall(r'<li><a href="/ui/incidents/(INC-\d+)">', _section(html, "incidents"))


async def test_the_team_page_says_who_is_on_call_what_it_owns_and_its_incidents(pages: Pages) -> None:
    team = await _team_of(pages.org, pages.org.public)
    await pages.sign_in(pages.org.private_token)
    response = await pages.client.get(f"/ui/teams/{quote(team.name)}")
    assert response.status_code == 200, response.text
    html = response.text
    assert f"<title>Team {team.name} · Precedent</title>" in html
    # Who is on call, with where the answer came from, as the service page says it.
    on_call = re.search(r'<dd id="on-call">(.*?)</dd>', html, re.S)
    assert on_call is not None
    assert "; from an imported export, as of its file time " in on_call.group(1), on_call.group(1)
    owns = re.search(r'<dd id="owns">(.*?)</dd>', html, re.S)
    assert owns is not None
    for service in team.services:
        assert f'<a href="/ui/services/{quote(service, safe="")}">{service}</a>' in owns.group(1)
    for member in team.members:
        assert member in html
    assert _listed(html) == team.newest(private=True)
    # Which of its services each incident hit, linked to their pages.
    shown = {
        ref: re.findall(r'<a href="/ui/services/[^"]+">([^<]+)</a>', hit)
        for ref, hit in re.findall(
            r'<li><a href="/ui/incidents/(INC-\d+)">.*?<span class="hit[^"]*">(.*?)</span>',
            _section(html, "incidents"),
            re.S,
        )
    }
    hit = {str(n.properties["reference"]): team.hit[n.id] for n in team.incidents}
    assert shown == {ref: hit[ref] for ref in team.newest(private=True)}
    assert any(shown.values()), "its incidents hit the services it owns"
    # Work left on its incidents (all of them here: fewer than the fifty it reads), newest first.
    expected = [f for n in team.incidents for f in team.open_follow_ups[n.id]]
    assert expected, "the team's incidents left open follow-ups"
    assert re.findall(r'<li id="follow-up-([^"]+)">', _section(html, "follow-ups")) == expected


async def test_a_reader_does_not_see_the_teams_private_incidents(pages: Pages) -> None:
    team = await _team_of(pages.org, pages.org.private)
    private = {str(n.properties["reference"]) for n in team.incidents if n.visibility == "private"}
    assert pages.org.private_ref in team.newest(private=True), "a private reader's page lists it"
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get(f"/ui/teams/{quote(team.name)}")).text
    assert _listed(html) == team.newest(private=False)
    assert not set(re.findall(r"/ui/incidents/(INC-\d+)", html)) & private
    assert str(pages.org.private.properties["name"]) not in html


async def test_service_incident_and_investigation_pages_link_their_teams_to_the_team_page(
    pages: Pages,
) -> None:
    team = await _team_of(pages.org, pages.org.public)
    link = f'<a href="{Links("").team(team.name)}">{team.name}</a>'
    await pages.sign_in(pages.org.read_token)
    incident = (await pages.client.get(f"/ui/incidents/{pages.org.public_ref}")).text
    teams = re.search(r"· Teams: (.*?)\n", incident)
    assert teams is not None
    assert link in teams.group(1)
    service = (await pages.client.get(f"/ui/services/{quote(pages.org.service_name)}")).text
    assert link in _section(service, "owners")
    investigation = (await pages.client.get(f"/ui/investigations/{pages.org.public_investigation}")).text
    assert link in _section(investigation, "brief")
    assert link in _section(investigation, "services")


async def test_an_unknown_team_is_not_found_and_the_page_says_to_search(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    response = await pages.client.get("/ui/teams/Team%20Chekout")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert "There is no team &#39;Team Chekout&#39; that you can see." in response.text
    assert '<a id="search-for-it" href="/ui/search?q=Team+Chekout">' in response.text


async def test_a_team_whose_name_holds_a_slash_has_a_page(web_org: WebOrg) -> None:
    async with copied_map(web_org, "slashed-team-data") as (data_dir, store):
        await store.upsert_nodes([Node("team-slashed", "Team", {"name": "core/payments"})])
        await store.upsert_edges([Edge(web_org.service.id, "OWNED_BY", "team-slashed")])
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            link = Links("").team("core/payments")
            assert link == "/ui/teams/core%2Fpayments"
            for path in (link, "/ui/teams/core/payments", "/ui/teams/team-slashed"):
                response = await client.get(path)
                assert response.status_code == 200, path
                assert "<title>Team core/payments" in response.text, path
            # ...and the service it owns links to it.
            service = (await client.get(Links("").service(web_org.service_name))).text
            assert f'<a href="{link}">core/payments</a>' in service


async def test_what_a_team_owns_links_to_a_page_only_when_it_is_a_service(web_org: WebOrg) -> None:
    # An owned catalog entry that is not a service (a product, a queue) linked to a service page
    # that answered "There is no service ... that you can see".
    async with copied_map(web_org, "catalog-entry-data") as (data_dir, store):
        team = await _team_of(web_org, web_org.public)
        await store.upsert_nodes([Node("entry-checkout", "CatalogEntry", {"name": "Checkout product"})])
        await store.upsert_edges([Edge("entry-checkout", "OWNED_BY", team.node.id)])
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            html = (await client.get(Links("").team(team.name))).text
            owns = re.search(r'<dd id="owns">(.*?)</dd>', html, re.S)
            assert owns is not None
            assert 'Checkout product <span class="muted">(catalog entry)</span>' in owns.group(1)
            assert "/ui/services/Checkout" not in owns.group(1)
            for service in team.services:
                assert f'href="{Links("").service(service)}"' in owns.group(1)


async def test_an_open_follow_up_on_team_and_incident_pages_names_its_assignee(web_org: WebOrg) -> None:
    # The page listed an open follow-up's title, status and priority but not its assignee, so a
    # responder finding the fix unfinished had to look up whom to ask how far it got.
    async with copied_map(web_org, "assigned-follow-up-data") as (data_dir, store):
        team = await _team_of(web_org, web_org.public)
        incident = next(n for n in team.incidents if team.open_follow_ups[n.id])
        seen = incident.visibility
        await store.upsert_nodes(
            [
                Node("user-ana", "User", {"name": "Ana <Ruiz> & Co"}),
                *(
                    Node(f, "FollowUp", {"title": f"Fix {f}", "status": "outstanding"}, visibility=seen)
                    for f in ("fu-assigned", "fu-unassigned")
                ),
            ]
        )
        await store.upsert_edges(
            [
                Edge(incident.id, "HAS_FOLLOW_UP", "fu-assigned"),
                Edge(incident.id, "HAS_FOLLOW_UP", "fu-unassigned"),
                Edge("fu-assigned", "ASSIGNED_TO", "user-ana"),
            ]
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            pages = [
                (await client.get(Links("").team(team.name))).text,
                (await client.get(Links("").incident(str(incident.properties["reference"])))).text,
            ]
        for html in pages:
            listed = _section(html, "follow-ups")
            items = dict(re.findall(r'<li id="follow-up-([^"]+)">(.*?)</li>', listed, re.S))
            # Named as other text is, escaped.
            assert "assigned to Ana &lt;Ruiz&gt; &amp; Co</span>" in items["fu-assigned"]
            assert "unassigned</span>" in items["fu-unassigned"]
