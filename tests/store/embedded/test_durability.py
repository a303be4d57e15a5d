"""Crash safety: torn log tails, a real SIGKILL mid-write, interrupted compaction, reopen time."""

from __future__ import annotations

import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from precedent.errors import StoreCorrupt
from precedent.model import Node
from precedent.store.embedded import EmbeddedStore
from tests.support.embedded_writer import NODES_PER_BATCH, batch_edges, batch_nodes

ROOT = Path(__file__).resolve().parents[3]


async def _write_batches(path: Path, batches: range) -> None:
    store = EmbeddedStore(path, dimensions=384)
    await store.open()
    rng = np.random.default_rng(0)
    for batch in batches:
        await store.upsert_nodes(batch_nodes(batch, rng))
    # Copy the files as they are on disk before close compacts them: the state a crash leaves.
    shutil.copytree(path, path.with_name("crashed"), ignore=shutil.ignore_patterns("lock"))
    await store.close()


async def _batches_present(path: Path) -> set[int]:
    store = EmbeddedStore(path)
    await store.open()
    try:
        counts: dict[int, int] = {}
        async for node in store.scan_nodes():
            batch = int(node.properties["batch"])  # type: ignore[arg-type]
            counts[batch] = counts.get(batch, 0) + 1
        assert all(count == NODES_PER_BATCH for count in counts.values()), "a batch landed partly"
        return set(counts)
    finally:
        await store.close()


def _record_offsets(wal: Path) -> list[int]:
    """Where each record of the log starts (16-byte header; records are length, crc32, header
    crc32, payload; 8 bytes before the payload in a format 1 log)."""
    data = wal.read_bytes()
    before = 8 if data[:8] == b"PRECWAL1" else 12
    offsets, offset = [], 16
    while offset < len(data):
        offsets.append(offset)
        (length,) = struct.unpack_from("<I", data, offset)
        offset += before + length
    return offsets


def _as_format_1(wal: Path) -> None:
    """Rewrite a log as format 1 wrote it (``PRECWAL1``; length and crc32, no header checksum)."""
    data = wal.read_bytes()
    assert data[:8] == b"PRECWAL2"
    out = bytearray(b"PRECWAL1" + data[8:16])
    for offset in _record_offsets(wal):
        (length,) = struct.unpack_from("<I", data, offset)
        out += data[offset : offset + 8] + data[offset + 12 : offset + 12 + length]
    wal.write_bytes(bytes(out))


@pytest.mark.parametrize("cut", [1, 7, 8, 11, 12, 13, 100, -1])
async def test_torn_last_record_reopens_to_the_last_complete_batch(tmp_path: Path, cut: int) -> None:
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    assert wal.read_bytes()[:8] == b"PRECWAL2"
    last = _record_offsets(wal)[-1]
    with wal.open("r+b") as file:
        file.truncate(last + cut if cut > 0 else wal.stat().st_size + cut)
    assert await _batches_present(tmp_path / "crashed") == {0, 1}
    # The torn bytes were cut off, so later writes extend a clean log.
    assert (tmp_path / "crashed" / "snapshot").exists()


async def test_corrupt_last_record_is_dropped(tmp_path: Path) -> None:
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    data = bytearray(wal.read_bytes())
    data[-5] ^= 0xFF
    wal.write_bytes(bytes(data))
    assert await _batches_present(tmp_path / "crashed") == {0, 1}


async def test_zeros_after_the_last_record_are_an_unwritten_tail(tmp_path: Path) -> None:
    await _write_batches(tmp_path / "graph", range(2))
    wal = tmp_path / "crashed" / "wal"
    wal.write_bytes(wal.read_bytes() + bytes(4096))
    assert await _batches_present(tmp_path / "crashed") == {0, 1}


async def test_damage_before_later_records_is_refused_and_the_log_left_as_it_is(tmp_path: Path) -> None:
    # A bad record followed by good ones is damage, not a crash: cutting the log there would
    # drop batches whose writes returned (1 and 2 here).
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    middle = _record_offsets(wal)[-2]  # batch 1 (the log may open with the dimension)
    data = bytearray(wal.read_bytes())
    data[middle + 20] ^= 0xFF
    wal.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match=f"damaged at byte {middle}") as raised:
        await EmbeddedStore(tmp_path / "crashed").open()
    assert wal.read_bytes() == bytes(data)
    # The message's way out keeps the batches before the damage.
    assert f"truncate -s {middle} {wal}" in str(raised.value)
    os.truncate(wal, middle)
    assert await _batches_present(tmp_path / "crashed") == {0}


