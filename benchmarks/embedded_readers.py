"""Benchmark one writer, many readers: how long a reader takes to open and to see a write.

Usage: ``uv run python -m benchmarks.embedded_readers [--nodes 20000] [--batches 40] [--batch 100]``

Builds a map of N nodes (see ``embedded_store.py``), then starts a writer in another process that
upserts ``--batches`` batches of ``--batch`` nodes, a few a second, and reports each one when it
is durable. This process opens the map read-only (HNSW on) and prints its open time, then the lag
from each acknowledgement to the moment a read here returns the batch, with no ``refresh()``
call (the store follows the log by itself), and the time of an explicit ``refresh()``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from benchmarks.embedded_store import make_batch, percentiles

from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_PACE = 0.2


async def _write(path: Path, start: int, batches: int, size: int, report: Connection) -> None:
    store = EmbeddedStore(path, exact_search=False)
    await store.open()
    rng = np.random.default_rng(1)
    report.send(("open", time.time()))
    report.recv()  # the reader is ready
    for batch in range(batches):
        await store.upsert_nodes(make_batch(rng, start + batch * size, size))
        await store.set_meta("batch", str(batch))
        report.send((batch, time.time()))
        await asyncio.sleep(_PACE)
    await store.close()
    report.send(("closed", time.time()))


def _writer(path: Path, start: int, batches: int, size: int, report: Connection) -> None:
    asyncio.run(_write(path, start, batches, size, report))


async def _build(path: Path, nodes: int) -> None:
    store = EmbeddedStore(path, dimensions=384, exact_search=False)
    await store.open()
    rng = np.random.default_rng(0)
    for start in range(0, nodes, 1000):
        await store.upsert_nodes(make_batch(rng, start, min(1000, nodes - start)))
    await store.close()


async def _follow(path: Path, args: argparse.Namespace) -> None:
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    writer = multiprocessing.get_context("spawn").Process(
        target=_writer, args=(path, args.nodes, args.batches, args.batch, theirs)
    )
    writer.start()
    assert ours.recv()[0] == "open"
    began = time.perf_counter()
    reader = EmbeddedStore(path, read_only=True, exact_search=False)
    await reader.open()
    opened = time.perf_counter() - began
    print(f"read-only open of {args.nodes:,} nodes while the writer holds the map: {opened:.2f}s")
    ours.send("go")
    lags = []
    for batch in range(args.batches):
        _, acknowledged = await asyncio.to_thread(ours.recv)
        while await reader.get_meta("batch") != str(batch):
            await asyncio.sleep(0.002)
        lags.append(time.time() - acknowledged)
    print(f"write → visible to the reader (no refresh()), {args.batches} batches: {percentiles(lags)}")
    print(f"  max {max(lags) * 1000:.0f} ms")
    assert (await reader.stats()).nodes == args.nodes + args.batches * args.batch
    await asyncio.to_thread(ours.recv)  # the writer closed: its log was folded into a snapshot
    began = time.perf_counter()
    await reader.refresh()
    print(f"refresh() after the writer's closing compaction: {(time.perf_counter() - began) * 1000:.1f} ms")
    await reader.close()
    writer.join()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "graph"
        await _build(path, args.nodes)
        await _follow(path, args)


if __name__ == "__main__":
    asyncio.run(main())
