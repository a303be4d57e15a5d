"""Similar-incident query latency at 10,000 and 100,000 incidents, embedded and Neo4j stores.

Usage::

    uv run python benchmarks/retrieval/latency.py [--dir /tmp/precedent-latency] [--sizes 10000 100000]
        [--neo4j-sizes 10000] [--queries 200] [--model]

For each size it builds (or reuses, under ``--dir``) a map with the shape of a generated
organisation: 30 teams, 200 services with ownership and dependencies, and per incident two
updates, a post-mortem with two chunks for one in five, one or two affected services and the
occasional related incident, 5% of them private. That is 3.6 embedded nodes per incident.

Text and vectors: embedding 360,000 texts with the real model takes hours on this machine, so
each incident draws its words from one of 300 topics (plus background words) and a cheap
deterministic embedder sums a fixed random vector per word. Texts that share words are close,
as with a real model, so the HNSW graph sees realistic structure (pure random vectors are the
worst case for any approximate index and say nothing about real maps). Queries are embedded the
same way, so the timings exclude the model; ``--model`` times MiniLM encoding one query text on
its own, to add to them (``--model PATH``: another sentence-transformers folder).

It prints, per store and mode: open time, p50/p95/p99 of ``SimilarIncidentFinder.find`` over
``--queries`` mixed queries (half an existing incident, half a described one), the store-level
``vector_search`` time the finder's one kNN costs, and for the approximate modes recall@10 (and
@120, the finder's k) of ``vector_search`` against the exact scan on the same query vectors,
plus the overlap of the final top-10 similar incidents.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.neo4j_server import neo4j_server

from precedent.embedding import DEFAULT_MODEL, WORD_TOKENS
from precedent.model import OWNER_VIEWER, Edge, Node, Property, SearchFilter, Visibility
from precedent.retrieval import DescribedQuery, IncidentQuery, SimilarIncidentFinder, SimilarOptions
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from precedent.embedding import TokenCounter
    from precedent.store.base import GraphStore

Query = IncidentQuery | DescribedQuery
DIMENSIONS = 384
TOPICS = 300
SERVICES = 200
TEAMS = 30
BATCH = 5000
BUILT_KEY = "latency-benchmark-incidents"
EMBEDDED_LABELS = ("Incident", "IncidentUpdate", "PostmortemChunk")
_WORD = re.compile(r"[a-z0-9]+")
_BACKGROUND = [f"w{i}" for i in range(3000)]
REAL_WORDS = [  # the failure vocabulary incident texts are drawn from
    *[
        "database",
        "pool",
        "timeout",
        "latency",
        "errors",
        "deploy",
        "config",
        "cache",
        "redis",
        "queue",
        "kafka",
        "disk",
        "cpu",
        "memory",
    ],
    *[
        "network",
        "dns",
        "certificate",
        "checkout",
        "payments",
        "login",
        "search",
        "api",
        "gateway",
        "replica",
        "lag",
        "oom",
        "crash",
    ],
]


class WordVectorEmbedder:
    """A cheap deterministic embedder: the normalised sum of a fixed random vector per word."""

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self._dimensions = dimensions
        self._table: dict[str, npt.NDArray[np.float32]] = {}

    @property
    def name(self) -> str:
        return f"word-vectors-{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def token_counter(self) -> TokenCounter:
        return WORD_TOKENS

    def _word(self, word: str) -> npt.NDArray[np.float32]:
        vector = self._table.get(word)
        if vector is None:
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(self._dimensions).astype(np.float32)
            self._table[word] = vector
        return vector

    def embed_now(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[row] += self._word(word)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embed_now(texts)


def _topic_words(rng: random.Random) -> list[list[str]]:
    vocabulary = REAL_WORDS + [f"t{i}" for i in range(2000)]
    return [rng.sample(vocabulary, 12) for _ in range(TOPICS)]


def _text(rng: random.Random, topic: list[str], topical: int, background: int) -> str:
    return " ".join(rng.choices(topic, k=topical) + rng.choices(_BACKGROUND, k=background))


async def build_map(store: GraphStore, incidents: int, embedder: WordVectorEmbedder, seed: int = 7) -> None:
    """Write the catalogue and ``incidents`` incidents with their parts, in batches."""
    rng = random.Random(seed)
    topics = _topic_words(rng)
    nodes = [Node(f"team-{t}", "Team", {"name": f"team{t}"}) for t in range(TEAMS)]
    edges = []
    for s in range(SERVICES):
        nodes.append(Node(f"svc-{s:03d}", "Service", {"name": f"service-{s}"}))
        edges.append(Edge(f"svc-{s:03d}", "OWNED_BY", f"team-{s % TEAMS}"))
        edges += [
            Edge(f"svc-{s:03d}", "DEPENDS_ON", f"svc-{d:03d}")
            for d in rng.sample(range(SERVICES), 2)
            if d != s
        ]
    await store.upsert_nodes(nodes)
    await store.upsert_edges(edges)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for first in range(0, incidents, BATCH):
        drafts: list[tuple[str, str, dict[str, Property], datetime, Visibility, str]] = []
        edges = []
        for i in range(first, min(incidents, first + BATCH)):
            topic = rng.randrange(TOPICS)
            words = topics[topic]
            when = start + timedelta(minutes=i * 25 * 100_000 // max(incidents, 1))
            iid = f"inc-{i:06d}"
            vis: Visibility = "private" if rng.random() < 0.05 else "public"
            name = _text(rng, words, 4, 2)
            drafts.append(
                (
                    iid,
                    "Incident",
                    {"reference": f"INC-{i}", "name": name, "severity": f"SEV{1 + topic % 3}"},
                    when,
                    vis,
                    name + " " + _text(rng, words, 10, 10),
                )
            )
            edges.append(Edge(iid, "AFFECTS", f"svc-{topic % SERVICES:03d}"))
            if rng.random() < 0.3:
                edges.append(Edge(iid, "AFFECTS", f"svc-{rng.randrange(SERVICES):03d}"))
            for u in range(2):
                message = _text(rng, words, 6, 6)
                drafts.append(
                    (
                        f"{iid}:u{u}",
                        "IncidentUpdate",
                        {"incident_id": iid, "message": message},
                        when + timedelta(minutes=10 * (u + 1)),
                        vis,
                        message,
                    )
                )
                edges.append(Edge(iid, "HAS_UPDATE", f"{iid}:u{u}"))
            if rng.random() < 0.2:
                pm = f"{iid}:postmortem"
                drafts.append((pm, "Postmortem", {"incident_id": iid}, when + timedelta(days=2), vis, ""))
                edges.append(Edge(iid, "HAS_POSTMORTEM", pm))
                for k, heading in enumerate(("Root cause", "Resolution")):
                    chunk = f"{heading} " + _text(rng, words, 12, 12)
                    drafts.append(
                        (
                            f"{pm}:{k}",
                            "PostmortemChunk",
                            {"incident_id": iid, "heading": heading, "position": k},
                            when + timedelta(days=2),
                            vis,
                            chunk,
                        )
                    )
                    edges.append(Edge(pm, "HAS_CHUNK", f"{pm}:{k}"))
            if i > 10 and rng.random() < 0.05:
                edges.append(Edge(iid, "RELATED_TO", f"inc-{rng.randrange(i):06d}"))
        embedded = [d for d in drafts if d[1] in EMBEDDED_LABELS]
        vectors = dict(
            zip((d[0] for d in embedded), embedder.embed_now([d[5] for d in embedded]), strict=True)
        )
        batch = [
            Node(i, label, props, when, vis, text or None, vectors.get(i))
            for i, label, props, when, vis, text in drafts
        ]
        await store.upsert_nodes(batch)
        await store.upsert_edges(edges)
    await store.set_meta(BUILT_KEY, str(incidents))


def make_queries(incidents: int, count: int, seed: int = 1) -> list[Query]:
    """Half existing incidents (from the later half of the map), half described ones."""
    rng = random.Random(seed)
    topics = _topic_words(random.Random(7))
    queries: list[Query] = [
        IncidentQuery(f"inc-{rng.randrange(incidents // 2, incidents):06d}") for _ in range(count // 2)
    ]
    for _ in range(count - len(queries)):
        words = topics[rng.randrange(TOPICS)]
        queries.append(
            DescribedQuery(
                name=_text(rng, words, 4, 1),
                summary=_text(rng, words, 5, 3),
                services=(f"service-{rng.randrange(SERVICES)}",),
            )
        )
    rng.shuffle(queries)
    return queries


@dataclass
class Run:
    """One store mode's measurements."""

    label: str
    open_seconds: float
    find_ms: list[float]
    knn_ms: list[float]
    top10: list[list[str]]
    knn10: list[list[str]]
    knn120: list[list[str]]


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def measure(label: str, store: GraphStore, queries: list[Query], open_seconds: float) -> Run:
    """Time ``find`` over ``queries`` and the finder's one kNN on its own."""
    embedder = WordVectorEmbedder()
    finder = SimilarIncidentFinder(store, embedder)
    # The map's owner measures: 5% of the queried incidents are private.
    options = SimilarOptions(limit=10, viewer=OWNER_VIEWER)
    for query in queries[:5]:
        await finder.find(query, options)  # warm up: catalogue, caches
    run = Run(label, open_seconds, [], [], [], [], [])
    posed_vectors = []
    for query in queries:
        started = time.perf_counter()
        results = await finder.find(query, options)
        run.find_ms.append((time.perf_counter() - started) * 1000)
        run.top10.append([r.incident_id for r in results.results])
        posed_vectors.append((embedder.embed_now([results.query.text])[0], results.query))
    for vector, posed in posed_vectors:
        search_filter = SearchFilter(
            labels=EMBEDDED_LABELS, before=posed.before, visibilities=posed.visibilities
        )
        started = time.perf_counter()
        hits = await store.vector_search(vector, k=120, search_filter=search_filter)
        run.knn_ms.append((time.perf_counter() - started) * 1000)
        run.knn120.append([h.node_id for h in hits])
        run.knn10.append(
            [h.node_id for h in await store.vector_search(vector, k=10, search_filter=search_filter)]
        )
    return run


