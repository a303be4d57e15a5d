"""Links between the pages name incidents by reference (``/ui/incidents/INC-147``), not by id.

A responder copies a link into a channel or a ticket: ``/ui/incidents/01M6F7...`` told its reader
nothing, while every page already opens by reference.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

from precedent.investigation.persist import get
from precedent.investigation.results import Evidence
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.web.pages_investigation import cited_references
from tests.web.conftest import copied_map

if TYPE_CHECKING:
    from tests.web.conftest import Pages, WebOrg

REFERENCE = re.compile(r"INC-\d+")


def incident_links(html: str) -> list[str]:
    """The incident each link to an incident's page (or its investigation) names."""
    return [unquote(m) for m in re.findall(r'href="/ui/incidents/([^"/?#]+)', html)]


async def test_every_page_links_to_incidents_by_reference(pages: Pages) -> None:
    org = pages.org
    await pages.sign_in(org.private_token)
    team = re.search(r'href="(/ui/teams/[^"]+)"', (await pages.client.get("/ui/teams")).text)
    assert team
    paths = [
        "/ui/",
        "/ui/incidents",
        f"/ui/incidents/{org.public_ref}",
        f"/ui/incidents/{org.public_ref}/investigation",
        f"/ui/incidents/{org.private_ref}/investigation",
        f"/ui/investigations/{org.public_investigation}",
        f"/ui/services/{org.service_name}",
        team[1],
        # Hits on updates and post-mortem sections, which open their incident's page where they are.
        "/ui/search?q=rollback",
        "/ui/search?q=database",
    ]
    linked: dict[str, list[str]] = {}
    for path in paths:
        response = await pages.client.get(path)
        assert response.status_code == 200, path
        linked[path] = incident_links(response.text)
        assert [ref for ref in linked[path] if not REFERENCE.fullmatch(ref)] == [], path
    # The links this was about are there: a part's hit, a hypothesis's evidence, a recent build.
    assert re.search(
        r'href="/ui/incidents/INC-\d+#update-', (await pages.client.get("/ui/search?q=rollback")).text
    )
    investigation = (await pages.client.get(f"/ui/investigations/{org.public_investigation}")).text
    evidence = investigation.split('id="hypotheses"')[1].split('id="precedents"')[0]
    assert incident_links(evidence)
    home = (await pages.client.get("/ui/")).text
    assert f'href="/ui/incidents/{org.public_ref}/investigation"' in home
    assert 'href="/ui/investigations/' not in home


async def test_a_reference_is_read_only_for_incidents_the_reader_may_see(web_org: WebOrg) -> None:
    # An investigation citing a private incident, shown to a reader without read:private, must
    # not give its reference away through a link; the owner's link names it.
    async with copied_map(web_org, "links-data") as (_, store):
        public = await get(store, web_org.public_investigation, OWNER_VIEWER)
        cites = Evidence("incident", web_org.private.id, web_org.private.id, "cited for the test")
        hypothesis = replace(public.hypotheses[0], evidence=(*public.hypotheses[0].evidence, cites))
        citing = replace(public, hypotheses=(hypothesis, *public.hypotheses[1:]))

        for_reader = await cited_references(store, citing, PUBLIC_VIEWER)
        assert web_org.private.id not in for_reader
        assert web_org.private_ref not in for_reader.values()
        assert for_reader  # the public ones it cites are named
        assert all(REFERENCE.fullmatch(ref) for ref in for_reader.values())
        for_owner = await cited_references(store, citing, OWNER_VIEWER)
        assert for_owner[web_org.private.id] == web_org.private_ref
