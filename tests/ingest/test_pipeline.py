"""The load pipeline: large embedding batches, writes overlapping embedding, no lost forward edges."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from precedent.embedding import HashEmbedder, TokenCounter
from precedent.ingest import Loader
from precedent.ingest.mapping import MappedRecord
from precedent.model import Edge, Node

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np
    import numpy.typing as npt

    from precedent.store import GraphStore


def _incidents(n: int) -> list[MappedRecord]:
    return [
        MappedRecord(Node(f"inc-{i}", "Incident", {"name": f"incident {i}"}, text=f"incident {i}"))
        for i in range(n)
    ]


_WAIT = 5.0
"""How long the watchers wait for the loader's next step: far above any real gap, so the check does
not depend on the machine's load, and reached only when the loader does not overlap at all."""


async def _until(done: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + _WAIT
    while not done() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.005)


class _HeldWrites:
    """Delegates to a real store; node write k is held until batch k+1's embedding has begun.

    A loader that overlaps them embeds batch k+1 while write k is held, which the embedder sees;
    one that waits for write k first sees it finished. Counting steps, not timing them, keeps the
    test's answer the same on a loaded machine.
    """

    def __init__(self, inner: GraphStore, batches: int) -> None:
        self._inner = inner
        self._batches = batches
        self.started = 0
        self.finished = 0
        self.embeddings = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        self.started += 1
        k = self.started
        if k < self._batches:
            await _until(lambda: self.embeddings > k)
        await self._inner.upsert_nodes(nodes)
        self.finished += 1


class _WatchingEmbedder(HashEmbedder):
    def __init__(self, store: _HeldWrites) -> None:
        super().__init__()
        self._store = store
        self.overlapped = 0
        self.sizes: list[int] = []

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.sizes.append(len(texts))
        k = len(self.sizes)
        if k > 1:
            # Write k-1 is handed over before batch k is prepared; let it begin, then look.
            await _until(lambda: self._store.started >= k - 1)
            self.overlapped += self._store.finished < k - 1
        self._store.embeddings = k
        return await super().embed(texts)


async def test_embedding_is_batched_and_overlaps_the_previous_write(embedded_store: GraphStore) -> None:
    store = _HeldWrites(embedded_store, batches=4)
    embedder = _WatchingEmbedder(store)
    stats = await Loader(cast("GraphStore", store), embedder, batch_size=300).load(
        _incidents(1200), "incidents"
    )
    assert stats.labels["Incident"].created == 1200
    assert embedder.sizes == [300, 300, 300, 300]
    assert embedder.overlapped == 3  # batches 2..4 are embedded while the previous batch is written


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
