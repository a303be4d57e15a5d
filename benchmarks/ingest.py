"""Benchmark ingestion: end-to-end import throughput against the embedding model alone.

Usage: ``uv run python benchmarks/ingest.py [--incidents 10000] [--seed 7] [--stores embedded,neo4j]
[--export DIR] [--wipe]``

Generates a synthetic organisation (``precedent.sources.synthetic``) with N incidents, their
updates and post-mortems, or reuses ``--export DIR``, then reads and maps it once (timed on its
own). A dry run through the ``Loader`` with a free embedder records exactly which texts the
pipeline embeds, in which batches; the bare ``SentenceTransformerEmbedder`` (same model and batch
size as the CLI, no cache) then encodes those batches to give the embedding-only throughput. For
each store, a fresh store is loaded through the same ``Loader`` the CLI uses, behind an empty
on-disk ``CachedEmbedder`` as in ``precedent import``, and the import is repeated (everything
unchanged). Time spent inside the model and inside store calls is summed alongside the wall
clock to show where the time goes. Neo4j comes from ``NEO4J_URI`` if set (it must be empty unless
``--wipe`` is given), else from ``tests/support/neo4j_server.py``.

Targets: end to end at least 0.8 of the embedding-only throughput on the embedded store, 0.6 on Neo4j.
The ratio is embedding-only seconds over end-to-end seconds for the same texts (the model's work;
texts repeated verbatim are embedded once, by the cache, in both).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.neo4j_server import neo4j_server

from precedent.embedding import DEFAULT_MODEL, WORD_TOKENS, CachedEmbedder, SentenceTransformerEmbedder
from precedent.ingest import Loader, read_export
from precedent.ingest.mapping import MappingContext
from precedent.sources.synthetic import generate
from precedent.store.embedded import EmbeddedStore
from precedent.store.neo4j import Neo4jStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy.typing as npt

    from precedent.embedding import TokenCounter
    from precedent.ingest.mapping import MappedRecord
    from precedent.store import GraphStore

DIMENSIONS = 384
MODEL_BATCH = 64  # Settings.embedding_batch_size, the CLI's default
TARGETS = {"embedded": 0.8, "neo4j": 0.6}
Mapped = dict[str, list["MappedRecord"]]


class Clock:
    """Sums the seconds spent in named calls (calls may overlap: this is busy time, not wall time)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    @contextmanager
    def timing(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - began
            self.calls[name] += 1


class TimedStore:
    """Forwards every call to a store, adding the time spent in its coroutines to a ``Clock``."""

    def __init__(self, inner: GraphStore, clock: Clock) -> None:
        self._inner = inner
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not asyncio.iscoroutinefunction(attribute):
            return attribute

        async def timed(*args: Any, **kwargs: Any) -> Any:
            with self._clock.timing(name):
                return await attribute(*args, **kwargs)

        return timed


class TimedEmbedder:
    """The model, with the time spent encoding added to a ``Clock`` and every batch recorded."""

    def __init__(self, inner: SentenceTransformerEmbedder, clock: Clock) -> None:
        self._inner = inner
        self._clock = clock
        self.batches: list[list[str]] = []

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    async def token_counter(self) -> TokenCounter:
        return await self._inner.token_counter()

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.batches.append(list(texts))
        with self._clock.timing("embed"):
            return await self._inner.embed(texts)


class RecordingEmbedder:
    """A free embedder for the dry run: records each batch and returns one fixed unit vector per text."""

    name = "recording"
    dimensions = DIMENSIONS

    def __init__(self, tokens: TokenCounter = WORD_TOKENS) -> None:
        self.batches: list[list[str]] = []
        self._tokens = tokens
        self._row = np.zeros((1, DIMENSIONS), dtype=np.float32)
        self._row[0, 0] = 1.0

    async def token_counter(self) -> TokenCounter:
        return self._tokens

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.batches.append(list(texts))
        return np.repeat(self._row, len(texts), axis=0)


@dataclass
class Result:
    store: str
    incidents: int
    texts: int
    open_seconds: float
    load_seconds: float
    reimport_seconds: float
    close_seconds: float
    clock: Clock
    reimport_embedded: int
    notes: list[str] = field(default_factory=list)


async def load_all(loader: Loader, mapped: Mapped) -> int:
    """Load every resource in order, as ``import_export`` does; return the texts embedded."""
    embedded = 0
    for resource, records in mapped.items():
        if records:
            embedded += (await loader.load(records, resource)).embedded
    return embedded


async def dry_run(mapped: Mapped, directory: Path) -> tuple[list[list[str]], float]:
    """Load into a throwaway embedded store with a free embedder: the batches the model will get."""
    recorder = RecordingEmbedder()
    store = EmbeddedStore(directory / "dry", dimensions=DIMENSIONS)
    await store.open()
    began = time.perf_counter()
    await load_all(Loader(store, CachedEmbedder(recorder)), mapped)
    seconds = time.perf_counter() - began
    await store.close()
    return recorder.batches, seconds


async def embedding_only(model: SentenceTransformerEmbedder, batches: list[list[str]]) -> float:
    began = time.perf_counter()
    for batch in batches:
        await model.embed(batch)
    return time.perf_counter() - began


async def measure(
    name: str,
    store: GraphStore,
    model: SentenceTransformerEmbedder,
    mapped: Mapped,
    cache: Path,
    expected: list[list[str]],
) -> Result:
    clock = Clock()
    timed_store = cast("GraphStore", TimedStore(store, clock))
    embedder = TimedEmbedder(model, clock)
    began = time.perf_counter()
    await store.open()
    opened = time.perf_counter() - began
    cached = CachedEmbedder(embedder, cache)  # empty, on disk, as `precedent import` uses it
    began = time.perf_counter()
    requested = await load_all(Loader(timed_store, cached), mapped)
    loaded = time.perf_counter() - began
    first = dict(clock.seconds), dict(clock.calls)
    batches = embedder.batches
    began = time.perf_counter()
    again = await load_all(Loader(store, cached), mapped)
    reimport = time.perf_counter() - began
    cached.close()
    began = time.perf_counter()
    await store.close()
    closed = time.perf_counter() - began
    clock.seconds, clock.calls = defaultdict(float, first[0]), defaultdict(int, first[1])
    texts = sum(len(b) for b in batches)
    result = Result(name, len(mapped["incidents"]), texts, opened, loaded, reimport, closed, clock, again)
    result.notes.append(f"{requested:,} texts asked for, {texts:,} distinct ones encoded by the model")
    if batches != expected:
        result.notes.append("the model got different batches than in the dry run")
    return result


async def wipe_or_refuse(uri: str, auth: tuple[str, str] | None, wipe: bool) -> None:
    from neo4j import AsyncGraphDatabase

    async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
        records, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) AS c", database_="neo4j")
        if records[0]["c"] and not wipe:
            raise SystemExit(f"{uri} is not empty; pass --wipe to delete everything in it")
        async with driver.session(database="neo4j") as session:
            result = await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
            await result.consume()


