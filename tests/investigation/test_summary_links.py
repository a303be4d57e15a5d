"""A stored summary's links open under the reader's address now, not the one it was built under."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from precedent.embedding import HashEmbedder
from precedent.investigation import build_investigation, get, save, shown_summary
from precedent.links import Links
from precedent.model import OWNER_VIEWER
from precedent.retrieval import IncidentQuery
from tests.investigation.org import build_investigation_org, map_collaborators

if TYPE_CHECKING:
    from precedent.investigation import Investigation
    from precedent.store import GraphStore

BUILT_UNDER = "http://127.0.0.1:8080"  # the demo's address when it was built
READ_UNDER = "https://precedent.example.com"  # PRECEDENT_PUBLIC_URL now


def _targets(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


async def _built(store: GraphStore) -> Investigation:
    """INC-20's investigation, built by a process serving its pages at ``BUILT_UNDER``, and stored."""
    await build_investigation_org(store, HashEmbedder(dimensions=384))
    collaborators = replace(map_collaborators(store), links=Links(BUILT_UNDER))
    built = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    await save(store, built)
    return built


async def test_a_stored_summary_links_under_the_readers_address(embedded_store: GraphStore) -> None:
    built = await _built(embedded_store)
    # Stored site-relative: no address of the process that built it.
    assert _targets(built.summary_markdown)
    assert all(t.startswith("/ui/") for t in _targets(built.summary_markdown))
    stored = await get(embedded_store, built.id, OWNER_VIEWER)
    assert BUILT_UNDER not in stored.summary_markdown

    shown = shown_summary(stored, Links(READ_UNDER), latest=False)
    targets = _targets(shown)
    # Its incidents, teams and its own page: every one under the address read from.
    assert any("/ui/teams/" in t for t in targets)
    assert any("/ui/incidents/" in t for t in targets)
    assert all(t.startswith(READ_UNDER + "/ui/") for t in targets), targets
    assert f"{READ_UNDER}/ui/investigations/{quote(built.id, safe='')}" in targets


async def test_the_latest_links_its_own_page_by_its_incidents_reference(embedded_store: GraphStore) -> None:
    stored = await get(embedded_store, (await _built(embedded_store)).id, OWNER_VIEWER)

    targets = _targets(shown_summary(stored, Links(READ_UNDER), latest=True))

    assert f"{READ_UNDER}/ui/incidents/INC-20/investigation" in targets
    assert not any("/ui/investigations/" in t for t in targets)


async def test_one_stored_with_the_address_it_was_built_under_is_read_under_the_readers(
    embedded_store: GraphStore,
) -> None:
    built = await _built(embedded_store)
    # As it was stored before: every link absolute under the builder's address.
    old = replace(built, summary_markdown=Links(BUILT_UNDER).under_base(built.summary_markdown))
    assert _targets(old.summary_markdown)
    assert all(t.startswith(BUILT_UNDER + "/ui/") for t in _targets(old.summary_markdown))
    await save(embedded_store, old)

    stored = await get(embedded_store, built.id, OWNER_VIEWER)

    assert stored.summary_markdown == built.summary_markdown
    shown = shown_summary(stored, Links(READ_UNDER), latest=False)
    assert BUILT_UNDER not in shown
    assert all(t.startswith(READ_UNDER + "/ui/") for t in _targets(shown))


def test_escaped_text_that_looks_like_a_link_is_left_as_written() -> None:
    # Text from the map is escaped: "\](/ui/x)" is shown as written, never given a base.
    markdown = r"cause: see \](/ui/teams/x) and [web](/ui/teams/web) and \\](/ui/teams/y)"
    assert Links("https://p.example").under_base(markdown) == (
        r"cause: see \](/ui/teams/x) and [web](https://p.example/ui/teams/web) and "
        r"\\](https://p.example/ui/teams/y)"
    )
