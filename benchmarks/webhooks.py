"""Webhook acknowledgement latency and throughput over loopback, and a crash in the middle of a burst.

Starts two real HTTP processes (``tests/webhooks/serve_process.py``, uvicorn, one event loop each):

- **precedent**: the real app on the embedded store (hashing embedder, a builder that writes an
  Investigation node), verifying the signature, validating the payload against the spec and
  writing the SQLite inbox with fsync before each 200, with its worker running;
- **bare**: a Litestar app whose one route answers 204 without reading anything.

Three measurements, each against both where it applies:

1. *Paced*: deliveries at ``--rate`` per second (open loop: sent on schedule whatever the answers)
   for ``--seconds``; acknowledgement latency p50/p99.
2. *Saturated*: ``--concurrency`` clients sending as fast as answers come; deliveries per second.
   The ratio precedent/bare is the overhead of verification, validation and the durable write.
3. *Burst and kill*: ``--burst`` deliveries at once; the service is killed with SIGKILL half-way;
   it is restarted, the deliveries that were not acknowledged are sent again (as incident.io
   does), and then every delivery must be ``done`` once and every incident built once (counted in
   the builder's log). Deliveries caught mid-processing by the kill are redone, and are reported.

Requests are signed before the clock starts (signing is the sender's cost). Every delivery is a
``public_incident.incident_created_v2`` for its own incident.

    HF_HUB_OFFLINE=1 uv run python benchmarks/webhooks.py --rate 200 --seconds 10 --burst 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webhooks.payloads import body, incident_event  # noqa: E402
from tests.webhooks.processes import free_port, kill, start, stop  # noqa: E402
from tests.webhooks.signing import SECRET, signed_headers  # noqa: E402

from precedent.sources.incidentio.webhooks import WebhookVerifier  # noqa: E402
from precedent.store.embedded import SqliteInbox  # noqa: E402
from precedent.webhooks import Receiver  # noqa: E402

PATH = "/v1/webhooks/incident-io"


def deliveries(count: int, prefix: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """``count`` signed created-events, each for its own incident."""
    out = []
    for n in range(count):
        delivery_id = f"{prefix}-{n:06}"
        payload = body(incident_event(incident_id=f"INC{prefix}{n:06}", name=f"Checkout errors {n}"))
        out.append((delivery_id, payload, signed_headers(payload, delivery_id)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def paced(base: str, items: list[tuple[str, bytes, dict[str, str]]], rate: float) -> dict[str, float]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # No timeouts: on an overloaded machine requests queue for the pool, and the wait is latency.
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=None) as client:

        async def one(item: tuple[str, bytes, dict[str, str]], due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            started = time.perf_counter()
            try:
                response = await client.post(PATH, content=item[1], headers=item[2])
            except httpx.HTTPError:
                statuses[0] += 1
                return
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

        t0 = time.perf_counter() + 0.2
        await asyncio.gather(*(one(item, t0 + n / rate) for n, item in enumerate(items)))
        elapsed = time.perf_counter() - t0
    return {
        "sent": len(items),
        "ok": sum(c for s, c in statuses.items() if s < 300),
        "achieved_per_s": len(items) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def saturated(
    base: str, items: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> dict[str, float]:
    queue = list(reversed(items))
    latencies: list[float] = []
    ok = 0
    async with httpx.AsyncClient(base_url=base, timeout=None) as client:

        async def worker() -> None:
            nonlocal ok
            while queue:
                _, payload, headers = queue.pop()
                started = time.perf_counter()
                response = await client.post(PATH, content=payload, headers=headers)
                latencies.append(time.perf_counter() - started)
                ok += response.status_code < 300

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return {
        "sent": len(items),
        "ok": ok,
        "per_s": len(items) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
    }


async def send_all(base: str, items: list[tuple[str, bytes, dict[str, str]]], concurrency: int) -> set[str]:
    """Send everything; return the ids that were acknowledged (2xx)."""
    acknowledged: set[str] = set()
    queue = list(reversed(items))
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def worker() -> None:
            while queue:
                delivery_id, payload, headers = queue.pop()
                try:
                    response = await client.post(PATH, content=payload, headers=headers)
                except httpx.HTTPError:
                    continue
                if response.status_code < 300:
                    acknowledged.add(delivery_id)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acknowledged


async def in_process(data_dir: Path, count: int) -> dict[str, float]:
    """The receiver alone (verify, validate, fsync'd inbox write), no HTTP: CPU and wall per delivery."""
    inbox = SqliteInbox(data_dir / "inbox.sqlite")
    await inbox.open()
    receiver = Receiver(WebhookVerifier([SECRET]), inbox)
    items = deliveries(count, "inproc")
    walls: list[float] = []
    cpu0 = time.process_time()
    for _, payload, headers in items:
        started = time.perf_counter()
        await receiver.receive(payload, headers)
        walls.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu0
    await inbox.close()
    return {
        "deliveries": count,
        "cpu_ms_per_delivery": 1000 * cpu / count,
        "wall_p50_ms": 1000 * statistics.median(walls),
        "wall_p99_ms": 1000 * percentile(walls, 0.99),
    }


def _inbox_query(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the server's inbox directly (SQLite in WAL mode serves a reader beside the writer)."""
    try:
        with sqlite3.connect(data_dir / "webhooks.sqlite", timeout=10) as db:
            return db.execute(sql).fetchall()
    except sqlite3.Error:
        return []


async def burst_and_kill(data_dir: Path, count: int) -> dict[str, object]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    items = deliveries(count, "burst")
    process = start(data_dir, port)
    sender = asyncio.create_task(send_all(base, items, 32))
    while True:  # kill once about half the burst is in the inbox
        await asyncio.sleep(0.02)
        rows = _inbox_query(data_dir, "SELECT count(*) FROM deliveries")
        if rows and int(rows[0][0]) >= count // 2:  # type: ignore[call-overload]
            break
    kill(process)
    acknowledged = await sender
    process = start(data_dir, port)
    try:
        missing = [item for item in items if item[0] not in acknowledged]
        resent = await send_all(base, missing, 32)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            rows = _inbox_query(data_dir, "SELECT count(*) FROM deliveries WHERE state != 'done'")
            if rows and rows[0][0] == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        stop(process)
    done = {str(r[0]) for r in _inbox_query(data_dir, "SELECT id FROM deliveries WHERE state = 'done'")}
    states = Counter(str(r[0]) for r in _inbox_query(data_dir, "SELECT state FROM deliveries"))
    redone = _inbox_query(data_dir, "SELECT count(*) FROM deliveries WHERE attempts > 1")[0][0]
    builds = Counter((data_dir / "builds.log").read_text().split())
    return {
        "acknowledged_before_kill": len(acknowledged),
        "sent_again_after_restart": len(missing),
        "acknowledged_after_restart": len(resent),
        "states": dict(states),
        "acknowledged_but_not_done": len(acknowledged - done),
        "incidents_built": len(builds),
        "incidents_built_more_than_once": sum(1 for c in builds.values() if c > 1),
        "deliveries_redone_after_kill": redone,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--saturated", type=int, default=2000, help="deliveries in the saturated run")
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["receiver in process"] = await in_process(Path(tmp), 500)
        for name, flags in (("bare", ("--bare",)), ("precedent", ())):
            data_dir = Path(tmp) / name
            data_dir.mkdir()
            port = free_port()
            process = start(data_dir, port, *flags)
            try:
                base = f"http://127.0.0.1:{port}"
                await saturated(base, deliveries(200, f"warm{name}"), args.concurrency)  # warm up
                results[f"{name} paced"] = await paced(
                    base, deliveries(int(args.rate * args.seconds), f"p{name}"), args.rate
                )
                results[f"{name} saturated"] = await saturated(
                    base, deliveries(args.saturated, f"s{name}"), args.concurrency
                )
            finally:
                stop(process)
        burst_dir = Path(tmp) / "burst"
        burst_dir.mkdir()
        results["burst"] = await burst_and_kill(burst_dir, args.burst)
    bare = results["bare saturated"]["per_s"]  # type: ignore[index]
    mine = results["precedent saturated"]["per_s"]  # type: ignore[index]
    results["throughput ratio precedent/bare"] = round(mine / bare, 3)
    print(json.dumps(results, indent=2, default=lambda v: round(v, 2) if isinstance(v, float) else str(v)))
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