def _overlap(found: list[list[str]], truth: list[list[str]], k: int) -> float:
    hit = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth, strict=True))
    return hit / max(1, sum(min(k, len(t)) for t in truth))


def report(size: int, runs: list[Run], build_seconds: float) -> None:
    """Print one table block per size."""
    print(f"\n== {size:,} incidents (map built/loaded in {build_seconds:.0f} s)")
    print(
        f"{'store/mode':22s} {'open s':>7s} {'p50':>7s} {'p95':>7s} {'p99':>7s}"
        f" {'kNN p50':>8s} {'kNN p95':>8s} {'R@10':>6s} {'R@120':>6s} {'top10':>6s}"
    )
    exact: dict[str, Run] = {r.label.split()[0]: r for r in runs if r.label.endswith("exact")}
    for run in runs:
        truth = exact.get(run.label.split()[0])
        recall = ["-", "-", "-"]
        if truth is not None and truth is not run:
            recall = [
                f"{_overlap(run.knn10, truth.knn10, 10):.3f}",
                f"{_overlap(run.knn120, truth.knn120, 120):.3f}",
                f"{_overlap(run.top10, truth.top10, 10):.3f}",
            ]
        times = [_pct(run.find_ms, 50), _pct(run.find_ms, 95), _pct(run.find_ms, 99)]
        knn = [_pct(run.knn_ms, 50), _pct(run.knn_ms, 95)]
        cells = [f"{t:7.1f}" for t in times] + [f"{t:8.1f}" for t in knn] + [f"{r:>6s}" for r in recall]
        print(f"{run.label:22s} {run.open_seconds:7.1f} " + " ".join(cells), flush=True)


