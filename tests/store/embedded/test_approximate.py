"""The embedded store's approximate (HNSW) search: recall against exact, filters, deletes, reopen."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from precedent.errors import StoreUnavailable
from precedent.model import Node, SearchFilter
from precedent.store.embedded import EmbeddedStore
from precedent.store.embedded.approximate import ApproximateIndex

if TYPE_CHECKING:
    from pathlib import Path

    import numpy.typing as npt

DIMENSIONS = 96
COUNT = 3000
START = datetime(2024, 1, 1, tzinfo=UTC)


def _vectors(count: int, seed: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIMENSIONS)).astype(np.float32)
    noise = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return centres[rng.integers(0, len(centres), count)] + 0.6 * noise


def _nodes(vectors: npt.NDArray[np.float32]) -> list[Node]:
    return [
        Node(
            f"n-{i:05d}",
            "Incident" if i % 3 else "IncidentUpdate",
            {"name": f"node {i}"},
            occurred_at=START + timedelta(hours=i),
            visibility="private" if i % 10 == 0 else "public",
            embedding=vector,
        )
        for i, vector in enumerate(vectors)
    ]


async def _pair(
    tmp_path: Path, nodes: list[Node], *, default_scan: bool = False
) -> tuple[EmbeddedStore, EmbeddedStore]:
    """An exact store and an approximate one: walking the index on any map, or its default way."""
    exact = EmbeddedStore(tmp_path / "exact", dimensions=DIMENSIONS)
    options = {} if default_scan else {"scan_below": 0}
    approximate = EmbeddedStore(
        tmp_path / "approximate", dimensions=DIMENSIONS, exact_search=False, **options
    )
    for store in (exact, approximate):
        await store.open()
        await store.upsert_nodes(nodes)
    return exact, approximate


async def _recall(
    exact: EmbeddedStore,
    approximate: EmbeddedStore,
    queries: npt.NDArray[np.float32],
    search_filter: SearchFilter,
) -> float:
    found = 0
    for query in queries:
        truth = await exact.vector_search(query, k=10, search_filter=search_filter)
        hits = await approximate.vector_search(query, k=10, search_filter=search_filter)
        assert len(hits) == len(truth)
        truth_scores = {h.node_id: h.score for h in truth}
        for hit in hits:
            if hit.node_id in truth_scores:
                assert abs(hit.score - truth_scores[hit.node_id]) < 1e-5  # re-scored exactly
        found += len({h.node_id for h in hits} & truth_scores.keys())
    return found / (10 * len(queries))


async def test_recall_at_10_against_exact_is_at_least_095(tmp_path: Path) -> None:
    exact, approximate = await _pair(tmp_path, _nodes(_vectors(COUNT, seed=1)))
    queries = _vectors(50, seed=2)
    try:
        assert await _recall(exact, approximate, queries, SearchFilter()) >= 0.95
    finally:
        await exact.close()
        await approximate.close()


async def test_filters_are_respected(tmp_path: Path) -> None:
    nodes = _nodes(_vectors(COUNT, seed=3))
    exact, approximate = await _pair(tmp_path, nodes)
    by_id = {n.id: n for n in nodes}
    before = START + timedelta(hours=2000)
    search_filter = SearchFilter(
        labels=("Incident",), visibilities=("public",), before=before, exclude_ids=("n-00001", "n-00002")
    )
    try:
        assert await _recall(exact, approximate, _vectors(30, seed=4), search_filter) >= 0.95
        for query in _vectors(30, seed=5):
            for hit in await approximate.vector_search(query, k=10, search_filter=search_filter):
                node = by_id[hit.node_id]
                assert node.label == "Incident"
                assert node.visibility == "public"
                assert node.occurred_at is not None
                assert node.occurred_at < before
                assert hit.node_id not in {"n-00001", "n-00002"}
    finally:
        await exact.close()
        await approximate.close()


async def test_a_selective_filter_falls_back_to_the_exact_scan(tmp_path: Path) -> None:
    exact, approximate = await _pair(tmp_path, _nodes(_vectors(COUNT, seed=6)))
    search_filter = SearchFilter(labels=("IncidentUpdate",), before=START + timedelta(hours=40))
    try:
        for query in _vectors(10, seed=7):
            truth = await exact.vector_search(query, k=10, search_filter=search_filter)
            assert await approximate.vector_search(query, k=10, search_filter=search_filter) == truth
    finally:
        await exact.close()
        await approximate.close()


async def test_deletes_and_replacements_are_followed_and_survive_reopen(tmp_path: Path) -> None:
    nodes = _nodes(_vectors(COUNT, seed=8))
    exact, approximate = await _pair(tmp_path, nodes)
    query = nodes[7].embedding
    assert query is not None
    try:
        first = await approximate.vector_search(query, k=10)
        assert first[0].node_id == "n-00007"
        await approximate.delete_nodes(["n-00007"])
        moved = Node("n-00008", "Incident", {"name": "moved"}, embedding=-query)
        await approximate.upsert_nodes([moved, Node("n-00009", "Incident", {"name": "no vector"})])
        after = {h.node_id for h in await approximate.vector_search(query, k=10)}
        assert not after & {"n-00007", "n-00008", "n-00009"}
        await approximate.close()
        reopened = EmbeddedStore(
            tmp_path / "approximate", dimensions=DIMENSIONS, exact_search=False, scan_below=0
        )
        await reopened.open()
        try:
            assert {h.node_id for h in await reopened.vector_search(query, k=10)} == after
        finally:
            await reopened.close()
    finally:
        await exact.close()
        await approximate.close()


async def test_the_index_is_saved_beside_the_snapshot_and_a_stale_one_is_rebuilt(tmp_path: Path) -> None:
    nodes = _nodes(_vectors(COUNT, seed=9))
    path = tmp_path / "store"
    store = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=False, scan_below=0)
    await store.open()
    await store.upsert_nodes(nodes)
    await store.close()
    assert (path / "hnsw").is_file()
    assert (path / "hnsw.json").is_file()
    query = nodes[11].embedding
    assert query is not None

    reopened = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=False, scan_below=0)
    await reopened.open()
    expected = await reopened.vector_search(query, k=10)
    assert expected[0].node_id == "n-00011"
    await reopened.delete_nodes(["n-00011"])  # in the log only: replayed onto the saved index
    await reopened.upsert_nodes([Node("n-00012", "Incident", {"name": "gone"})])
    # The files as a crash would leave them: the saved index is older than the log.
    shutil.copytree(path, tmp_path / "crashed", ignore=shutil.ignore_patterns("lock"))
    await reopened.close()
    crashed = EmbeddedStore(tmp_path / "crashed", dimensions=DIMENSIONS, exact_search=False, scan_below=0)
    await crashed.open()
    try:
        hits = await crashed.vector_search(query, k=10)
        assert not {h.node_id for h in hits} & {"n-00011", "n-00012"}
        assert len(hits) == 10
    finally:
        await crashed.close()

    # An exact-mode session moves the generation on without saving the index: it is then stale.
    exact = EmbeddedStore(path, dimensions=DIMENSIONS)
    await exact.open()
    await exact.upsert_nodes([Node("n-00013", "Incident", {"name": "gone too"})])
    truth = await exact.vector_search(query, k=10)
    await exact.close()

    again = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=False, scan_below=0)
    await again.open()
    try:
        hits = await again.vector_search(query, k=10)
        assert not {h.node_id for h in hits} & {"n-00011", "n-00012", "n-00013"}
        # A rebuilt HNSW index is approximate, and its build is not deterministic (threads): it
        # finds the exact top hit and nearly all of the exact ten (one differed once in CI).
        assert hits[0].node_id == truth[0].node_id
        assert len({h.node_id for h in hits} & {h.node_id for h in truth}) >= 9
    finally:
        await again.close()


def test_saved_index_loads_only_beside_the_graph_file_its_table_names(tmp_path: Path) -> None:
    vectors = _vectors(200, seed=5)
    ids = [f"n-{i}" for i in range(len(vectors))]
    first = ApproximateIndex(DIMENSIONS)
    first.put(ids, vectors)
    first.save(tmp_path / "hnsw", generation=3)
    table = (tmp_path / "hnsw.json").read_bytes()
    loaded = ApproximateIndex.load(tmp_path / "hnsw", 3, DIMENSIONS)
    assert loaded is not None
    # The graph saved, not a rebuilt one: the same answers (an HNSW walk may miss the exact point
    # at k=1, as it did once in CI, so the point is only asked to be among the ten).
    assert loaded.candidates(vectors[7], 10) == first.candidates(vectors[7], 10)
    assert "n-7" in loaded.candidates(vectors[7], 10)
    # A writer saving again replaces the graph before the table: a reader loading in between
    # finds the new graph beside the old table, and must not pair them.
    second = ApproximateIndex(DIMENSIONS)
    second.put(ids[::-1], vectors[::-1])
    second.save(tmp_path / "hnsw", generation=3)
    (tmp_path / "hnsw.json").write_bytes(table)
    assert ApproximateIndex.load(tmp_path / "hnsw", 3, DIMENSIONS) is None


async def test_searches_on_the_search_thread_survive_writes_close_and_reopen(tmp_path: Path) -> None:
    # Above the store's inline threshold (2,000,000 matrix cells), so each HNSW walk runs on the
    # store's search thread while the loop goes on.
    nodes = _nodes(_vectors(21_000, seed=11))
    store = EmbeddedStore(tmp_path / "threaded", dimensions=DIMENSIONS, exact_search=False, scan_below=0)
    await store.open()
    await store.upsert_nodes(nodes)
    probes = [(n.id, n.embedding) for n in nodes[1:3000:300]]

    async def search() -> None:
        for node_id, vector in probes:
            assert vector is not None
            [hit] = await store.vector_search(vector, k=1)
            assert hit.node_id == node_id

    async def write(start: int) -> None:
        extra = _vectors(1, seed=start)[0]
        await store.upsert_nodes([Node(f"w-{start}", "Incident", {"name": "written"}, embedding=extra)])
        await store.delete_nodes([f"n-{20_000 + start:05d}"])

    await asyncio.gather(search(), search(), write(1), write(2))
    await store.close()
    await store.open()  # a closed store opened again gets a new search thread
    try:
        await search()
        # A search racing close either answers or says the store closed: it never hangs.
        node_id, vector = probes[0]
        assert vector is not None
        racing, _ = await asyncio.gather(
            store.vector_search(vector, k=1), store.close(), return_exceptions=True
        )
        assert isinstance(racing, StoreUnavailable) or [h.node_id for h in racing] == [node_id]
    finally:
        await store.close()


async def test_a_map_below_the_scan_threshold_answers_the_exact_top_k(tmp_path: Path) -> None:
    # Tight clusters: the int8 walk misordered near neighbours, and with a filter passing a third
    # of the map the filtered top 40 sat near the end of the 200 candidates, where it misses most.
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((4, DIMENSIONS)).astype(np.float32)
    noise = rng.standard_normal((COUNT, DIMENSIONS)).astype(np.float32)
    nodes = _nodes(centres[np.arange(COUNT) % 4] + 0.15 * noise)
    exact, approximate = await _pair(tmp_path, nodes, default_scan=True)
    queries = centres[np.arange(20) % 4] + 0.15 * rng.standard_normal((20, DIMENSIONS)).astype(np.float32)
    try:
        for search_filter in (SearchFilter(), SearchFilter(labels=("IncidentUpdate",))):
            for query in queries:
                truth = await exact.vector_search(query, k=40, search_filter=search_filter)
                assert await approximate.vector_search(query, k=40, search_filter=search_filter) == truth
    finally:
        await exact.close()
        await approximate.close()
