"""Latency of the browse reads behind the services, teams, users and hotspots routes, on the embedded store.

Usage::

    uv run python benchmarks/browse.py [--incidents 10000] [--repeat 30] [--dir /tmp/precedent-browse]

Builds (once per size, kept under ``--dir``) the map ``benchmarks/retrieval/latency.py`` builds
(200 services with DEPENDS_ON, 30 teams, incidents with their parts, 5% private) plus the
changes and on-call schedules of ``benchmarks/investigation.py``, then calls each route's browse
read ``--repeat`` times on varied services as the map's owner and prints p50/p95/max in ms (and
the median CPU time of this process, steadier than the wall clock on a busy machine). The
routes are thin (parse, one read, a response model), so this is their latency without HTTP.
Hotspots are read as of the map's last incident (its history ends in the past).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.investigation import add_changes_and_schedules
from benchmarks.retrieval.latency import DIMENSIONS, SERVICES, TEAMS, WordVectorEmbedder, build_map

from precedent import browse
from precedent.model import OWNER_VIEWER
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

BUILT_KEY = "latency-benchmark-incidents"


async def _time(name: str, repeat: int, call: Callable[[int], Awaitable[object]]) -> None:
    took, cpu = [], []
    for i in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        await call(i)
        took.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    took.sort()
    p95 = took[min(len(took) - 1, int(len(took) * 0.95))]
    # CPU time too: on a shared machine the wall clock mostly measures the wait for a core.
    wall = f"{statistics.median(took):.1f} | {p95:.1f} | {took[-1]:.1f}"
    print(f"| {name} | {wall} | {statistics.median(cpu):.1f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/precedent-browse"))
    args = parser.parse_args()
    if args.incidents > 10_000:
        parser.error("at most 10,000 incidents on the shared machine")
    store = EmbeddedStore(args.dir / f"embedded-{args.incidents}", dimensions=DIMENSIONS)
    await store.open()
    try:
        if await store.get_meta(BUILT_KEY) != str(args.incidents):
            await build_map(store, args.incidents, WordVectorEmbedder())
        await add_changes_and_schedules(store, args.incidents)
        last = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(
            minutes=(args.incidents - 1) * 25 * 100_000 // args.incidents
        )
        now = last + timedelta(hours=1)
        owner = OWNER_VIEWER

        def service(i: int) -> str:
            return f"service-{(i * 7) % SERVICES}"

        print(f"embedded store, {args.incidents} incidents, {args.repeat} calls each (ms)")
        print("| route | p50 | p95 | max | CPU p50 |")
        print("|---|---:|---:|---:|---:|")
        await _time("GET /v1/services", args.repeat, lambda i: browse.list_services(store, owner, limit=50))
        await _time(
            "GET /v1/services?team=",
            args.repeat,
            lambda i: browse.list_services(
                store, owner, filters=browse.ServiceFilter(team=f"team{i % TEAMS}")
            ),
        )
        await _time(
            "GET /v1/services/{name}", args.repeat, lambda i: browse.get_service(store, owner, service(i))
        )
        await _time(
            "GET /v1/services/{name}/incidents",
            args.repeat,
            lambda i: browse.service_incidents(store, owner, service(i), limit=20),
        )
        await _time(
            "GET /v1/services/{name}/incidents?status=open",
            args.repeat,
            lambda i: browse.service_incidents(store, owner, service(i), status="open", limit=20),
        )
        await _time(
            "GET /v1/services/{name}/upstream?depth=3",
            args.repeat,
            lambda i: browse.dependencies(store, service(i), direction="upstream", depth=3),
        )
        await _time(
            "GET /v1/services/{name}/downstream?depth=3",
            args.repeat,
            lambda i: browse.dependencies(store, service(i), direction="downstream", depth=3),
        )
        await _time(
            "GET /v1/services/{name}/owners", args.repeat, lambda i: browse.service_owners(store, service(i))
        )
        await _time(
            "GET /v1/services/{name}/on-call",
            args.repeat,
            lambda i: browse.service_on_call(store, service(i)),
        )
        await _time(
            "GET /v1/services/{name}/hotspots",
            args.repeat,
            lambda i: browse.service_hotspots(store, owner, service(i), now=now),
        )
        await _time("GET /v1/hotspots", args.repeat, lambda i: browse.hotspots(store, owner, now=now))
        await _time("GET /v1/teams", args.repeat, lambda i: browse.list_teams(store, owner))
        await _time(
            "GET /v1/teams/{name}", args.repeat, lambda i: browse.get_team(store, owner, f"team{i % TEAMS}")
        )
        user = f"user-{0}-0"
        await _time(
            "GET /v1/users/{id}", args.repeat, lambda i: browse.get_user(store, owner, f"user-{i % TEAMS}-0")
        )
        await _time(
            "GET /v1/users/{id}/incidents", args.repeat, lambda i: browse.user_incidents(store, owner, user)
        )
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