@pytest.mark.parametrize("bit", [20, 24, 27, 31])
async def test_a_flipped_length_bit_in_the_middle_is_damage_not_a_torn_tail(tmp_path: Path, bit: int) -> None:
    # A length made to run past the end of the file used to read as the last write torn by a
    # crash, and open silently dropped batch 1 and batch 2 (whose writes had returned).
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    middle = _record_offsets(wal)[-2]
    data = bytearray(wal.read_bytes())
    (length,) = struct.unpack_from("<I", data, middle)
    struct.pack_into("<I", data, middle, length ^ (1 << bit))
    assert middle + 12 + (length ^ (1 << bit)) > len(data)
    wal.write_bytes(bytes(data))
    with pytest.raises(
        StoreCorrupt, match=f"damaged at byte {middle} \\(a record header that fails"
    ) as raised:
        await EmbeddedStore(tmp_path / "crashed").open()
    assert "precedent backup" in str(raised.value)
    assert wal.read_bytes() == bytes(data)


async def test_a_flipped_bit_in_the_last_records_length_is_damage_too(tmp_path: Path) -> None:
    # The last record's header does not check and its payload follows it: not a torn write.
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    last = _record_offsets(wal)[-1]
    data = bytearray(wal.read_bytes())
    data[last + 3] ^= 0x10
    wal.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match=f"damaged at byte {last}"):
        await EmbeddedStore(tmp_path / "crashed").open()


async def test_a_format_1_log_still_opens_and_takes_more_writes(tmp_path: Path) -> None:
    await _write_batches(tmp_path / "graph", range(3))
    crashed = tmp_path / "crashed"
    _as_format_1(crashed / "wal")
    records = len(_record_offsets(crashed / "wal"))
    store = EmbeddedStore(crashed)
    await store.open()
    try:
        await store.upsert_nodes(batch_nodes(3, np.random.default_rng(3)))
        # Appended in the log's own format, as a crash would leave it.
        shutil.copytree(crashed, tmp_path / "again", ignore=shutil.ignore_patterns("lock"))
    finally:
        await store.close()
    assert (tmp_path / "again" / "wal").read_bytes()[:8] == b"PRECWAL1"
    assert len(_record_offsets(tmp_path / "again" / "wal")) == records + 1
    assert await _batches_present(tmp_path / "again") == {0, 1, 2, 3}
    assert await _batches_present(crashed) == {0, 1, 2, 3}
    # Closing compacted it: the log it starts afresh is format 2.
    assert (crashed / "wal").read_bytes()[:8] == b"PRECWAL2"


async def test_a_format_1_log_with_a_torn_tail_drops_only_the_torn_write(tmp_path: Path) -> None:
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    _as_format_1(wal)
    last = _record_offsets(wal)[-1]
    os.truncate(wal, last + 100)
    assert await _batches_present(tmp_path / "crashed") == {0, 1}


async def test_damaged_log_header_is_reported(tmp_path: Path) -> None:
    await _write_batches(tmp_path / "graph", range(1))
    wal = tmp_path / "crashed" / "wal"
    wal.write_bytes(b"garbage" + wal.read_bytes()[7:])
    with pytest.raises(StoreCorrupt, match="not a Precedent log"):
        await EmbeddedStore(tmp_path / "crashed").open()


async def test_crash_between_snapshot_and_log_reset_replays_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    await _write_batches(path, range(2))
    # The compacted snapshot beside the pre-compaction log: a kill after the rename, before the reset.
    shutil.copy(path / "snapshot", tmp_path / "crashed" / "snapshot")
    store = EmbeddedStore(tmp_path / "crashed")
    await store.open()
    try:
        assert (await store.stats()).nodes == 2 * NODES_PER_BATCH
    finally:
        await store.close()


