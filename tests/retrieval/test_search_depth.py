"""A search's answer does not depend on how many hits were asked for: a shorter one is its prefix.

Each half of a search looked three times the limit deep, so ``limit=1`` fused two lists of three
and its one hit was not the first of ``limit=20`` whenever the best hit ranked first in one half
and fourth or lower in the other: an agent asking for the best match got another than the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding.fake import HashEmbedder
from precedent.model import PUBLIC_VIEWER
from precedent.retrieval import SEARCH_MAX_RESULTS, SearchQuery, search_map
from tests.retrieval.small_org import hashed_small_org

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.store.embedded import EmbeddedStore

QUERIES = [
    "database connection pool exhausted",
    "checkout failing",
    "payments timing out",
    "config deploy rolled back",
    "search indexer lag",
    "ledger job parse error",
    "css missing on checkout page",
]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    async with hashed_small_org(tmp_path / "graph") as opened:
        yield opened


@pytest.mark.parametrize("text", QUERIES)
async def test_fewer_hits_are_the_first_of_more(store: EmbeddedStore, text: str) -> None:
    async def ids(limit: int) -> list[str]:
        hits = await search_map(store, HashEmbedder(), SearchQuery(text, limit=limit), viewer=PUBLIC_VIEWER)
        return [hit.node.id for hit in hits]

    everything = await ids(SEARCH_MAX_RESULTS)
    for limit in (1, 2, 3, 5, 20):
        assert await ids(limit) == everything[:limit], limit
