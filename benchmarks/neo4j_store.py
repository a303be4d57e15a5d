"""Benchmark the Neo4j store: upsert throughput, exact and index vector search, index recall.

Usage: ``uv run python benchmarks/neo4j_store.py [--nodes 20000] [--queries 100] [--k 10]``

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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neo4j import AsyncGraphDatabase
from tests.support.neo4j_server import Neo4jServer, neo4j_server

from precedent.model import Edge, Node, SearchFilter, Vector
from precedent.store.neo4j import Neo4jStore

DIMENSIONS = 384
SERVICES = 200
CLUSTERS = 500
START = datetime(2022, 1, 1, tzinfo=UTC)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def make_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    """Vectors around random cluster centres: near neighbours exist, as with real text."""
    centres = unit(rng.standard_normal((CLUSTERS, DIMENSIONS)))
    members = centres[rng.integers(0, CLUSTERS, size=count)]
    return unit(members + 0.8 * rng.standard_normal((count, DIMENSIONS)) / np.sqrt(DIMENSIONS))


def make_graph(rng: np.random.Generator, count: int) -> tuple[list[Node], list[Edge], np.ndarray]:
    vectors = make_vectors(rng, count)
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
    return services + incidents, edges, vectors


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


def recall(approximate: list[list[str]], exact: list[list[str]], k: int) -> float:
    return float(
        np.mean([len(set(a) & set(e)) / min(k, len(e) or 1) for a, e in zip(approximate, exact, strict=True)])
    )


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
    nodes, edges, vectors = make_graph(rng, args.nodes)
    picks = rng.integers(0, args.nodes, size=args.queries)
    noise = 0.3 * rng.standard_normal((args.queries, DIMENSIONS)) / np.sqrt(DIMENSIONS)
    queries: list[Vector] = list(unit(vectors[picks] + noise))

    store = Neo4jStore(server.uri, auth=auth, dimensions=DIMENSIONS, over_fetch=args.over_fetch)
    await store.open()
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

        for name, search_filter in (
            ("no filter", None),
            (
                "public, after 2023-01-01",
                SearchFilter(visibilities=("public",), after=datetime(2023, 1, 1, tzinfo=UTC)),
            ),
        ):
            exact_s, exact_ids = await timed_searches(
                store, queries, args.k, exact=True, search_filter=search_filter
            )
            index_s, index_ids = await timed_searches(
                store, queries, args.k, exact=False, search_filter=search_filter
            )
            print(f"[{name}] k={args.k}, {args.queries} queries, over_fetch={args.over_fetch}")
            print(f"  exact vector_search : {percentiles(exact_s)}")
            print(f"  index vector_search : {percentiles(index_s)}")
            print(f"  recall@{args.k} of index vs exact: {recall(index_ids, exact_ids, args.k):.3f}")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5_000, help="nodes per upsert_nodes call")
    parser.add_argument("--over-fetch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wipe", action="store_true", help="empty a NEO4J_URI server first")
    args = parser.parse_args()
    with neo4j_server() as server:
        asyncio.run(run(server, args))


if __name__ == "__main__":
    main()
