"""One writer, many readers: another process writes the map while this one reads it read-only."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.errors import ReadOnlyStore, StoreCorrupt, StoreLocked
from precedent.model import Edge, EdgeKey, Node
from precedent.store.embedded import EmbeddedStore
from precedent.store.embedded.follow import LogFollower
from precedent.store.embedded.ops import UpsertNodes, encode_op
from precedent.store.embedded.wal import check_damage, frame, read_records
from tests.store.embedded.test_durability import _record_offsets
from tests.support.embedded_writer import NODES_PER_BATCH, batch_edges, batch_nodes

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

ROOT = Path(__file__).resolve().parents[3]
# Enough vectors (40 a batch) that kNN takes the HNSW path rather than the small-map scan.
HNSW_BATCHES = 12


class Driver:
    """A writer in another process, told what to write over stdin (tests/support/embedded_driver)."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.embedded_driver", str(path)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._answer() == "ready"

    def _answer(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the writer process ended"
        return line.strip()

    def _ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()

    async def write(self, batches: int) -> int:
        """Write the next ``batches`` batches; return the last one's number once all are durable."""
        return int(await asyncio.to_thread(self._ask, f"write {batches}"))

    async def compact(self) -> None:
        """Close and reopen the writer's store, which folds its log into a new snapshot."""
        assert await asyncio.to_thread(self._ask, "compact") == "compacted"

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Driver]:
    writer = Driver(tmp_path / "graph")
    yield writer
    writer.stop()


@pytest.fixture
async def reader(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "graph", read_only=True, exact_search=False)
    yield store
    await store.close()


def _vectors(batches: int) -> list[Node]:
    """The nodes the driver wrote in its first ``batches`` batches, embeddings included."""
    rng = np.random.default_rng(0)
    return [node for batch in range(batches) for node in batch_nodes(batch, rng)]


async def _batches(store: EmbeddedStore) -> set[int]:
    """The batches ``store`` holds, checked whole: every node, its edges up to the meta mark."""
    # The mark first: the store may follow the writer further while this scans, never back.
    last = await store.get_meta("last_batch")
    counts: dict[int, int] = {}
    async for node in store.scan_nodes():
        batch = int(node.properties["batch"])  # type: ignore[arg-type]
        counts[batch] = counts.get(batch, 0) + 1
    assert all(count == NODES_PER_BATCH for count in counts.values()), "half a batch is visible"
    edges = {(e.source, e.target) async for e in store.scan_edges()}
    for batch in counts:
        # Edges and meta follow the nodes in separate writes; only the newest batch may lack them.
        if last is not None and batch <= int(last):
            assert {(e.source, e.target) for e in batch_edges(batch)} <= edges
    return set(counts)


async def _assert_searchable(store: EmbeddedStore, batches: int) -> None:
    """Vector (HNSW) and text search find nodes of the newest batch."""
    newest = _vectors(batches)[-NODES_PER_BATCH:]
    for node in newest[::13]:
        assert node.embedding is not None
        [hit] = await store.vector_search(node.embedding, k=1)
        assert hit.node_id == node.id
    # Texts read "batch <b> incident <i> ...": the newest batch's number also names a position.
    found = await store.text_search(str(batches - 1), k=NODES_PER_BATCH + batches)
    assert {node.id for node in newest} <= {hit.node_id for hit in found}


async def test_reader_sees_the_writers_batches_after_refresh(driver: Driver, reader: EmbeddedStore) -> None:
    await driver.write(HNSW_BATCHES)
    await reader.open()
    assert await _batches(reader) == set(range(HNSW_BATCHES))
    await _assert_searchable(reader, HNSW_BATCHES)

    last = await driver.write(3)
    await reader.refresh()
    assert await _batches(reader) == set(range(last + 1))
    assert await reader.get_meta("last_batch") == str(last)
    await _assert_searchable(reader, last + 1)


async def test_reader_sees_new_batches_within_a_second_by_itself(
    driver: Driver, reader: EmbeddedStore
) -> None:
    await driver.write(1)
    await reader.open()
    last = await driver.write(1)
    written = time.monotonic()
    while await reader.get_meta("last_batch") != str(last) and time.monotonic() - written < 1.0:
        await asyncio.sleep(0.02)
    assert await reader.get_meta("last_batch") == str(last), "not seen within a second"
    assert await _batches(reader) == {0, 1}


async def test_reader_follows_the_writer_across_compactions(driver: Driver, reader: EmbeddedStore) -> None:
    await driver.write(HNSW_BATCHES)
    await reader.open()
    await driver.write(2)
    await driver.compact()
    last = await driver.write(2)
    await reader.refresh()
    assert await _batches(reader) == set(range(last + 1))
    await _assert_searchable(reader, last + 1)
    # Two compactions between looks: the reader loads the new snapshot instead.
    await driver.compact()
    await driver.write(1)
    await driver.compact()
    last = await driver.write(1)
    await reader.refresh()
    assert await _batches(reader) == set(range(last + 1))
    await _assert_searchable(reader, last + 1)