def _start_writer(path: Path, first: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.embedded_writer", str(path), str(first)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
async def test_sigkill_mid_write_keeps_every_acknowledged_batch(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    acknowledged: list[int] = []
    first = 0
    for round_ in range(3):
        writer = _start_writer(path, first)
        assert writer.stdout is not None
        target = len(acknowledged) + random.randint(15, 40)
        for line in writer.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= target:
                break
        # Land the kill at an arbitrary point of the next batch (log append, fsync, or compaction).
        time.sleep(random.uniform(0, 0.02))
        writer.send_signal(signal.SIGKILL)
        acknowledged.extend(int(line) for line in writer.stdout)
        writer.stdout.close()
        writer.wait()
        assert writer.returncode == -signal.SIGKILL, f"round {round_}: writer ended on its own"

        store = EmbeddedStore(path)
        await store.open()
        try:
            present = await _check_consistent(store)
        finally:
            await store.close()
        assert set(acknowledged) <= present, f"round {round_}: acknowledged batches were lost"
        # At most the batch in flight may land beyond the acknowledged ones.
        assert present - set(acknowledged) <= {acknowledged[-1] + 1}
        # The next writer redoes the batch in flight, as a restarted sync would.
        first = acknowledged[-1] + 1


async def _check_consistent(store: EmbeddedStore) -> set[int]:
    counts: dict[int, int] = {}
    async for node in store.scan_nodes(with_embeddings=True):
        batch = int(node.properties["batch"])  # type: ignore[arg-type]
        counts[batch] = counts.get(batch, 0) + 1
        assert node.embedding is not None
    assert all(count == NODES_PER_BATCH for count in counts.values()), "a batch landed partly"
    edges = {(e.source, e.target) async for e in store.scan_edges()}
    meta = await store.get_meta("last_batch")
    for batch in counts:
        # Edges and meta follow nodes in separate writes; only the newest batch may lack them.
        if meta is not None and batch <= int(meta):
            assert {(e.source, e.target) for e in batch_edges(batch)} <= edges
    hits = await store.vector_search(np.ones(384, dtype=np.float32), k=3)
    assert len(hits) == 3
    return set(counts)


@pytest.mark.slow
async def test_reopening_20000_embedded_nodes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((20_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    for start in range(0, 20_000, 2_000):
        await store.upsert_nodes(
            [
                Node(
                    f"n{i:05d}", "Incident", {"n": i}, text=f"incident {i} in payments", embedding=vectors[i]
                )
                for i in range(start, start + 2_000)
            ]
        )
    began = time.perf_counter()
    await store.close()
    closed = time.perf_counter()
    reopened = EmbeddedStore(tmp_path / "graph")
    await reopened.open()
    opened = time.perf_counter()
    try:
        assert (await reopened.stats()).nodes == 20_000
        [hit] = await reopened.vector_search(vectors[123], k=1)
        assert hit.node_id == "n00123"
    finally:
        await reopened.close()
    size = os.path.getsize(tmp_path / "graph" / "snapshot") / 2**20
    print(
        f"\n20,000 nodes: close (compaction) {closed - began:.2f}s, reopen {opened - closed:.2f}s, "
        f"snapshot {size:.1f} MiB"
    )


@pytest.mark.parametrize("where", ["body", "vectors"])
async def test_damaged_snapshot_is_reported(tmp_path: Path, where: str) -> None:
    path = tmp_path / "graph"
    await _write_batches(path, range(2))
    data = bytearray((path / "snapshot").read_bytes())
    data[60 if where == "body" else -10] ^= 0xFF
    (path / "snapshot").write_bytes(bytes(data))
    with pytest.raises(
        StoreCorrupt, match=f"damaged \\({'body' if where == 'body' else 'vector'} checksum\\)"
    ):
        await EmbeddedStore(path).open()


async def test_log_without_its_snapshot_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    await _write_batches(path, range(1))
    (path / "snapshot").unlink()
    with pytest.raises(StoreCorrupt, match="snapshot is missing"):
        await EmbeddedStore(path).open()


def _run_limited(path: Path, limit: int, batches: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.support.limited_store", str(path), str(limit), str(batches)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_a_full_disk_at_close_leaves_no_partial_files_and_loses_nothing(tmp_path: Path) -> None:
    # The snapshot and the HNSW index are written whole to a temporary file first; a partial one
    # left behind would keep a full disk full, and every later write (the webhook inbox's too)
    # would fail. The log already holds every write, so closing succeeds without the snapshot.
    path = tmp_path / "graph"
    compacting = _run_limited(path, 64 * 1024, batches=3)
    assert compacting.returncode == 0, compacting.stderr
    assert "compacting" in compacting.stderr
    assert not (path / "snapshot").exists()
    # Reopened on the still-full disk without its HNSW files (a cache, deleted to make room): the
    # index built from the log cannot be saved either.
    for cache in ("hnsw", "hnsw.json"):
        (path / cache).unlink()
    indexing = _run_limited(path, 4 * 1024, batches=0)
    assert indexing.returncode == 0, indexing.stderr
    assert "saving the HNSW index" in indexing.stderr
    assert sorted(p.name for p in path.iterdir()) == ["lock", "wal"]
    assert await _batches_present(path) == {0, 1, 2}


async def test_writes_go_on_after_a_compaction_whose_log_reset_failed(tmp_path: Path) -> None:
    # A compaction writes the snapshot, then a fresh log; if the fresh log cannot be written (the
    # disk filled up just then) the batch is still durable and the compaction is retried later.
    path = tmp_path / "graph"
    store = EmbeddedStore(path, dimensions=384, compact_after_bytes=1)
    await store.open()
    rng = np.random.default_rng(0)
    try:
        (path / "wal.tmp").mkdir()  # the fresh log's temporary file cannot be created
        await store.upsert_nodes(batch_nodes(0, rng))  # acknowledged; its compaction fails at the reset
        (path / "wal.tmp").rmdir()  # room again
        await store.upsert_nodes(batch_nodes(1, rng))
        await store.upsert_nodes(batch_nodes(2, rng))
    finally:
        await store.close()
    assert await _batches_present(path) == {0, 1, 2}
