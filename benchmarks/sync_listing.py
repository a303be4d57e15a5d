"""Benchmark what an incremental sync spends reading incident.io's whole incident list for the ids.

Usage: ``uv run python benchmarks/sync_listing.py [--incidents 10000] [--syncs 3]
[--whole-list-minutes 0]``

Serves ``--incidents`` incidents (the small organisation's three, then copies of them declared
over the year before) from the spec-validated fake incident.io the tests use
(``tests/support/incidentio_server.py``), fills a fresh embedded map with one full sync (hash
embeddings), then runs ``--syncs`` incremental syncs with nothing changed, all at one moment of
the sync's clock. For each it reports the calls to ``/v2/incidents`` (the incremental listing,
filtered by ``updated_at[gte]``, and the whole listing read for the ids, ``ingest.unlisted``,
which ``--whole-list-minutes`` above 0 leaves to the first), the bytes of the whole listing, the
sync's wall time, and how much of it the whole listing took inside the fake (building and
validating each page against the OpenAPI spec: incident.io's network and server time take its
place). It then reads the whole listing once more on its own, to split its time between the fake
and the client (paging, JSON), and times the map's public incidents (``held_public``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.incidentio_fixtures import T0, small_organisation, ulid
from tests.support.incidentio_server import SERVER_NOW, FakeIncidentIo

from precedent.embedding import HashEmbedder
from precedent.ingest import Loader
from precedent.ingest.mapping import DEFAULT_MODES
from precedent.ingest.sync import Syncer, SyncOptions
from precedent.ingest.unlisted import held_public
from precedent.sources.incidentio import ENDPOINTS, filter_params
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    import httpx
    from tests.support.incidentio_fixtures import IncidentIoFixtures

DIMENSIONS = 384


class TimedFake(FakeIncidentIo):
    """The fake, counting the seconds spent inside it and the bytes it answered, per kind of listing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, float] = {}
        self.bytes: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        began = time.perf_counter()
        response = super().__call__(request)
        kind = _kind(request)
        self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - began
        self.bytes[kind] = self.bytes.get(kind, 0) + len(response.content)
        self.calls[kind] = self.calls.get(kind, 0) + 1
        return response

    def reset(self) -> None:
        self.seconds.clear()
        self.bytes.clear()
        self.calls.clear()


def _kind(request: httpx.Request) -> str:
    if request.url.path != "/v2/incidents":
        return "other"
    return "incremental" if "updated_at[gte]" in request.url.params else "whole"


def organisation(incidents: int) -> IncidentIoFixtures:
    """The small organisation, with copies of its incidents up to ``incidents`` in all."""
    fixtures = small_organisation()
    templates = list(fixtures.incidents)
    for n in range(len(templates) + 1, incidents + 1):
        declared = T0 - timedelta(hours=n)  # older than every sync's overlap window
        stamp = declared.isoformat().replace("+00:00", "Z")
        fixtures.incidents.append(
            templates[n % len(templates)]
            | {"id": ulid("IN", n), "reference": f"INC-{n}", "created_at": stamp, "updated_at": stamp}
        )
    return fixtures


async def main(incidents: int, syncs: int, whole_list_minutes: float) -> None:
    fake = TimedFake(organisation(incidents))
    options = SyncOptions(now=lambda: SERVER_NOW, compare_every=timedelta(minutes=whole_list_minutes))
    with tempfile.TemporaryDirectory() as directory:
        store = EmbeddedStore(Path(directory) / "graph", dimensions=DIMENSIONS)
        await store.open()
        try:
            began = time.perf_counter()
            async with fake.client() as client:
                await Syncer(client, store, Loader(store, HashEmbedder()), options).run()
            print(f"full sync of {incidents} incidents: {time.perf_counter() - began:.1f} s")
            for n in range(1, syncs + 1):
                fake.reset()
                began = time.perf_counter()
                async with fake.client() as client:
                    report = await Syncer(client, store, Loader(store, HashEmbedder()), options).run()
                wall = time.perf_counter() - began
                whole = fake.calls.get("whole", 0)
                inside, other = fake.seconds.get("whole", 0.0), fake.seconds.get("other", 0.0)
                print(
                    f"incremental sync {n}: {wall:.2f} s wall, {report.calls} calls; /v2/incidents: "
                    f"{fake.calls.get('incremental', 0)} incremental, {whole} whole-listing "
                    f"({fake.bytes.get('whole', 0) / 1e6:.1f} MB, {inside:.2f} s inside the fake); "
                    f"everything else inside the fake: {other:.2f} s"
                )
            await _alone(fake, store)
        finally:
            await store.close()


async def _alone(fake: TimedFake, store: EmbeddedStore) -> None:
    """The whole listing read on its own, as the sync reads it, and the map's public incidents."""
    fake.reset()
    params = filter_params("mode", "one_of", sorted(DEFAULT_MODES))
    params.update({"sort_by": "created_at_oldest_first"})
    endpoint = ENDPOINTS["incidents"]
    began = time.perf_counter()
    async with fake.client() as client:
        ids = [
            str(i.get("id"))
            async for page in client.paginate(endpoint.path, params=params, page_size=250)
            for i in page.get(endpoint.key) or []
        ]
    wall = time.perf_counter() - began
    inside = fake.seconds.get("whole", 0.0)
    print(
        f"whole listing alone: {len(ids)} ids in {fake.calls.get('whole', 0)} calls, {wall:.2f} s "
        f"({inside:.2f} s inside the fake, {wall - inside:.2f} s on the client)"
    )
    began = time.perf_counter()
    held = await held_public(store, DEFAULT_MODES)
    print(f"held_public: {len(held)} ids in {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--syncs", type=int, default=3)
    parser.add_argument("--whole-list-minutes", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(main(args.incidents, args.syncs, args.whole_list_minutes))