async def test_follower_moves_to_the_next_log_without_reloading_after_one_compaction(
    tmp_path: Path, driver: Driver
) -> None:
    await driver.write(2)
    follower = LogFollower(tmp_path / "graph")
    state, _ = await asyncio.to_thread(follower.load)
    try:
        await driver.write(1)
        await driver.compact()
        await driver.write(1)
        ops = follower.poll()
        assert ops is not None, "one compaction should not need a full load"
        for op in ops:
            state.apply(op)
        assert len(state.nodes) == 4 * NODES_PER_BATCH
        assert follower.poll() == []
        await driver.compact()
        await driver.write(1)
        await driver.compact()
        assert follower.poll() is None, "a missed compaction must make the reader load again"
    finally:
        follower.close()


async def test_second_writer_is_told_which_process_holds_the_map(tmp_path: Path, driver: Driver) -> None:
    with pytest.raises(StoreLocked, match=f"process {driver.process.pid} .*embedded_driver") as raised:
        await EmbeddedStore(tmp_path / "graph").open()
    assert raised.value.pid == driver.process.pid
    assert "read-only" in str(raised.value)


async def test_reader_refuses_every_write(driver: Driver, reader: EmbeddedStore) -> None:
    await driver.write(1)
    await reader.open()
    [node] = _vectors(1)[:1]
    writes = [
        reader.upsert_nodes([node]),
        reader.upsert_edges([Edge("b0-0", "RELATED_TO", "b0-1")]),
        reader.delete_nodes(["b0-0"]),
        reader.delete_edges([EdgeKey("b0-0", "RELATED_TO", "b0-1")]),
        reader.set_meta("last_batch", "99"),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyStore, match="write through the process that owns the map"):
            await write
    assert await _batches(reader) == {0}


def _files(path: Path) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir()}


