"""The load pipeline: large embedding batches, writes overlapping embedding, no lost forward edges."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from precedent.embedding import HashEmbedder, TokenCounter
from precedent.ingest import Loader
from precedent.ingest.mapping import MappedRecord
from precedent.model import Edge, Node

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from precedent.store import GraphStore


def _incidents(n: int) -> list[MappedRecord]:
    return [
        MappedRecord(Node(f"inc-{i}", "Incident", {"name": f"incident {i}"}, text=f"incident {i}"))
        for i in range(n)
    ]


class _SlowWrites:
    """Delegates to a real store; node writes take a while and are watched."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner
        self.writing = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        self.writing += 1
        await asyncio.sleep(0.05)
        await self._inner.upsert_nodes(nodes)
        self.writing -= 1


class _WatchingEmbedder(HashEmbedder):
    def __init__(self, store: _SlowWrites) -> None:
        super().__init__()
        self._store = store
        self.overlapped = 0
        self.sizes: list[int] = []

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.sizes.append(len(texts))
        await asyncio.sleep(0.05)
        self.overlapped += self._store.writing > 0
        return await super().embed(texts)


async def test_embedding_is_batched_and_overlaps_the_previous_write(embedded_store: GraphStore) -> None:
    store = _SlowWrites(embedded_store)
    embedder = _WatchingEmbedder(store)
    stats = await Loader(cast("GraphStore", store), embedder, batch_size=300).load(
        _incidents(1200), "incidents"
    )
    assert stats.labels["Incident"].created == 1200
    assert embedder.sizes == [300, 300, 300, 300]
    assert embedder.overlapped >= 2  # batches 2..4 are embedded while the previous batch is written


async def test_edges_to_nodes_in_later_batches_are_written(embedded_store: GraphStore) -> None:
    first = MappedRecord(Node("inc-a", "Incident", text="a"), edges=(Edge("inc-a", "RELATED_TO", "inc-z"),))
    filler = _incidents(5)
    last = MappedRecord(Node("inc-z", "Incident", text="z"))
    stats = await Loader(embedded_store, HashEmbedder(), batch_size=2).load(
        [first, *filler, last], "incidents"
    )
    assert stats.edges_written == 1
    related = await embedded_store.neighbours("inc-a")
    assert [other.id for _, other in related] == ["inc-z"]


async def test_stubs_never_overwrite_full_nodes(embedded_store: GraphStore) -> None:
    full = MappedRecord(Node("u-1", "User", {"name": "Alice", "email": "alice@example.com"}))
    await Loader(embedded_store, HashEmbedder()).load([full], "users")
    referencing = MappedRecord(
        Node("fu-1", "FollowUp", {"title": "x"}, text="x"),
        edges=(Edge("fu-1", "ASSIGNED_TO", "u-1"),),
        stubs=(Node("u-1", "User", {"name": "Alice"}),),
    )
    stats = await Loader(embedded_store, HashEmbedder()).load([referencing], "follow_ups")
    assert "User" not in stats.labels
    [user] = await embedded_store.get_nodes(["u-1"])
    assert user.properties["email"] == "alice@example.com"


class _RecordingTexts(HashEmbedder):
    """Counts characters as tokens (40 per text) and records what it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    async def token_counter(self) -> TokenCounter:
        return TokenCounter(40, lambda texts: [len(t) for t in texts])

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return await super().embed(texts)


async def test_the_model_gets_the_leading_part_it_reads_whole_and_the_node_keeps_all(
    embedded_store: GraphStore,
) -> None:
    long_text = "Checkout fails. Payments time out.\n\nThe database pool is exhausted."
    records = [
        MappedRecord(Node("inc-1", "Incident", {"name": "a"}, text="Short enough.")),
        MappedRecord(Node("inc-2", "Incident", {"name": "b"}, text=long_text)),
    ]
    embedder = _RecordingTexts()
    await Loader(embedded_store, embedder).load(records, "incidents")
    assert embedder.seen == ["Short enough.", "Checkout fails. Payments time out."]
    [node] = await embedded_store.get_nodes(["inc-2"])
    assert node.text == long_text