async def embedded_runs(root: Path, size: int, queries: list[Query]) -> tuple[list[Run], float]:
    """Build or reuse the embedded map, then measure it exact and approximate."""
    path = root / f"embedded-{size}"
    started = time.perf_counter()
    store = EmbeddedStore(path, dimensions=DIMENSIONS)
    await store.open()
    if await store.get_meta(BUILT_KEY) != str(size):
        await build_map(store, size, WordVectorEmbedder())
    await store.close()
    build_seconds = time.perf_counter() - started
    runs = []
    for exact in (True, False):
        store = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=exact)
        started = time.perf_counter()
        await store.open()
        opened = time.perf_counter() - started
        runs.append(await measure(f"embedded {'exact' if exact else 'hnsw'}", store, queries, opened))
        await store.close()
    return runs, build_seconds


async def neo4j_runs(
    uri: str,
    auth: tuple[str, str] | None,
    size: int,
    queries: list[Query],
    modes: tuple[bool, ...] = (True, False),
) -> tuple[list[Run], float]:
    """Load the map into an empty Neo4j database, then measure exact and index search."""
    from precedent.store.neo4j import Neo4jStore

    runs = []
    started = time.perf_counter()
    loader = Neo4jStore(uri, auth=auth, dimensions=DIMENSIONS)
    await loader.open()
    if await loader.get_meta(BUILT_KEY) != str(size):
        await build_map(loader, size, WordVectorEmbedder())
    await loader.close()
    load_seconds = time.perf_counter() - started
    for exact in modes:
        store = Neo4jStore(uri, auth=auth, dimensions=DIMENSIONS, exact_search=exact)
        started = time.perf_counter()
        await store.open()
        opened = time.perf_counter() - started
        runs.append(await measure(f"neo4j {'exact' if exact else 'hnsw'}", store, queries, opened))
        await store.close()
    return runs, load_seconds


async def time_model(name: str, count: int = 50) -> None:
    """Time model ``name`` encoding one query text (added to every query that has text)."""
    from precedent.embedding import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder(name)
    await model.load()
    texts = [q.name + " " + q.summary for q in make_queries(1000, 2 * count) if isinstance(q, DescribedQuery)]
    await model.embed(texts[:2])
    times = []
    for text in texts:
        started = time.perf_counter()
        await model.embed([text])
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"\n{name} query encode: p50 {_pct(times, 50):.1f} ms,"
        f" p95 {_pct(times, 95):.1f} ms ({len(times)} texts)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/precedent-latency"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--neo4j-sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--model", nargs="?", const=DEFAULT_MODEL, help="also time query encoding (MiniLM, or this model)"
    )
    # Exact kNN over 340k embeddings in one transaction outgrows the test server's 1 GiB heap.
    parser.add_argument("--neo4j-index-only", action="store_true", help="skip Neo4j's exact scan")
    args = parser.parse_args()
    for size in args.sizes:
        runs, built = await embedded_runs(args.dir, size, make_queries(size, args.queries))
        report(size, runs, built)
    if args.neo4j_sizes:
        with neo4j_server() as server:
            auth = (server.user, server.password) if server.user and server.password else None
            for size in sorted(args.neo4j_sizes):
                modes = (False,) if args.neo4j_index_only else (True, False)
                runs, loaded = await neo4j_runs(
                    server.uri, auth, size, make_queries(size, args.queries), modes
                )
                report(size, runs, loaded)
    if args.model:
        await time_model(args.model)


if __name__ == "__main__":
    asyncio.run(main())
