"""The HTTP API under concurrent clients: similar incidents, neighbourhoods and incident lists.

Usage::

    HF_HUB_OFFLINE=1 uv run python benchmarks/http_load.py [--size 100000] [--clients 50]
        [--seconds 30] [--dir /tmp/precedent-http-load] [--neo4j]

Builds (or reuses, under ``--dir``) the map of ``benchmarks/retrieval/latency.py`` (200 services,
30 teams, incidents with updates and post-mortem chunks, 5% private; word-vector embeddings, so
timings exclude the model), issues a ``read:private`` token, starts the whole app (``create_app``:
auth, guards, viewer, problem+json, metrics) under uvicorn in a child process, and then drives it
over loopback with ``--clients`` concurrent HTTP/1.1 clients for ``--seconds`` seconds, each request
picked in turn among ``GET /v1/incidents/{id}/similar``, ``GET /v1/incidents/{id}/neighbourhood``
and ``GET /v1/incidents?limit=20`` (a first page, or a later one through the returned cursor).
Prints, per route, requests, p50/p95/p99 in milliseconds and requests per second, and the total.

``--neo4j`` runs against the Neo4j test server (``NEO4J_URI`` when set, else the Maven-built one);
there ``--workers N`` serves from N processes as ``precedent serve --workers N`` does (uvicorn's
supervisor, prometheus-client's multiprocess metrics), each building the app from settings with
the word-vector embedder. The embedded store has one writer process, so it is served by one.
At the end the server's ``/metrics`` is read back: its request count must equal the requests
the clients completed, whichever worker answered the scrape.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import TYPE_CHECKING

from benchmarks.retrieval.latency import BUILT_KEY, DIMENSIONS, WordVectorEmbedder, build_map

from precedent.auth import TokenRegistry
from precedent.cli.serve import WORKER_HEALTHCHECK_SECONDS
from precedent.config import Settings, share_with_workers
from precedent.metrics import forget_this_process

if TYPE_CHECKING:
    from litestar import Litestar

    from precedent.store.base import GraphStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _store(args: argparse.Namespace) -> GraphStore:
    if args.neo4j_uri:
        from precedent.store.neo4j import Neo4jStore

        user, password = os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD")
        auth = (user, password) if user and password else None
        return Neo4jStore(
            args.neo4j_uri,
            auth=auth,
            dimensions=DIMENSIONS,
            exact_search=False,
            max_concurrency=args.neo4j_max_concurrency,
        )
    from precedent.store.embedded import EmbeddedStore

    return EmbeddedStore(Path(args.dir) / f"embedded-{args.size}", dimensions=DIMENSIONS, exact_search=False)


async def _prepare(args: argparse.Namespace) -> str:
    """Build the map when it is not there yet, and issue a token for the clients."""
    store = _store(args)
    await store.open()
    try:
        if await store.get_meta(BUILT_KEY) != str(args.size):
            started = time.perf_counter()
            print(f"building a map of {args.size:,} incidents ...", flush=True)
            await build_map(store, args.size, WordVectorEmbedder())
            print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        issued = await TokenRegistry(store).create(["read", "read:private"])
        return issued.secret
    finally:
        await store.close()


def _neo4j_settings(args: argparse.Namespace) -> Settings:
    return Settings(
        store="neo4j",
        neo4j_uri=args.neo4j_uri,
        neo4j_user=os.environ.get("NEO4J_USER") or "neo4j",
        neo4j_password=SecretStr(os.environ.get("NEO4J_PASSWORD") or ""),
        data_dir=Path(args.dir) / "serve",
        neo4j_max_concurrency=args.neo4j_max_concurrency,
        log_level="WARNING",
        metrics_public=True,
    )


def bench_app() -> Litestar:
    """One worker's app on Neo4j (uvicorn imports and calls this in each worker process)."""
    from precedent.api.app import create_app

    args = argparse.Namespace(
        neo4j_uri=os.environ["BENCH_NEO4J_URI"],
        dir=os.environ["BENCH_DIR"],
        neo4j_max_concurrency=int(os.environ["BENCH_NEO4J_MAX_CONCURRENCY"]),
    )
    app = create_app(_neo4j_settings(args), embedder=WordVectorEmbedder())
    app.on_shutdown.append(forget_this_process)
    return app


