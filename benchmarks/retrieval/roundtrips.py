"""Round trips and time per store call of one similar-incident query on Neo4j.

Usage::

    NEO4J_URI=bolt://127.0.0.1:7687 uv run python benchmarks/retrieval/roundtrips.py \
        [--size 10000] [--queries 20]

It reuses (or builds) the latency benchmark's map of ``--size`` incidents in that database (see
``latency.py``; without ``NEO4J_URI`` a server is started and the map loaded first), runs
``SimilarIncidentFinder.find`` over ``--queries`` of its mixed queries after a warm-up, and prints
per store method: calls per query, reads (``Connection.read``, one session each), Cypher
statements (each an auto-commit read, so one round trip to the server), and the time spent in it
(p50 and total).
Calls run concurrently inside ``find``, so their times add up to more than the query's wall time.
On a loaded machine wall times mostly measure waiting for a core; the CPU per query of this
process (driver decoding, retrieval) and of the server (``--server-pid``) vary much less.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import inspect
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import BUILT_KEY, DIMENSIONS, WordVectorEmbedder, build_map, make_queries
from neo4j import AsyncSession
from tests.support.neo4j_server import neo4j_server

from precedent.model import OWNER_VIEWER
from precedent.retrieval import SimilarIncidentFinder, SimilarOptions
from precedent.store.neo4j import Neo4jStore
from precedent.store.neo4j.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

# asyncio.gather interleaves the finder's calls; a context variable follows each task, so every
# transaction and statement is counted against the store method that ran it.
_method: contextvars.ContextVar[str] = contextvars.ContextVar("method", default="(outside the store)")


class Counts:
    """Per store method: calls, read transactions, statements, milliseconds per call."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.transactions: dict[str, int] = defaultdict(int)
        self.statements: dict[str, int] = defaultdict(int)
        self.ms: dict[str, list[float]] = defaultdict(list)


COUNTS = Counts()


class TimedStore:
    """Forwards to a store, timing each coroutine method and naming it for the counters below."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            token = _enter(name)
            started = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                COUNTS.ms[name].append((time.perf_counter() - started) * 1000)
                COUNTS.calls[name] += 1
                _leave(token)

        return timed


def _enter(name: str) -> contextvars.Token[str]:
    return _method.set(name)


def _leave(token: contextvars.Token[str]) -> None:
    _method.reset(token)


@contextlib.contextmanager
def counting() -> Iterator[None]:
    """Count reads (``Connection.read``: one session each) and statements by the store method that runs them.

    Reads run as auto-commit statements (see ``Connection.read``), so each statement is its own
    transaction and one round trip to the server.
    """
    read = Connection.read
    run = AsyncSession.run

    async def counted_read(self: Connection, work: Callable[..., Awaitable[Any]], *a: Any, **k: Any) -> Any:
        COUNTS.transactions[_method.get()] += 1
        return await read(self, work, *a, **k)

    async def counted_run(self: AsyncSession, query: Any, *a: Any, **k: Any) -> Any:
        COUNTS.statements[_method.get()] += 1
        return await run(self, query, *a, **k)

    Connection.read = counted_read  # type: ignore[method-assign]
    AsyncSession.run = counted_run  # type: ignore[method-assign]
    try:
        yield
    finally:
        Connection.read = read  # type: ignore[method-assign]
        AsyncSession.run = run  # type: ignore[method-assign]


async def profile(
    uri: str, auth: tuple[str, str] | None, size: int, count: int, server_pid: int | None
) -> None:
    """Build the map if needed, then profile ``count`` queries."""
    store = Neo4jStore(uri, auth=auth, dimensions=DIMENSIONS, exact_search=False)
    await store.open()
    try:
        if await store.get_meta(BUILT_KEY) != str(size):
            await build_map(store, size, WordVectorEmbedder())
        finder = SimilarIncidentFinder(TimedStore(store), WordVectorEmbedder())  # type: ignore[arg-type]
        options = SimilarOptions(limit=10, viewer=OWNER_VIEWER)
        queries = make_queries(size, count + 5)
        for query in queries[:5]:
            await finder.find(query, options)  # warm up: catalogue, ranking choice
        global COUNTS
        COUNTS = Counts()
        walls = []
        cpu = time.process_time()
        server = _server_cpu(server_pid)
        with counting():
            for query in queries[5:]:
                started = time.perf_counter()
                await finder.find(query, options)
                walls.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / count
        server_ms = (_server_cpu(server_pid) - server) * 1000 / count if server_pid else None
    finally:
        await store.close()
    report(walls)
    # CPU per query is what a loaded machine distorts least: wall time there is mostly waiting.
    print(
        f"CPU per query: this process {cpu_ms:.1f} ms" + (f", server {server_ms:.1f} ms" if server_ms else "")
    )


def _server_cpu(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), 0 when not given."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(walls: list[float]) -> None:
    """Print the per-method table and the query's wall time."""
    n = len(walls)
    print(f"{'store method':18s} {'calls/q':>8s} {'reads/q':>7s} {'stmts/q':>8s} {'p50 ms':>8s} {'ms/q':>8s}")
    for name in sorted(COUNTS.ms, key=lambda m: -sum(COUNTS.ms[m])):
        times = COUNTS.ms[name]
        print(
            f"{name:18s} {COUNTS.calls[name] / n:8.2f} {COUNTS.transactions[name] / n:7.2f}"
            f" {COUNTS.statements[name] / n:8.2f} {np.percentile(times, 50):8.1f} {sum(times) / n:8.1f}"
        )
    tx = sum(COUNTS.transactions.values()) / n
    statements = sum(COUNTS.statements.values()) / n
    print(
        f"per query: {tx:.2f} reads, {statements:.2f} statements (round trips); wall p50"
        f" {np.percentile(walls, 50):.1f} ms, p95 {np.percentile(walls, 95):.1f} ms ({n} queries)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--server-pid", type=int, help="the Neo4j server's pid, to report its CPU per query")
    args = parser.parse_args()
    with neo4j_server() as server:
        auth = (server.user, server.password) if server.user and server.password else None
        await profile(server.uri, auth, args.size, args.queries, args.server_pid)


if __name__ == "__main__":
    asyncio.run(main())
