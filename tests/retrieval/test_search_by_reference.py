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
from precedent.store.embedded import EmbeddedStore
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    embedder = HashEmbedder()
    opened = EmbeddedStore(tmp_path / "graph", dimensions=embedder.dimensions)
    await opened.open()
    await build(opened, embedder)
    # An update elsewhere that mentions another reference, as merged duplicates say.
    await opened.upsert_nodes(
        [
            Node(
                "inc-11:u9",
                "IncidentUpdate",
                {"incident_id": "inc-11", "message": "Duplicate of INC-12; merging."},
                at("2023-03-01T12:00:00"),
                "public",
                "Duplicate of INC-12; merging.",
            )
        ]
    )
    try:
        yield opened
    finally:
        await opened.close()


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
