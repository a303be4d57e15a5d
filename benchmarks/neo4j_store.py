"""Benchmark the Neo4j store: upsert throughput, exact and index vector search, index recall.

Usage: ``uv run python benchmarks/neo4j_store.py [--nodes 20000] [--queries 100] [--k 10]
[--over-fetch 10 50 200]``

Starts a Neo4j 5.26 server the way the tests do (``NEO4J_URI`` if set, else testcontainers, else
the Maven-built launcher), loads N incidents with 384-dimensional unit vectors (clustered, like
real embeddings) plus one AFFECTS and one RELATED_TO edge each, then prints figures. A server from
``NEO4J_URI`` must hold an empty database unless ``--wipe`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo4j import AsyncGraphDatabase
from tests.support.neo4j_server import Neo4jServer, neo4j_server

from precedent.model import Edge, Node, SearchFilter, Vector
from precedent.store.neo4j import Neo4jStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

T = TypeVar("T")
DIMENSIONS = 384
SERVICES = 200
CLUSTERS = 500
START = datetime(2022, 1, 1, tzinfo=UTC)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def sample(rng: np.random.Generator, centres: np.ndarray, count: int) -> np.ndarray:
    """Vectors around random cluster centres: near neighbours exist, as with real text."""
    members = centres[rng.integers(0, len(centres), size=count)]
    return unit(members + 0.8 * rng.standard_normal((count, DIMENSIONS)) / np.sqrt(DIMENSIONS))


def make_graph(rng: np.random.Generator, vectors: np.ndarray) -> tuple[list[Node], list[Edge]]:
    count = len(vectors)
    services = [Node(f"svc-{i:04d}", "Service", {"name": f"service {i}"}) for i in range(SERVICES)]
    incidents = [
        Node(
            f"inc-{i:07d}",
            "Incident",
            {"number": i, "severity": "major"},
            occurred_at=START + timedelta(minutes=30 * i),
            visibility="private" if i % 10 == 0 else "public",
            text=f"incident {i} on service {i % SERVICES}",
            embedding=vectors[i],
        )
        for i in range(count)
    ]
    edges = [Edge(f"inc-{i:07d}", "AFFECTS", f"svc-{i % SERVICES:04d}") for i in range(count)]
    edges += [Edge(f"inc-{i:07d}", "RELATED_TO", f"inc-{i - 1:07d}") for i in range(1, count)]
    return services + incidents, edges


def percentiles(seconds: list[float]) -> str:
    p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"


async def timed_searches(
    store: Neo4jStore, queries: np.ndarray, k: int, *, exact: bool, search_filter: SearchFilter | None
) -> tuple[list[float], list[list[str]]]:
    for query in queries[:5]:  # warm the page cache and the query plan cache
        await store.vector_search(query, k=k, exact=exact, search_filter=search_filter)
    latencies, results = [], []
    for query in queries:
        began = time.perf_counter()
        hits = await store.vector_search(query, k=k, exact=exact, search_filter=search_filter)
        latencies.append(time.perf_counter() - began)
        results.append([hit.node_id for hit in hits])
    return latencies, results


async def timed(inputs: Sequence[T], call: Callable[[T], Awaitable[object]]) -> list[float]:
    for item in inputs[:5]:
        await call(item)
    latencies = []
    for item in inputs:
        began = time.perf_counter()
        await call(item)
        latencies.append(time.perf_counter() - began)
    return latencies


def recall(approximate: list[list[str]], exact: list[list[str]], k: int) -> float:
    """Mean share of the exact top-k the index found (queries the filter left empty are skipped)."""
    shares = [len(set(a) & set(e)) / min(k, len(e)) for a, e in zip(approximate, exact, strict=True) if e]
    return float(np.mean(shares)) if shares else float("nan")


async def run(server: Neo4jServer, args: argparse.Namespace) -> None:
    auth = (server.user, server.password) if server.user and server.password else None
    async with AsyncGraphDatabase.driver(server.uri, auth=auth) as driver:
        records, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) AS c", database_="neo4j")
        if records[0]["c"] and not args.wipe:
            raise SystemExit(f"{server.uri} is not empty; pass --wipe to delete everything in it")
        async with driver.session(database="neo4j") as session:
            # CALL ... IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
            result = await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
            await result.consume()

    rng = np.random.default_rng(args.seed)
    centres = unit(rng.standard_normal((CLUSTERS, DIMENSIONS)))
    nodes, edges = make_graph(rng, sample(rng, centres, args.nodes))
    # Queries are new incidents from the same clusters: similar past ones exist, no duplicates.
    queries: list[Vector] = list(sample(rng, centres, args.queries))
    picks = rng.integers(0, args.nodes, size=args.queries)

    store = Neo4jStore(server.uri, auth=auth, dimensions=DIMENSIONS)
    # One store per over-fetch setting (it is a constructor option), all on the same database.
    approximate = {n: Neo4jStore(server.uri, auth=auth, over_fetch=n) for n in args.over_fetch}
    for opened in (store, *approximate.values()):
        await opened.open()
    try:
        began = time.perf_counter()
        for start in range(0, len(nodes), args.batch):
            await store.upsert_nodes(nodes[start : start + args.batch])
        node_seconds = time.perf_counter() - began
        began = time.perf_counter()
        for start in range(0, len(edges), args.batch):
            await store.upsert_edges(edges[start : start + args.batch])
        edge_seconds = time.perf_counter() - began
        stats = await store.stats()
        print(f"server: {server.how} at {server.uri}, started in {server.startup_seconds:.1f}s")
        print(f"loaded {stats.nodes} nodes, {stats.edges} edges ({DIMENSIONS}-dim vectors)")
        print(f"upsert nodes: {len(nodes) / node_seconds:8.0f} nodes/s ({node_seconds:.1f}s)")
        print(f"upsert edges: {len(edges) / edge_seconds:8.0f} edges/s ({edge_seconds:.1f}s)")

        newer_half = START + timedelta(minutes=30 * (args.nodes // 2))
        for name, search_filter in (
            ("no filter", None),
            ("public, newer half", SearchFilter(visibilities=("public",), after=newer_half)),
        ):
            exact_s, exact_ids = await timed_searches(
                store, queries, args.k, exact=True, search_filter=search_filter
            )
            print(f"[{name}] k={args.k}, {args.queries} queries")
            print(f"  exact vector_search                : {percentiles(exact_s)}")
            for over_fetch, indexed in approximate.items():
                index_s, index_ids = await timed_searches(
                    indexed, queries, args.k, exact=False, search_filter=search_filter
                )
                print(
                    f"  index vector_search over_fetch={over_fetch:<4}: {percentiles(index_s)}"
                    f"   recall@{args.k} {recall(index_ids, exact_ids, args.k):.3f}"
                )

        texts = [f"incident {i} service {i % SERVICES}" for i in picks]
        text_s = await timed(texts, lambda text: store.text_search(text, k=args.k))
        print(f"text_search k={args.k}         : {percentiles(text_s)}")
        seeds = [f"inc-{i:07d}" for i in picks]
        walk_s = await timed(seeds, lambda seed: store.subgraph([seed], depth=2))
        print(f"subgraph depth=2 (~100 nodes): {percentiles(walk_s)}")
    finally:
        for opened in (store, *approximate.values()):
            await opened.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5_000, help="nodes per upsert_nodes call")
    parser.add_argument(
        "--over-fetch", type=int, nargs="+", default=[10, 50, 200], help="HNSW candidates before filtering"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="empty a NEO4J_URI server first")
    args = parser.parse_args()
    with neo4j_server() as server:
        asyncio.run(run(server, args))


if __name__ == "__main__":
    main()
