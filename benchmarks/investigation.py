"""Investigation quality on generated organisations with planted causes, and build time at scale.

Usage::

    uv run python benchmarks/investigation.py quality [--incidents 600] [--seeds 3 4] [--hash-embedder]
    uv run python benchmarks/investigation.py speed [--sizes 10000 100000] [--neo4j-sizes 10000]
        [--queries 100] [--dir /tmp/precedent-investigation]

**quality** generates an organisation per seed (``precedent generate``: a deploy of the affected
service, or of a service next to it, minutes before some incidents, each with a decoy deploy of
an unrelated service planted at about the same time; recurring failures in ``judgments.jsonl``),
imports it with the real model (``--hash-embedder`` for a quick plumbing run), then investigates
every incident with a planted deploy as it looked when declared. It reports:

* hit@1 / hit@3: the planted deploy is cited by the first / one of the first three hypotheses;
* decoy above: a hypothesis citing the decoy ranks above the planted cause's (or the planted
  cause is missing and the decoy is cited); "other change above": any other change does;
* precedent hit@3: for planted recurrences, one of the first three precedents is an earlier
  incident of the same thread (grade 2 in ``judgments.jsonl``).

**speed** builds maps the way ``benchmarks/retrieval/latency.py`` does (synthetic word-vector
embeddings, 200 services, 30 teams) plus change events (a deploy of every service every four
days, on average) and an on-call schedule per team, then times ``build_investigation`` over
``--queries`` incidents from the later half of the map: p50/p95/p99 per store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.retrieval.latency import (
    DIMENSIONS,
    SERVICES,
    TEAMS,
    WordVectorEmbedder,
    build_map,
)
from tests.support.neo4j_server import neo4j_server

from precedent.investigation import Collaborators, Investigation, build_investigation
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.retrieval import IncidentQuery, SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from precedent.embedding import Embedder
    from precedent.store.base import GraphStore

CHANGES_KEY = "investigation-benchmark-changes"


def _rank(investigation: Investigation, node_id: str) -> int | None:
    for rank, hypothesis in enumerate(investigation.hypotheses, start=1):
        if any(e.id == node_id for e in hypothesis.evidence):
            return rank
    return None


async def _quality_seed(seed: int, incidents: int, embedder: Embedder, root: Path) -> dict[str, list[float]]:
    from precedent.ingest import Loader, import_export
    from precedent.sources.synthetic import generate

    export = root / f"export-{seed}"
    generate(export, incidents=incidents, seed=seed)
    store = EmbeddedStore(root / f"graph-{seed}", dimensions=embedder.dimensions)
    await store.open()
    await import_export(export, Loader(store, embedder))
    finder = SimilarIncidentFinder(store, embedder)
    collaborators = Collaborators(store, finder, Catalog(store))
    causes = [json.loads(line) for line in (export / "causes.jsonl").read_text().splitlines()]
    judgments = {
        row["query_id"]: {r["id"] for r in row["relevant"] if r["grade"] == 2}
        for row in map(json.loads, (export / "judgments.jsonl").read_text().splitlines())
    }
    out: dict[str, list[float]] = {k: [] for k in ("hit1", "hit3", "decoy", "other", "found", "prec3", "ms")}
    for cause in causes:
        investigation = await build_investigation(
            IncidentQuery(cause["incident_id"]), collaborators, OWNER_VIEWER
        )
        planted = _rank(investigation, cause["change_id"])
        decoys = [r for d in cause["decoy_ids"] if (r := _rank(investigation, d)) is not None]
        others = [
            rank
            for rank, h in enumerate(investigation.hypotheses, start=1)
            if h.kind == "change" and not any(e.id == cause["change_id"] for e in h.evidence)
        ]
        limit = planted or len(investigation.hypotheses) + 1
        out["found"].append(planted is not None)
        out["hit1"].append(planted == 1)
        out["hit3"].append(planted is not None and planted <= 3)
        out["decoy"].append(any(r < limit for r in decoys))
        out["other"].append(any(r < limit for r in others))
        out["ms"].append(investigation.build_ms)
    for query_id, relevant in judgments.items():
        if not relevant:
            continue
        investigation = await build_investigation(IncidentQuery(query_id), collaborators, OWNER_VIEWER)
        top = {p.incident_id for p in investigation.similar[:3]}
        out["prec3"].append(bool(top & relevant))
    await store.close()
    return out


async def quality(args: argparse.Namespace) -> None:
    if args.hash_embedder:
        from precedent.embedding import HashEmbedder

        embedder: Embedder = HashEmbedder(dimensions=384)
    else:
        from precedent.embedding import SentenceTransformerEmbedder

        model = SentenceTransformerEmbedder()
        await model.load()
        embedder = model
    print(f"embedder: {embedder.name}; incidents per organisation: {args.incidents}")
    print(
        "| seed | planted causes | found | hit@1 | hit@3 | decoy above | other change above "
        "| precedent hit@3 (n) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            found = await _quality_seed(seed, args.incidents, embedder, Path(tmp))
            for key, values in found.items():
                total.setdefault(key, []).extend(values)
            _row(str(seed), found)
    _row("all", total)


def _row(name: str, found: dict[str, list[float]]) -> None:
    def share(key: str) -> str:
        values = found[key]
        return f"{statistics.fmean(values):.2f}" if values else "-"

    print(
        f"| {name} | {len(found['hit1'])} | {share('found')} | {share('hit1')} | {share('hit3')} | "
        f"{share('decoy')} | {share('other')} | {share('prec3')} ({len(found['prec3'])}) |"
    )


async def add_changes_and_schedules(store: GraphStore, incidents: int, seed: int = 11) -> None:
    """Deploys of every service (one every four days on average) and a weekly on-call per team."""
    if await store.get_meta(CHANGES_KEY) == str(incidents):
        return
    rng = random.Random(seed)
    embedder = WordVectorEmbedder()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    end = start + timedelta(minutes=incidents * 25 * 100_000 // max(incidents, 1))
    nodes: list[Node] = []
    edges: list[Edge] = []
    for s in range(SERVICES):
        at = start
        n = 0
        while True:
            at += timedelta(days=rng.expovariate(1 / 4))
            if at >= end:
                break
            change_id = f"chg-{s:03d}-{n:05d}"
            text = f"deploy of service-{s} v{n}"
            nodes.append(
                Node(
                    change_id,
                    "ChangeEvent",
                    {"kind": "deploy", "version": f"v{n}", "summary": text},
                    at,
                    text=text,
                )
            )
            edges.append(Edge(change_id, "CHANGED", f"svc-{s:03d}"))
            n += 1
    for t in range(TEAMS):
        schedule = f"sched-{t}"
        nodes.append(Node(schedule, "Schedule", {"name": f"team{t} primary"}))
        nodes += [Node(f"user-{t}-{m}", "User", {"name": f"person {t}.{m}"}) for m in range(4)]
        edges += [Edge(f"user-{t}-{m}", "MEMBER_OF", f"team-{t}") for m in range(4)]
        edges.append(Edge(schedule, "OWNED_BY", f"team-{t}"))
        edges.append(
            Edge(
                schedule, "ON_CALL", f"user-{t}-0", {"start_at": start.isoformat(), "end_at": end.isoformat()}
            )
        )
    for first in range(0, len(nodes), 5000):
        batch = nodes[first : first + 5000]
        texts = [i for i, n in enumerate(batch) if n.text]
        vectors = embedder.embed_now([batch[i].text or "" for i in texts])
        for row, i in enumerate(texts):
            node = batch[i]
            batch[i] = Node(
                node.id,
                node.label,
                node.properties,
                node.occurred_at,
                node.visibility,
                node.text,
                vectors[row],
            )
        await store.upsert_nodes(batch)
    for first in range(0, len(edges), 5000):
        await store.upsert_edges(edges[first : first + 5000])
    await store.set_meta(CHANGES_KEY, str(incidents))


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def _time_builds(label: str, store: GraphStore, incidents: int, queries: int) -> None:
    embedder = WordVectorEmbedder()
    collaborators = Collaborators(store, SimilarIncidentFinder(store, embedder), Catalog(store))
    rng = random.Random(3)
    ids = [f"inc-{rng.randrange(incidents // 2, incidents):06d}" for _ in range(queries)]
    for incident in ids[:5]:
        await build_investigation(IncidentQuery(incident), collaborators, OWNER_VIEWER)  # warm up
    times = []
    hypotheses = changes = 0
    for incident in ids:
        started = time.perf_counter()
        investigation = await build_investigation(IncidentQuery(incident), collaborators, OWNER_VIEWER)
        times.append((time.perf_counter() - started) * 1000)
        hypotheses += len(investigation.hypotheses)
        changes += len(investigation.changes)
    print(
        f"| {incidents:,} | {label} | {queries} | {_pct(times, 50):.1f} ms | {_pct(times, 95):.1f} ms | "
        f"{_pct(times, 99):.1f} ms | {hypotheses / queries:.1f} | {changes / queries:.1f} |"
    )


async def speed(args: argparse.Namespace) -> None:
    print("| incidents | store | builds | p50 | p95 | p99 | hypotheses/build | changes/build |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        path = args.dir / f"embedded-{size}"
        store = EmbeddedStore(path, dimensions=DIMENSIONS)
        await store.open()
        if await store.get_meta("latency-benchmark-incidents") != str(size):
            await build_map(store, size, WordVectorEmbedder())
        await add_changes_and_schedules(store, size)
        await _time_builds("embedded (HNSW)", store, size, args.queries)
        await store.close()
    if args.neo4j_sizes:
        from precedent.store.neo4j import Neo4jStore

        with neo4j_server() as server:
            auth = (server.user, server.password) if server.user and server.password else None
            for size in args.neo4j_sizes:
                store = Neo4jStore(server.uri, auth=auth, dimensions=DIMENSIONS, exact_search=False)
                await store.open()
                if await store.get_meta("latency-benchmark-incidents") != str(size):
                    await build_map(store, size, WordVectorEmbedder())
                await add_changes_and_schedules(store, size)
                await _time_builds("neo4j (index)", store, size, args.queries)
                await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality")
    q.add_argument("--incidents", type=int, default=600)
    q.add_argument("--seeds", type=int, nargs="+", default=[3, 4])
    q.add_argument("--hash-embedder", action="store_true", help="skip the model (plumbing check only)")
    s = commands.add_parser("speed")
    s.add_argument("--dir", type=Path, default=Path("/tmp/precedent-investigation"))
    s.add_argument("--sizes", type=int, nargs="*", default=[10_000])
    s.add_argument("--neo4j-sizes", type=int, nargs="*", default=[])
    s.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    await (quality(args) if args.command == "quality" else speed(args))


if __name__ == "__main__":
    asyncio.run(main())