async def test_reader_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    writer = EmbeddedStore(path, dimensions=384)  # exact search: no HNSW index is saved
    await writer.open()
    for batch, node in enumerate(_vectors(HNSW_BATCHES)[:: NODES_PER_BATCH // 2]):
        await writer.upsert_nodes([node])
        await writer.set_meta("n", str(batch))
    before = _files(path)
    reader = EmbeddedStore(path, read_only=True, exact_search=False)
    await reader.open()
    await reader.refresh()
    assert len(await reader.vector_search(np.ones(384, dtype=np.float32), k=3)) == 3
    await reader.close()
    assert _files(path) == before
    await writer.close()


async def test_reader_of_a_missing_directory_sees_an_empty_map_then_the_writers(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    reader = EmbeddedStore(path, read_only=True)
    await reader.open()
    try:
        assert (await reader.stats()).nodes == 0
        assert not path.exists()
        driver = Driver(path)
        try:
            last = await driver.write(2)
            await reader.refresh()
            assert await _batches(reader) == set(range(last + 1))
        finally:
            driver.stop()
    finally:
        await reader.close()


async def test_reader_waits_out_a_torn_record_being_written(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    writer = EmbeddedStore(path, dimensions=384)
    await writer.open()
    await writer.upsert_nodes(batch_nodes(0, np.random.default_rng(0)))
    await writer.close()
    # The next record, as the writer is half-way through appending it.
    record = frame(
        encode_op(UpsertNodes(tuple(n.without_embedding() for n in batch_nodes(1, np.random.default_rng(1)))))
    )
    with (path / "wal").open("ab") as log:
        log.write(record[: len(record) // 2])
    reader = EmbeddedStore(path, read_only=True)
    await reader.open()
    try:
        assert await _batches(reader) == {0}
        with (path / "wal").open("ab") as log:
            log.write(record[len(record) // 2 :])
        await reader.refresh()
        assert await _batches(reader) == {0, 1}
    finally:
        await reader.close()


async def test_reader_opened_between_a_compactions_snapshot_and_its_new_log(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    writer = EmbeddedStore(path, dimensions=384)
    await writer.open()
    await writer.upsert_nodes(batch_nodes(0, np.random.default_rng(0)))
    shutil.copy(path / "wal", tmp_path / "old-wal")
    await writer.close()
    # The compacted snapshot beside the log it folded in: the writer has not reset the log yet.
    shutil.copy(tmp_path / "old-wal", path / "wal")
    reader = EmbeddedStore(path, read_only=True)
    await reader.open()
    try:
        assert await _batches(reader) == {0}
        driver = Driver(path)  # resets the stale log, then writes from batch 0 again
        try:
            await driver.write(2)
            await reader.refresh()
            assert await _batches(reader) == {0, 1}
        finally:
            driver.stop()
    finally:
        await reader.close()


@pytest.mark.slow
async def test_readers_opened_and_refreshed_while_a_writer_writes_and_compacts(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.embedded_writer", str(path), "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = -1
    try:
        assert writer.stdout.readline()  # the store exists and holds a batch
        following = EmbeddedStore(path, read_only=True, exact_search=False)
        await following.open()
        try:
            logs: set[int] = set()
            for _ in range(40):
                # A reader opened at an arbitrary point of a write or a compaction.
                fresh = EmbeddedStore(path, read_only=True)
                await fresh.open()
                try:
                    await _batches(fresh)
                finally:
                    await fresh.close()
                await following.refresh()
                present = await _batches(following)
                acknowledged = max(acknowledged, int(await asyncio.to_thread(writer.stdout.readline)))
                # Each compaction starts a new log file.
                logs.add((path / "wal").stat().st_ino)
                if len(logs) > 2:
                    break
            await following.refresh()
            # Every batch acknowledged before this refresh is visible, at most one beyond it.
            present = await _batches(following)
            assert set(range(acknowledged + 1)) <= present
            assert len(logs) > 2, "the writer did not compact twice during the test"
        finally:
            await following.close()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
    assert os.path.exists(path / "lock")


async def test_writer_saves_an_index_it_had_to_build_so_readers_load_it(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    exact = EmbeddedStore(path, dimensions=384)
    await exact.open()
    await exact.upsert_nodes(_vectors(2))
    await exact.close()
    assert not (path / "hnsw").exists()
    writer = EmbeddedStore(path, exact_search=False)
    await writer.open()
    try:
        # Built at open (no saved index matched), and saved then rather than at the next close.
        assert (path / "hnsw").exists()
        assert (path / "hnsw.json").exists()
    finally:
        await writer.close()


async def test_reader_replays_deletes_into_both_search_indexes(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    nodes = _vectors(HNSW_BATCHES)
    writer = EmbeddedStore(path, dimensions=384, exact_search=False)
    await writer.open()
    reader = EmbeddedStore(path, read_only=True, exact_search=False)
    try:
        await writer.upsert_nodes(nodes)
        await reader.open()
        gone, kept = nodes[0], nodes[1]
        assert gone.embedding is not None
        assert [hit.node_id for hit in await reader.vector_search(gone.embedding, k=1)] == [gone.id]
        await writer.delete_nodes([gone.id])
        await writer.upsert_nodes([Node(kept.id, "Incident", {}, text="renamed entirely")])
        await reader.refresh()
        assert await reader.get_nodes([gone.id]) == []
        assert gone.id not in {hit.node_id for hit in await reader.vector_search(gone.embedding, k=5)}
        assert [hit.node_id for hit in await reader.text_search("renamed", k=5)] == [kept.id]
        assert kept.id not in {hit.node_id for hit in await reader.text_search("batch 0 incident 1", k=50)}
        assert (await reader.stats()).nodes == len(nodes) - 1
    finally:
        await reader.close()
        await writer.close()


async def test_reader_reports_a_log_damaged_after_it_opened_instead_of_stopping_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A bad record with complete ones after it is damage, not a record being written: the reader
    # used to stop there for good, showing stale data without a word.
    path = tmp_path / "graph"
    rng = np.random.default_rng(0)
    writer = EmbeddedStore(path, dimensions=384)
    await writer.open()
    reader = EmbeddedStore(path, read_only=True)
    try:
        await writer.upsert_nodes(batch_nodes(0, rng))
        await reader.open()
        assert await _batches(reader) == {0}
        caplog.set_level(logging.WARNING, logger="precedent")
        await writer.upsert_nodes(batch_nodes(1, rng))
        await writer.upsert_nodes(batch_nodes(2, rng))
        wal = path / "wal"
        data = bytearray(wal.read_bytes())
        flipped = _record_offsets(wal)[-2] + 20  # inside batch 1's record, before batch 2's
        data[flipped] ^= 0xFF
        # One byte changed in place, as damage on disk is: rewriting the whole file would let the
        # reader's follower read it half written (another failure, said once more).
        with wal.open("r+b") as file:
            file.seek(flipped)
            file.write(data[flipped : flipped + 1])
        payloads, end = read_records(bytes(data))
        with pytest.raises(StoreCorrupt) as expected:
            check_damage(wal, bytes(data), end, len(payloads))
        with pytest.raises(StoreCorrupt) as raised:
            await reader.refresh()
        assert str(raised.value) == str(expected.value)
        await writer.upsert_nodes(batch_nodes(3, rng))  # more writes after the damage: still reported
        with pytest.raises(StoreCorrupt, match="is damaged at byte"):
            await reader.refresh()
        await asyncio.sleep(1)  # the background follower polls every quarter second
        warnings = [r.getMessage() for r in caplog.records if "following the writer" in r.getMessage()]
        assert len(warnings) == 1, warnings
        assert str(wal) in warnings[0]
        assert "truncate -s" in warnings[0]
        assert await _batches(reader) == {0}  # still the map as last read, nothing half-applied
    finally:
        await reader.close()
        await writer.close()
