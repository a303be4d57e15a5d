"""Time from an incident.io delivery to its investigation being ready, over 10,000 or 100,000 incidents.

Usage::

    HF_HUB_OFFLINE=1 uv run python -u benchmarks/webhook_ready.py [--sizes 10000] [--neo4j-sizes 10000]
        [--deliveries 40] [--interval 2.0] [--warmup 3] [--dir /tmp/precedent-webhook-ready]

For each size and store it builds (or reuses, under ``--dir``; Neo4j starts empty each run) the
history the way ``benchmarks/investigation.py speed`` does: ``benchmarks/retrieval/latency.py``
``build_map`` (200 services, 30 teams, 3.6 embedded nodes per incident, word-vector embeddings)
plus ``add_changes_and_schedules``, and, before each run, three deploys of every service in the
last 24 hours, so that a fresh incident has recent changes to weigh as a real one would.

Then it starts the real service, ``precedent serve`` in its own process (settings from
``PRECEDENT_*``: the real model behind its cache, the store, the webhook inbox and its worker, as
a deployment runs it), and sends signed ``public_incident.incident_created_v2`` deliveries, one
every ``--interval`` seconds on schedule (open loop), each for a fresh incident on a known service
(its custom field names one of the map's services), declared now, with new text for the real
model to embed. After ``--warmup`` untimed deliveries, each delivery is timed from just before its
POST (wall clock) to the ``finished_at`` of its delivery in ``GET /v1/webhooks/deliveries``
(the server's wall clock, same machine): the worker records it after the investigation was
stored, so it bounds "stored and readable" from above. Each investigation is then read back
through ``GET /v1/investigations/{id}`` to check it is readable. The poller reads the deliveries
list every 100 ms; the timing does not depend on that interval.

It prints per store: acknowledgement p50/p99, ready p50/p95/p99/max, the server's build time
(``build_ms``) p50/p95, and the wait between acknowledgement and the worker's claim.

The embedded history is built once per ``--dir`` and reused; Neo4j's is built on every run (its
test server starts empty). Building 10,000 took 785 s on a heavily loaded machine (the change
events, about 87,000 whatever the size, are much of it); 100,000 has ten times the incidents.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.investigation import add_changes_and_schedules  # noqa: E402
from benchmarks.retrieval.latency import (  # noqa: E402
    BUILT_KEY,
    DIMENSIONS,
    REAL_WORDS,
    SERVICES,
    WordVectorEmbedder,
    build_map,
)
from tests.support.neo4j_server import neo4j_server  # noqa: E402
from tests.webhooks.payloads import CREATED, incident  # noqa: E402
from tests.webhooks.processes import free_port  # noqa: E402
from tests.webhooks.signing import SECRET, signed_headers  # noqa: E402

from precedent.auth import TokenRegistry  # noqa: E402
from precedent.model import Edge, Node  # noqa: E402
from precedent.store.embedded import EmbeddedStore  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

    from precedent.store.base import GraphStore

PATH = "/v1/webhooks/incident-io"
RECENT_KEY = "webhook-ready-recent-deploys"


async def prepare(store: GraphStore, size: int) -> str:
    """Build the history if it is not there, add deploys in the last day, return an admin token."""
    started = time.perf_counter()
    if await store.get_meta(BUILT_KEY) != str(size):
        await build_map(store, size, WordVectorEmbedder())
    await add_changes_and_schedules(store, size)
    built = time.perf_counter() - started
    now = datetime.now(UTC)
    rng = random.Random(int(now.timestamp()))
    embedder = WordVectorEmbedder()
    nodes, edges = [], []
    for s in range(SERVICES):
        for n in range(3):
            at = now - timedelta(minutes=rng.uniform(5, 24 * 60))
            change_id = f"recent-{s:03d}-{n}"  # the same ids every run: replaced, not piled up
            text = f"deploy of service-{s} r{n}"
            vector = embedder.embed_now([text])[0]
            properties: dict[str, Any] = {"kind": "deploy", "version": f"r{n}", "summary": text}
            nodes.append(Node(change_id, "ChangeEvent", properties, at, text=text, embedding=vector))
            edges.append(Edge(change_id, "CHANGED", f"svc-{s:03d}"))
    await store.upsert_nodes(nodes)
    await store.upsert_edges(edges)
    token = (await TokenRegistry(store).create(["admin"])).secret
    print(f"  history ready in {built:.0f} s (built now or reused)", flush=True)
    return token


def delivery(run: str, n: int, rng: random.Random) -> tuple[str, str, bytes]:
    """A created-event for a fresh incident on one of the map's services, declared now."""
    service = rng.randrange(SERVICES)
    incident_id = f"01BENCH{run}{n:06d}"
    words = rng.sample(REAL_WORDS, 6)
    raw = incident(
        incident_id=incident_id,
        name=f"{words[0]} {words[1]} failing on service-{service}",
        updated_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    )
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    raw.update(
        reference=f"INC-B{run}{n}",
        created_at=now,
        incident_timestamp_values=[],
        summary=f"Customers see {' '.join(words[2:])} since a few minutes ago on service-{service}.",
        slack_channel_id="",
    )
    entry = raw["custom_field_entries"][0]["values"][0]["value_catalog_entry"]
    entry.update(id=f"svc-{service:03d}", name=f"service-{service}", aliases=[])
    entry.pop("external_id", None)
    document = {"event_type": CREATED, CREATED: raw}
    return f"msg_{run}_{n:06d}", incident_id, json.dumps(document).encode()