def report_line(result: Result, embed_rate: float) -> str:
    rate = result.texts / result.load_seconds
    ratio = rate / embed_rate
    target = TARGETS[result.store]
    return (
        f"| {result.store:<8} | {result.incidents:>9,} | {result.texts:>7,} | {embed_rate:>10.0f} "
        f"| {result.incidents / result.load_seconds:>13.1f} | {rate:>9.0f} | {ratio:>5.2f} "
        f"| {'yes' if ratio >= target else 'no':<3} (≥ {target}) | {model_share(result):>10.2f} "
        f"| {result.reimport_seconds:>8.1f} s |"
    )


def model_share(result: Result) -> float:
    """Share of the end-to-end wall clock the model spent encoding: load on the machine cancels out."""
    return result.clock.seconds["embed"] / result.load_seconds


def breakdown(result: Result) -> str:
    seconds, calls = result.clock.seconds, result.clock.calls
    parts = [
        f"{name} {seconds[name]:.1f}s/{calls[name]}" for name in sorted(seconds, key=lambda n: -seconds[n])
    ]
    return (
        f"  {result.store}: wall {result.load_seconds:.1f}s; busy time (calls overlap): {', '.join(parts)}; "
        f"open {result.open_seconds:.1f}s, close {result.close_seconds:.1f}s; "
        f"re-import embedded {result.reimport_embedded} texts"
    )


