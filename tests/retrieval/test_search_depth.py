"""A search's answer does not depend on how many hits were asked for, up to the default: a shorter
one is its prefix.

Each half of a search looked three times the limit deep, so ``limit=1`` fused two lists of three
and its one hit was not the first of ``limit=20`` whenever the best hit ranked first in one half
and fourth or lower in the other: an agent asking for the best match got another than the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding.fake import HashEmbedder
from precedent.model import PUBLIC_VIEWER, Node
from precedent.retrieval import SEARCH_DEFAULT_LIMIT, SearchQuery, search_map
from tests.retrieval.small_org import hashed_small_org
from tests.support.counted_reads import CountedReads

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

    everything = await ids(SEARCH_DEFAULT_LIMIT)
    for limit in (1, 2, 3, 5, 10):
        assert await ids(limit) == everything[:limit], limit


async def test_a_search_reads_whole_only_the_nodes_its_answer_needs(store: EmbeddedStore) -> None:
    # The fused list of both halves runs to a hundred ids and more; every one was read whole.
    texts = [f"Check the database connection pool size on replica {n}" for n in range(120)]
    vectors = await HashEmbedder().embed(texts)
    await store.upsert_nodes(
        [
            Node(f"fu-pool-{n}", "FollowUp", {"title": text}, None, "public", text, vectors[n])
            for n, text in enumerate(texts)
        ]
    )
    counting = CountedReads(store)
    query = SearchQuery("database connection pool exhausted", limit=3)
    hits = await search_map(counting, HashEmbedder(), query, viewer=PUBLIC_VIEWER)  # type: ignore[arg-type]
    assert len(hits) == 3
    assert counting.nodes <= 25  # one batch, and the references of the three hits
    plain = await search_map(store, HashEmbedder(), query, viewer=PUBLIC_VIEWER)
    assert [hit.node.id for hit in hits] == [hit.node.id for hit in plain]
