"""The embedded store's own behaviour: persistence across reopen, idempotency, dimensions, errors."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import SchemaError, StoreLocked, StoreUnavailable
from precedent.model import Edge, EdgeKey, Node, SearchFilter
from precedent.store import GraphStore
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pathlib import Path

TEXTS = {
    "inc-1": "Payments API latency spike after a deploy",
    "inc-2": "Database connection pool exhausted on checkout",
    "inc-3": "Certificates expired on the payments gateway",
}


async def _nodes(dimensions: int = 384) -> list[Node]:
    vectors = await HashEmbedder(dimensions).embed(list(TEXTS.values()))
    return [
        Node(
            node_id,
            "Incident",
            {"name": text, "tier": i},
            occurred_at=datetime(2024, i + 1, 1, tzinfo=UTC),
            text=text,
            embedding=vectors[i],
        )
        for i, (node_id, text) in enumerate(TEXTS.items())
    ] + [Node("svc-pay", "Service", {"name": "payments"})]


async def _reopen(store: EmbeddedStore, **kwargs: int | None) -> EmbeddedStore:
    await store.close()
    again = EmbeddedStore(store.path, **kwargs)  # type: ignore[arg-type]
    await again.open()
    return again


async def test_is_a_graph_store(embedded_store: GraphStore) -> None:
    assert isinstance(embedded_store, GraphStore)


def test_public_surface() -> None:
    import precedent.store.embedded as package

    assert package.__all__ == ["MIN_FREE_BYTES", "EmbeddedStore", "SqliteInbox", "check_writable"]


async def test_constructor_does_no_io(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "graph")
    assert not (tmp_path / "graph").exists()


@pytest.mark.parametrize("compact", [True, False], ids=["snapshot", "log"])
async def test_everything_survives_reopen(tmp_path: Path, compact: bool) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    nodes = await _nodes()
    await store.upsert_nodes(nodes)
    await store.upsert_edges([Edge("inc-1", "AFFECTS", "svc-pay", {"weight": 2})])
    await store.set_meta("checkpoint", "2024-05-01")
    if not compact:
        # What is on disk before close is the log alone: reopen a copy of it, as after a crash.
        crashed = tmp_path / "crashed"
        shutil.copytree(store.path, crashed, ignore=shutil.ignore_patterns("lock"))
        await store.close()
        assert not (crashed / "snapshot").exists()
        store = EmbeddedStore(crashed)
        await store.open()
    else:
        store = await _reopen(store)
    try:
        got = await store.get_nodes(["svc-pay", "inc-1", "inc-2", "inc-3"], with_embeddings=True)
        assert [n.id for n in got] == ["svc-pay", "inc-1", "inc-2", "inc-3"]
        by_id = {n.id: n for n in got}
        for node in nodes:
            again = by_id[node.id]
            assert (again.label, dict(again.properties), again.occurred_at, again.text) == (
                node.label,
                dict(node.properties),
                node.occurred_at,
                node.text,
            )
            if node.embedding is not None:
                assert again.embedding is not None
                np.testing.assert_array_equal(again.embedding, node.embedding)
        [(edge, other)] = await store.neighbours("inc-1")
        assert (edge.type, other.id, dict(edge.properties)) == ("AFFECTS", "svc-pay", {"weight": 2})
        assert await store.get_meta("checkpoint") == "2024-05-01"
        hits = await store.vector_search(nodes[0].embedding, k=1)  # type: ignore[arg-type]
        assert hits[0].node_id == "inc-1"
        assert (await store.text_search("payments deploys", k=1))[0].node_id == "inc-1"
        stats = await store.stats()
        assert (dict(stats.nodes_by_label), dict(stats.edges_by_type)) == (
            {"Incident": 3, "Service": 1},
            {"AFFECTS": 1},
        )
    finally:
        await store.close()


async def test_upserts_are_idempotent(embedded_store: GraphStore) -> None:
    nodes = await _nodes()
    edge = Edge("inc-1", "AFFECTS", "svc-pay")
    for _ in range(2):
        await embedded_store.upsert_nodes(nodes)
        await embedded_store.upsert_edges([edge, edge])
    stats = await embedded_store.stats()
    assert (stats.nodes, stats.edges) == (4, 1)
    assert len(await embedded_store.vector_search(nodes[0].embedding, k=10)) == 3  # type: ignore[arg-type]


async def test_replacing_a_node_replaces_its_fields_and_embedding(embedded_store: GraphStore) -> None:
    [first, *_] = await _nodes()
    await embedded_store.upsert_nodes([first])
    await embedded_store.upsert_nodes([Node("inc-1", "Incident", {"name": "renamed", "gone": None})])  # type: ignore[dict-item]
    [node] = await embedded_store.get_nodes(["inc-1"], with_embeddings=True)
    assert (dict(node.properties), node.text, node.embedding, node.occurred_at) == (
        {"name": "renamed"},
        None,
        None,
        None,
    )
    assert await embedded_store.vector_search(first.embedding, k=5) == []  # type: ignore[arg-type]
    assert await embedded_store.text_search("payments", k=5) == []


async def test_deleting_a_node_deletes_its_edges_and_index_entries(embedded_store: GraphStore) -> None:
    nodes = await _nodes()
    await embedded_store.upsert_nodes(nodes)
    await embedded_store.upsert_edges(
        [Edge("inc-1", "AFFECTS", "svc-pay"), Edge("inc-3", "AFFECTS", "svc-pay")]
    )
    await embedded_store.delete_nodes(["inc-1", "missing"])
    await embedded_store.delete_edges([EdgeKey("inc-3", "AFFECTS", "svc-pay"), EdgeKey("x", "AFFECTS", "y")])
    stats = await embedded_store.stats()
    assert (stats.nodes, stats.edges) == (3, 0)
    hits = await embedded_store.vector_search(nodes[0].embedding, k=5)  # type: ignore[arg-type]
    assert "inc-1" not in {h.node_id for h in hits}
    assert "inc-1" not in {h.node_id for h in await embedded_store.text_search("payments", k=5)}


async def test_wrong_dimension_is_a_schema_error(embedded_store: GraphStore) -> None:
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    with pytest.raises(SchemaError, match="8 dimensions but the store holds 384"):
        await embedded_store.upsert_nodes([Node("inc-1", "Incident", embedding=vector)])
    with pytest.raises(SchemaError, match="8 dimensions"):
        await embedded_store.vector_search(vector, k=1)
    with pytest.raises(SchemaError, match="finite"):
        await embedded_store.vector_search(np.full(384, np.nan, dtype=np.float32), k=1)
    assert (await embedded_store.stats()).nodes == 0


async def test_unknown_label_or_type_is_a_schema_error(embedded_store: GraphStore) -> None:
    with pytest.raises(SchemaError, match="unknown node label"):
        await embedded_store.upsert_nodes([Node("x", "Incident"), Node("y", "Nope")])
    with pytest.raises(SchemaError, match="unknown relationship type"):
        await embedded_store.upsert_edges([Edge("x", "NOPE", "y")])
    assert (await embedded_store.stats()).nodes == 0


async def test_dimension_is_kept_when_not_given(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    await store.open()
    await store.upsert_nodes((await _nodes(16))[:1])
    store = await _reopen(store, dimensions=None)
    try:
        with pytest.raises(SchemaError, match="holds 16-dimensional"):
            await store.upsert_nodes([Node("z", "Incident", embedding=np.ones(4, dtype=np.float32))])
    finally:
        await store.close()
    with pytest.raises(SchemaError, match="384 dimensions but the store holds 16"):
        await EmbeddedStore(tmp_path / "graph", dimensions=384).open()
    # The failed open released the directory.
    store = EmbeddedStore(tmp_path / "graph")
    await store.open()
    await store.close()


async def test_empty_store_takes_a_new_dimension(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=16)
    await store.open()
    store = await _reopen(store, dimensions=384)
    await store.upsert_nodes(await _nodes(384))
    await store.close()


async def test_a_second_writer_cannot_open_the_directory(embedded_store: EmbeddedStore) -> None:
    with pytest.raises(StoreLocked, match=f"open for writing by process {os.getpid()} ") as raised:
        await EmbeddedStore(embedded_store.path).open()
    assert raised.value.pid == os.getpid()
    assert isinstance(raised.value, StoreUnavailable)


async def test_closed_store_refuses_calls_and_close_is_idempotent(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    await store.open()
    await store.close()
    await store.close()
    with pytest.raises(StoreUnavailable, match="call open"):
        await store.get_meta("x")


async def test_any_query_string_is_safe(embedded_store: GraphStore) -> None:
    await embedded_store.upsert_nodes(await _nodes())
    for query in ["AND OR NOT", '"unbalanced', "title:(x", "*?~^\\/", "", "the of and", "payments~2^3"]:
        await embedded_store.text_search(query, k=3)
    hits = await embedded_store.text_search('payments" AND (gateway', k=3)
    assert [h.node_id for h in hits][:1] == ["inc-3"]
    assert all(h.score > 0 for h in hits)


async def test_search_filters(embedded_store: GraphStore) -> None:
    nodes = await _nodes()
    await embedded_store.upsert_nodes(nodes)
    query = nodes[0].embedding
    assert query is not None
    march = datetime(2024, 3, 1, tzinfo=UTC)
    cases = {
        SearchFilter(before=march): ["inc-1", "inc-2"],
        SearchFilter(after=march): ["inc-3"],
        SearchFilter(exclude_ids=frozenset({"inc-1"}), labels=("Incident",)): ["inc-2", "inc-3"],
        SearchFilter(labels=("Service",)): [],
        SearchFilter(visibilities=("private",)): [],
    }
    for search_filter, expected in cases.items():
        hits = await embedded_store.vector_search(query, k=10, search_filter=search_filter)
        assert sorted(h.node_id for h in hits) == expected, search_filter


def _random_nodes(start: int, count: int, seed: int = 0) -> list[Node]:
    rng = np.random.default_rng(seed + start)
    vectors = rng.standard_normal((count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        Node(f"n{i:06d}", "Incident", {"i": i}, text=f"incident {i}", embedding=vectors[i - start])
        for i in range(start, start + count)
    ]


async def test_compaction_while_writing_keeps_everything(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384, compact_after_bytes=50_000)
    await store.open()
    for start in range(0, 600, 100):
        await store.upsert_nodes(_random_nodes(start, 100))
        await store.delete_nodes([f"n{start:06d}"])
    # Each batch crossed the threshold, so the log holds at most what followed the last compaction.
    assert (tmp_path / "graph" / "wal").stat().st_size < 50_000
    store = await _reopen(store)
    try:
        assert (await store.stats()).nodes == 594
        [hit] = await store.vector_search(_random_nodes(300, 2)[1].embedding, k=1)  # type: ignore[arg-type]
        assert hit.node_id == "n000301"
    finally:
        await store.close()


async def test_concurrent_writes_and_threaded_searches(embedded_store: GraphStore) -> None:
    # Enough rows that searches run in a worker thread while writes change the matrix.
    nodes = _random_nodes(0, 6000)
    await embedded_store.upsert_nodes(nodes)
    probe = nodes[10].embedding
    assert probe is not None

    async def search() -> None:
        for _ in range(5):
            hits = await embedded_store.vector_search(probe, k=3)
            assert hits[0].node_id == "n000010"

    async def write(start: int) -> None:
        await embedded_store.upsert_nodes(_random_nodes(start, 200, seed=1))
        await embedded_store.delete_nodes([f"n{start + 1:06d}"])

    await asyncio.gather(*(search() for _ in range(3)), *(write(10_000 + 1000 * i) for i in range(4)))
    assert (await embedded_store.stats()).nodes == 6000 + 4 * 199


async def test_a_cancelled_write_is_all_or_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    task = asyncio.ensure_future(store.upsert_nodes(_random_nodes(0, 500)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The next write waits for the cancelled one, which still finishes its log record.
    await store.set_meta("after", "yes")
    in_memory = (await store.stats()).nodes
    assert in_memory in (0, 500)
    store = await _reopen(store)
    try:
        assert (await store.stats()).nodes == in_memory
        assert await store.get_meta("after") == "yes"
    finally:
        await store.close()


async def test_a_cancelled_open_gives_the_directory_back(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    opening = asyncio.ensure_future(store.open())
    await asyncio.sleep(0)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    again = EmbeddedStore(tmp_path / "graph")
    for _ in range(100):
        try:
            await again.open()
            break
        except StoreUnavailable:
            await asyncio.sleep(0.05)  # the abandoned load is still finishing in its thread
    await again.get_meta("x")
    await again.close()
