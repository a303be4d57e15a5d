"""A 429 pauses the whole client: while incident.io asks one request to wait, no other is sent.

The fake answers every 7th request with 429 (``Retry-After: 1``, in seconds or as an HTTP-date).
Time runs fifty times faster than the wall clock for client and fake alike, so the pauses are
real waits on one shared clock without making the test slow.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.ingest.sync import Syncer, SyncOptions
from precedent.sources.incidentio import RetryPolicy
from precedent.store.embedded import EmbeddedStore
from tests.support.incidentio_export import write_fixtures_export
from tests.support.incidentio_server import SERVER_NOW, Arrival, FakeIncidentIo

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore

SPEED = 50.0


class FastTime:
    """A monotonic clock running ``SPEED`` times faster than the wall clock, and its sleep."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._start) * SPEED

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / SPEED)


def _inside_a_window(arrivals: list[Arrival]) -> list[tuple[Arrival, Arrival]]:
    """Requests that arrived while an earlier 429 had asked the key to wait."""
    windows = [a for a in arrivals if a.retry_after is not None]
    return [
        (window, arrival)
        for window in windows
        for arrival in arrivals
        if window.at < arrival.at < window.at + (window.retry_after or 0.0)
    ]


async def _graph(store: GraphStore) -> tuple[dict[str, tuple[str, str, str]], set[tuple[str, str, str]]]:
    nodes = {
        n.id: (n.label, str(sorted(n.properties.items())), n.text or "") async for n in store.scan_nodes()
    }
    edges = {(e.source, e.type, e.target) async for e in store.scan_edges()}
    return nodes, edges


async def test_a_429_holds_back_every_request_and_the_sync_still_matches_the_import(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    clock = FastTime()
    fake = FakeIncidentIo(clock=clock, now=lambda: SERVER_NOW + timedelta(seconds=clock()))
    fake.rate_limit_every(7)
    options = SyncOptions(now=lambda: SERVER_NOW, concurrency=8)
    async with fake.client(sleep=clock.sleep, clock=clock, retry=RetryPolicy(max_attempts=10)) as client:
        loader = Loader(embedded_store, HashEmbedder())
        await Syncer(client, embedded_store, loader, options).run()
        # The second sync is incremental: each incident's parts are read concurrently.
        second = await Syncer(client, embedded_store, loader, replace(options, full=False)).run()

    assert second.incremental
    limited = [a for a in fake.arrivals if a.retry_after is not None]
    assert len(limited) == len(fake.arrivals) // 7 > 5
    assert {a.retry_after for a in limited} == {1.0}
    assert _inside_a_window(fake.arrivals) == []

    imported = EmbeddedStore(tmp_path / "imported", dimensions=384)
    await imported.open()
    try:
        window = (SERVER_NOW, SERVER_NOW + options.schedule_window)
        export = write_fixtures_export(fake.fixtures, tmp_path / "export", schedule_window=window)
        await import_export(export, Loader(imported, HashEmbedder()))
        assert await _graph(embedded_store) == await _graph(imported)
    finally:
        await imported.close()
