"""Benchmark the embedded store: upsert throughput, reopen time, search latency.

Usage: ``uv run python benchmarks/embedded_store.py [--nodes 100000] [--batch 1000] [--queries 200]``

Builds a store of N nodes (three embedded labels, times spread over three years, a short text
each) with random 384-dimensional unit vectors in a temporary directory, then prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from precedent.model import Node, SearchFilter
from precedent.store.embedded import EmbeddedStore

DIMENSIONS = 384
LABELS = ("Incident", "IncidentUpdate", "PostmortemChunk")
_VOCABULARY = (
    "payments api latency spike deploy database connection pool exhausted checkout certificate "
    "expired search cluster memory queue backlog dns timeout kafka consumer lag cache eviction"
)
WORDS = _VOCABULARY.split()
START = datetime(2022, 1, 1, tzinfo=UTC)


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def make_batch(rng: np.random.Generator, start: int, count: int) -> list[Node]:
    vectors = unit_vectors(rng, count)
    nodes = []
    for offset in range(count):
        i = start + offset
        text = " ".join(rng.choice(WORDS, size=12))
        nodes.append(
            Node(
                f"n{i:07d}",
                LABELS[i % len(LABELS)],
                {"number": i, "severity": "major"},
                occurred_at=START + timedelta(minutes=15 * i),
                text=text,
                embedding=vectors[offset],
            )
        )
    return nodes


def percentiles(samples: list[float]) -> str:
    p50, p95 = np.percentile(np.array(samples) * 1000, [50, 95])
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms"


async def timed_queries(store: EmbeddedStore, queries: np.ndarray, search_filter: SearchFilter | None) -> str:
    samples = []
    for query in queries:
        began = time.perf_counter()
        await store.vector_search(query, k=10, search_filter=search_filter)
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


async def run(path: Path, nodes: int, batch: int, queries: int) -> None:
    rng = np.random.default_rng(7)
    store = EmbeddedStore(path, dimensions=DIMENSIONS)
    await store.open()
    spent = 0.0
    for start in range(0, nodes, batch):
        chunk = make_batch(rng, start, min(batch, nodes - start))
        began = time.perf_counter()
        await store.upsert_nodes(chunk)
        spent += time.perf_counter() - began
    print(f"upsert      {nodes:,} nodes in batches of {batch:,}: {spent:.2f}s = {nodes / spent:,.0f} nodes/s")

    began = time.perf_counter()
    await store.close()
    print(f"close       (compaction into a snapshot): {time.perf_counter() - began:.2f}s")
    size = sum(p.stat().st_size for p in path.iterdir()) / 2**20
    began = time.perf_counter()
    store = EmbeddedStore(path)
    await store.open()
    print(f"reopen      {time.perf_counter() - began:.2f}s ({size:.0f} MiB on disk)")

    probes = unit_vectors(rng, queries)
    middle = START + timedelta(minutes=15 * nodes // 2)
    await store.vector_search(probes[0], k=10)
    print(f"vector_search k=10, no filter:            {await timed_queries(store, probes, None)}")
    before = SearchFilter(before=middle)
    print(f"vector_search k=10, before (half):        {await timed_queries(store, probes, before)}")
    narrow = SearchFilter(labels=("Incident",), before=middle, visibilities=("public",))
    print(f"vector_search k=10, label+before+public:  {await timed_queries(store, probes, narrow)}")
    samples = []
    for _ in range(queries):
        began = time.perf_counter()
        await store.text_search(" ".join(rng.choice(WORDS, size=3)), k=10)
        samples.append(time.perf_counter() - began)
    print(f"text_search  k=10, 3 words:               {percentiles(samples)}")
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(Path(directory) / "graph", args.nodes, args.batch, args.queries))


if __name__ == "__main__":
    main()