def _serve_neo4j(args: argparse.Namespace) -> None:
    """The child process on Neo4j: ``args.workers`` uvicorn workers, as ``serve --workers`` runs them."""
    import uvicorn

    metrics_dir = Path(tempfile.mkdtemp(prefix="precedent-bench-metrics-"))
    if args.workers > 1:
        share_with_workers(host="127.0.0.1", port=args.port, metrics_dir=metrics_dir)
    os.environ |= {"BENCH_DIR": args.dir, "BENCH_NEO4J_MAX_CONCURRENCY": str(args.neo4j_max_concurrency)}
    try:
        uvicorn.run(
            "benchmarks.http_load:bench_app",
            factory=True,
            host="127.0.0.1",
            port=args.port,
            workers=args.workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            log_level="warning",
            access_log=False,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


async def _serve(args: argparse.Namespace) -> None:
    """The child process on the embedded store: the whole app on the prepared map."""
    import uvicorn

    from precedent.api.app import create_app

    store = _store(args)
    await store.open()
    settings = Settings(data_dir=Path(args.dir) / "serve", log_level="WARNING", metrics_public=True)
    app = create_app(settings, store=store, embedder=WordVectorEmbedder())
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await store.close()


async def _wait_ready(base: str, child: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if child.poll() is not None:
                raise SystemExit(f"the server exited with {child.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise SystemExit("the server did not become ready in 5 minutes")


async def _drive(base: str, token: str, args: argparse.Namespace) -> dict[str, list[float]]:
    rng = random.Random(3)
    ids = [f"inc-{i:06d}" for i in range(args.size)]
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    deadline = time.perf_counter() + args.seconds
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    headers = {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:

        async def one_client(n: int) -> None:
            cursor: str | None = None
            turn = n
            while time.perf_counter() < deadline:
                kind = ("similar", "neighbourhood", "incidents")[turn % 3]
                turn += 1
                incident = rng.choice(ids)
                if kind == "similar":
                    path, params = f"/v1/incidents/{incident}/similar", {"limit": "10"}
                elif kind == "neighbourhood":
                    path, params = f"/v1/incidents/{incident}/neighbourhood", {}
                else:
                    path, params = "/v1/incidents", {"limit": "20", **({"cursor": cursor} if cursor else {})}
                started = time.perf_counter()
                try:
                    response = await client.get(path, params=params)
                except httpx.TimeoutException:
                    errors[f"{kind} timed out after 60 s"] += 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    errors[f"{kind} {response.status_code}"] += 1
                    continue
                timings[kind].append(elapsed)
                if kind == "incidents":
                    # Walk a few pages deep, then start again from the first.
                    cursor = response.json().get("next_cursor") if rng.random() < 0.8 else None

        await asyncio.gather(*(one_client(n) for n in range(args.clients)))
    if errors:
        print("non-200 answers:", dict(errors))
    return timings


# Route templates hold braces ({incident}): the labels run to the last "} " of the line.
_COUNT = re.compile(r"^precedent_http_request_duration_seconds_count\{(?P<labels>.*)\} (?P<n>\S+)$", re.M)


async def _check_metrics(base: str, completed: int) -> None:
    """Compare the server's own count of answered requests with what the clients completed."""
    async with httpx.AsyncClient(base_url=base) as client:
        text = (await client.get("/metrics")).text
    counted = sum(
        float(m["n"])
        for m in _COUNT.finditer(text)
        if 'status="200"' in m["labels"] and "/v1/incidents" in m["labels"]
    )
    print(
        f"/metrics counts {counted:.0f} answered requests (200) on the driven routes; "
        f"clients completed {completed}"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), 0 when not given."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(timings: dict[str, list[float]], seconds: float, args: argparse.Namespace) -> None:
    store = "neo4j" if args.neo4j_uri else "embedded"
    workers = f", {args.workers} worker processes" if args.neo4j_uri else ""
    print(f"\n{store}{workers}, {args.size:,} incidents, {args.clients} clients, {seconds:.0f} s on loopback")
    print(f"{'route':<15}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}")
    everything: list[float] = []
    for kind in ("similar", "neighbourhood", "incidents"):
        values = timings.get(kind, [])
        everything += values
        if values:
            print(
                f"{kind:<15}{len(values):>9}{statistics.median(values):>9.1f}{_pct(values, 0.95):>9.1f}"
                f"{_pct(values, 0.99):>9.1f}{len(values) / seconds:>8.1f}"
            )
    if everything:
        print(
            f"{'all':<15}{len(everything):>9}{statistics.median(everything):>9.1f}"
            f"{_pct(everything, 0.95):>9.1f}{_pct(everything, 0.99):>9.1f}{len(everything) / seconds:>8.1f}"
        )
    print(f"load average at the end: {os.getloadavg()}")


async def _main(args: argparse.Namespace) -> None:
    token = await _prepare(args)
    port = _free_port()
    command = [
        sys.executable,
        __file__,
        "--serve",
        "--port",
        str(port),
        "--size",
        str(args.size),
        "--dir",
        args.dir,
        "--neo4j-max-concurrency",
        str(args.neo4j_max_concurrency),
        "--workers",
        str(args.workers),
    ]
    env = dict(os.environ, **({"BENCH_NEO4J_URI": args.neo4j_uri} if args.neo4j_uri else {}))
    # The server logs a line per request, as in production; into a file, not over the report.
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    log = (Path(args.dir) / "server.log").open("wb")
    child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, child)
        started = time.perf_counter()
        # CPU per request says whether concurrency wastes work (it rises) or only queues it.
        cpu = (_cpu_seconds(child.pid), _cpu_seconds(args.neo4j_pid))
        timings = await _drive(base, token, args)
        _report(timings, time.perf_counter() - started, args)
        done = max(1, sum(len(t) for t in timings.values()))
        if args.workers > 1:
            print("CPU per request: not measured with several worker processes")
        else:
            # With several workers the child is uvicorn's supervisor, whose CPU says nothing.
            print(
                f"CPU per request: API process {(_cpu_seconds(child.pid) - cpu[0]) * 1000 / done:.1f} ms"
                + (
                    f", Neo4j {(_cpu_seconds(args.neo4j_pid) - cpu[1]) * 1000 / done:.1f} ms"
                    if args.neo4j_pid
                    else ""
                )
            )
        await _check_metrics(base, sum(len(v) for v in timings.values()))
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Still finishing requests it queued: a benchmark server is not worth waiting for.
            child.kill()
            child.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--dir", default="/tmp/precedent-http-load")
    parser.add_argument(
        "--neo4j", action="store_true", help="run against Neo4j instead of the embedded store"
    )
    parser.add_argument(
        "--neo4j-max-concurrency",
        type=int,
        default=8,
        help="Neo4j transactions the server process runs at once (PRECEDENT_NEO4J_MAX_CONCURRENCY)",
    )
    parser.add_argument("--neo4j-pid", type=int, help="the Neo4j server's pid, to report its CPU per request")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (Neo4j only, as `precedent serve --workers`)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.neo4j_uri = os.environ.get("BENCH_NEO4J_URI")
    if args.workers > 1 and not (args.neo4j or args.neo4j_uri):
        parser.error("--workers above 1 needs --neo4j: the embedded store has one writer process")
    if args.serve:
        if args.neo4j_uri:
            _serve_neo4j(args)
        else:
            asyncio.run(_serve(args))
        return
    if not args.neo4j:
        asyncio.run(_main(args))
        return
    from tests.support.neo4j_server import neo4j_server

    with neo4j_server() as server:
        args.neo4j_uri = server.uri
        os.environ.update(
            {k: v for k, v in (("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)) if v}
        )
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