async def run(args: argparse.Namespace, work: Path, neo4j: Callable[[], Any]) -> None:
    export = args.export
    if export is None:
        export = work / "export"
        began = time.perf_counter()
        generated = generate(export, incidents=args.incidents, seed=args.seed)
        print(
            f"generated {generated.incidents:,} incidents, {generated.updates:,} updates, "
            f"{generated.postmortems:,} post-mortems in {time.perf_counter() - began:.1f}s -> {export}"
        )
    model = SentenceTransformerEmbedder(DEFAULT_MODEL, batch_size=MODEL_BATCH)
    tokens = await model.token_counter()  # chunks are sized in the model's tokens
    began = time.perf_counter()
    mapped = await asyncio.to_thread(read_export, export, MappingContext(tokens=tokens))
    print(
        f"read + validate + map: {time.perf_counter() - began:.1f}s "
        f"({sum(len(r) for r in mapped.values()):,} records, {len(mapped['incidents']):,} incidents)"
    )

    batches, dry_seconds = await dry_run(mapped, work)
    texts = sum(len(b) for b in batches)
    print(
        f"dry run (embedded store, free embedder): {dry_seconds:.1f}s; the model gets {texts:,} texts "
        f"in {len(batches)} calls"
    )

    began = time.perf_counter()
    await model.load()
    await model.embed(["warm up the model"] * MODEL_BATCH)
    print(f"model loaded and warmed in {time.perf_counter() - began:.1f}s")
    embed_seconds = await embedding_only(model, batches)
    embed_rate = texts / embed_seconds
    print(f"embedding only: {texts:,} texts in {embed_seconds:.1f}s = {embed_rate:.0f} texts/s")

    results: list[Result] = []
    for name in args.stores:
        cache = work / f"{name}-embedding-cache.sqlite"
        if name == "embedded":
            store: GraphStore = EmbeddedStore(work / "graph", dimensions=DIMENSIONS)
            results.append(await measure(name, store, model, mapped, cache, batches))
        else:
            with neo4j() as server:
                auth = (server.user, server.password) if server.user and server.password else None
                await wipe_or_refuse(server.uri, auth, args.wipe)
                print(f"neo4j: {server.how} at {server.uri}, started in {server.startup_seconds:.1f}s")
                store = Neo4jStore(server.uri, auth=auth, dimensions=DIMENSIONS)
                results.append(await measure(name, store, model, mapped, cache, batches))
        last = results[-1]
        print(
            f"{name}: {last.texts:,} texts in {last.load_seconds:.1f}s = "
            f"{last.incidents / last.load_seconds:.1f} incidents/s, "
            f"{last.texts / last.load_seconds:.0f} texts/s ({embed_seconds / last.load_seconds:.2f} of "
            f"embedding only); re-import {last.reimport_seconds:.1f}s"
        )

    load = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        "| store    | incidents |   texts | embed-only | e2e incidents | e2e texts | ratio | target met "
        "| model busy | re-import  |"
    )
    print(
        "|          |           |         |    texts/s |           /s  |       /s  |       |            "
        "|    of wall |            |"
    )
    for result in results:
        print(report_line(result, embed_rate))
    print("\nwhere the time goes:")
    for result in results:
        print(breakdown(result))
        for note in result.notes:
            print(f"  NOTE: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stores", default="embedded,neo4j", help="comma-separated: embedded, neo4j")
    parser.add_argument("--export", type=Path, help="reuse this export directory instead of generating one")
    parser.add_argument("--wipe", action="store_true", help="empty a NEO4J_URI server first")
    args = parser.parse_args()
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(args.stores) - set(TARGETS)
    if unknown:
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(args, Path(directory), neo4j_server))


if __name__ == "__main__":
    main()