@contextlib.contextmanager
def serving(data_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """Run ``precedent serve`` with ``env`` until the block ends; yield its base URL once ready."""
    port = free_port()
    log_path = data_dir / "serve.log"
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRECEDENT_")},
        "HF_HUB_OFFLINE": "1",
        "PRECEDENT_DATA_DIR": str(data_dir),
        "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET": SECRET,
        "PRECEDENT_LOG_LEVEL": "WARNING",
        **env,
    }
    command = [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"precedent serve exited with {process.returncode}; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() - started > 1800:
                raise RuntimeError(f"precedent serve not ready after 30 minutes; see {log_path}")
            time.sleep(0.5)
        print(f"  serve ready in {time.monotonic() - started:.1f} s", flush=True)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def send(base: str, token: str, count: int, interval: float, run: str) -> list[dict[str, float]]:
    """Send ``count`` deliveries on schedule; return each one's timings once its investigation is read."""
    rng = random.Random(run)
    items = [delivery(run, n, rng) for n in range(count)]
    pending: dict[str, dict[str, float]] = {}
    results: list[dict[str, float]] = []
    admin = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def post(n: int, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            delivery_id, _, payload = items[n]
            headers = signed_headers(payload, delivery_id)  # signing is the sender's cost
            sent_wall, sent = time.time(), time.perf_counter()
            response = await client.post(PATH, content=payload, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{delivery_id}: {response.status_code} {response.text}")
            pending[delivery_id] = {"sent": sent_wall, "ack_ms": 1000 * (time.perf_counter() - sent)}

        async def poll(until: int) -> None:
            while len(results) < until:
                await asyncio.sleep(0.1)
                if not pending:
                    continue
                listed = (
                    await client.get("/v1/webhooks/deliveries", params={"limit": 100}, headers=admin)
                ).json()["items"]
                for row in listed:
                    timing = pending.get(row["id"])
                    if timing is None or row["state"] not in ("done", "dead"):
                        continue
                    del pending[row["id"]]
                    if row["state"] == "dead":
                        raise RuntimeError(f"delivery {row['id']} failed: {row['error']}")
                    found = re.search(r"investigation (inv:\S+)", str(row["outcome"]))
                    if found is None:
                        raise RuntimeError(f"delivery {row['id']} built no investigation: {row['outcome']}")
                    read = await client.get(f"/v1/investigations/{found.group(1)}", headers=admin)
                    read.raise_for_status()
                    timing["ready_ms"] = 1000 * (_time(row["finished_at"]) - timing["sent"])
                    timing["waited_ms"] = 1000 * float(row["waited_seconds"] or 0.0)
                    timing["build_ms"] = float(read.json()["build_ms"])
                    results.append(timing)

        t0 = time.perf_counter() + 0.5
        poller = asyncio.create_task(poll(count))
        await asyncio.gather(*(post(n, t0 + n * interval) for n in range(count)))
        await asyncio.wait_for(poller, timeout=600)
    return results


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def measure(label: str, size: int, data_dir: Path, env: dict[str, str], token: str, args: Any) -> None:
    run = datetime.now(UTC).strftime("%H%M%S")
    with serving(data_dir, env) as base:
        await send(base, token, args.warmup, args.interval, f"W{run}")
        timings = await send(base, token, args.deliveries, args.interval, f"T{run}")
    ready = [t["ready_ms"] for t in timings]
    ack = [t["ack_ms"] for t in timings]
    build = [t["build_ms"] for t in timings]
    waited = [t["waited_ms"] for t in timings]
    print(
        f"| {size:,} | {label} | {len(timings)} | {_pct(ack, 50):.0f} / {_pct(ack, 99):.0f} ms | "
        f"{_pct(ready, 50):.0f} / {_pct(ready, 95):.0f} / {_pct(ready, 99):.0f} / {max(ready):.0f} ms | "
        f"{_pct(build, 50):.0f} / {_pct(build, 95):.0f} ms | {_pct(waited, 50):.0f} ms |",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/precedent-webhook-ready"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--neo4j-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--deliveries", type=int, default=40)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between deliveries")
    parser.add_argument("--warmup", type=int, default=3, help="untimed deliveries first")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}", flush=True)
    header = (
        "| incidents | store | deliveries | ack p50 / p99 | ready p50 / p95 / p99 / max "
        "| build_ms p50 / p95 | waited p50 |\n|---:|---|---:|---:|---:|---:|---:|"
    )
    rows: list[tuple[str, int]] = [("embedded", s) for s in args.sizes]
    rows += [("neo4j", s) for s in args.neo4j_sizes]
    print(header, flush=True)
    for kind, size in rows:
        data_dir = args.dir / f"{kind}-{size}"
        data_dir.mkdir(parents=True, exist_ok=True)
        if kind == "embedded":
            store: GraphStore = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS, exact_search=False)
            await store.open()
            try:
                token = await prepare(store, size)
            finally:
                await store.close()
            await measure("embedded (HNSW)", size, data_dir, {}, token, args)
            continue
        from precedent.store.neo4j import Neo4jStore

        with neo4j_server() as server:
            auth = (server.user, server.password) if server.user and server.password else None
            store = Neo4jStore(server.uri, auth=auth, dimensions=DIMENSIONS, exact_search=False)
            await store.open()
            try:
                token = await prepare(store, size)
            finally:
                await store.close()
            env = {
                "PRECEDENT_STORE": "neo4j",
                "PRECEDENT_NEO4J_URI": server.uri,
                "PRECEDENT_NEO4J_USER": server.user or "neo4j",
                "PRECEDENT_NEO4J_PASSWORD": server.password or "",
            }
            await measure("Neo4j (vector index)", size, data_dir, env, token, args)
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
