"""A search naming an incident by its reference (INC-10) finds that incident first, on every surface.

The reference is not in an incident's indexed text, so "INC-10" searched the words "inc" and "10"
and answered other incidents' parts (updates saying "Duplicate of INC-11") without the one named:
the first thing a responder types into the search box after a Slack message names an incident.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding.fake import HashEmbedder
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Node, Viewer
from precedent.retrieval import SearchQuery, search_map
from tests.retrieval.small_org import at, hashed_small_org

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.store.embedded import EmbeddedStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    async with hashed_small_org(tmp_path / "graph") as opened:
        # An update elsewhere that mentions another reference, as merged duplicates say.
        message = "Duplicate of INC-12; merging."
        props = {"incident_id": "inc-11", "message": message}
        when = at("2023-03-01T12:00:00")
        await opened.upsert_nodes([Node("inc-11:u9", "IncidentUpdate", props, when, "public", message)])
        yield opened


async def _ids(store: EmbeddedStore, query: SearchQuery, viewer: Viewer = PUBLIC_VIEWER) -> list[str]:
    return [hit.node.id for hit in await search_map(store, HashEmbedder(), query, viewer=viewer)]


@pytest.mark.parametrize("mode", ["hybrid", "text", "semantic"])
async def test_a_reference_finds_its_incident_first(store: EmbeddedStore, mode: str) -> None:
    assert (await _ids(store, SearchQuery("INC-13", mode=mode)))[0] == "inc-13"  # type: ignore[arg-type]


async def test_a_reference_among_words_in_any_case_leads_them(store: EmbeddedStore) -> None:
    assert (await _ids(store, SearchQuery("is inc-12 back? checkout styles")))[0] == "inc-12"


async def test_a_reference_keeps_the_viewer_the_kinds_and_the_window(store: EmbeddedStore) -> None:
    assert "inc-14" not in await _ids(store, SearchQuery("INC-14"))  # private, read as public
    assert (await _ids(store, SearchQuery("INC-14"), OWNER_VIEWER))[0] == "inc-14"
    assert "inc-13" not in await _ids(store, SearchQuery("INC-13", kinds=("update",)))
    window = SearchQuery("INC-13", after=at("2024-01-01T00:00:00"))
    assert "inc-13" not in await _ids(store, window)
