"""The map's sync lease: one sync per map, whichever process starts it, and every process sees it.

Each "process" is a ``BackgroundSync`` with a board of its own; on Neo4j the second one also has
a connection of its own to the same database, as a second ``serve`` worker has.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.errors import SyncConflict
from precedent.ingest import BackgroundSync, SyncBoard, SyncReport
from precedent.ingest.sync_board import KEY, ResourceProgress, SyncRecord, SyncSummary
from precedent.store.neo4j import Neo4jStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from precedent.ingest import Progress
    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

LEASE = timedelta(seconds=2)  # renewed every 0.5 s: long enough for a loaded machine


@pytest.fixture
async def other_store(store: GraphStore, request: pytest.FixtureRequest) -> AsyncIterator[GraphStore]:
    """The same map as another process opens it: its own Neo4j connection (embedded: the same store)."""
    if not isinstance(store, Neo4jStore):
        yield store
        return
    neo4j: Neo4jServer = request.getfixturevalue("neo4j")
    other = Neo4jStore(neo4j.uri, auth=neo4j.auth, database="neo4j", dimensions=384)
    await other.open()
    yield other
    await other.close()


class _Held:
    """A sync that reports progress, then waits until released."""

    def __init__(self, calls: int) -> None:
        self.release = asyncio.Event()
        self.calls = calls

    async def __call__(self, progress: Progress) -> SyncReport:
        progress.start("incidents", 10)
        progress.advance("incidents", 4)
        await self.release.wait()
        progress.finish("incidents")
        return SyncReport(calls=self.calls)


async def _eventually(check: object, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not await check():  # type: ignore[operator]
        assert loop.time() < give_up, "the condition never held"
        await asyncio.sleep(0.05)


async def test_a_second_process_cannot_start_a_sync_and_sees_the_first_ones_progress_and_report(
    store: GraphStore, other_store: GraphStore
) -> None:
    first_run, second_run = _Held(calls=7), _Held(calls=9)
    first = BackgroundSync(first_run, board=SyncBoard(store, lease=LEASE))
    second = BackgroundSync(second_run, board=SyncBoard(other_store, lease=LEASE))
    started = await first.start()
    assert started.running
    assert started.started_at == SyncRecord.loads(await store.get_meta(KEY)).started_at  # one start time
    with pytest.raises(SyncConflict, match="already running on this map") as refused:
        await second.start()
    assert "pid" in str(refused.value)  # says which process holds it

    async def progress_published() -> bool:
        status = await second.status()
        return status.running and [(r.resource, r.done, r.total) for r in status.resources] == [
            ("incidents", 4, 10)
        ]

    await _eventually(progress_published)  # renewals publish the first process's progress

    first_run.release.set()
    await first.wait()
    seen = await second.status()
    assert not seen.running
    assert seen.last_report == SyncSummary(calls=7, created={}, updated={})
    assert seen.finished_at is not None
    assert seen.resources == (ResourceProgress("incidents", 4, 10, True),)

    assert (await second.start()).running  # once it has ended, any process may start the next
    with pytest.raises(SyncConflict):
        await first.start()
    second_run.release.set()
    await second.wait()
    assert (await first.status()).last_report == SyncSummary(calls=9)


async def test_a_process_that_died_holding_the_lease_is_taken_over_once_it_runs_out(
    store: GraphStore, other_store: GraphStore
) -> None:
    dead = SyncBoard(store, lease=LEASE)
    await dead.claim()  # and never renews: its process was killed
    survivor = BackgroundSync(_Held(calls=1), board=SyncBoard(other_store, lease=LEASE))
    with pytest.raises(SyncConflict, match="lease runs out at"):
        await survivor.start()
    await asyncio.sleep(LEASE.total_seconds() + 0.1)
    status = await survivor.status()
    assert not status.running
    assert status.last_error is not None
    assert "stopped before it finished" in status.last_error
    assert (await survivor.start()).running
    await survivor.stop()


async def test_a_run_whose_lease_was_taken_over_stops(store: GraphStore, other_store: GraphStore) -> None:
    slow = _Held(calls=1)
    first = BackgroundSync(slow, board=SyncBoard(store, lease=LEASE))
    await first.start()
    # Another process whose clock says the lease ran out long ago takes it over.
    later = SyncBoard(other_store, lease=LEASE, clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    claim = await later.claim()
    await asyncio.wait_for(first.wait(), timeout=15)  # its next renewal finds the lease gone, and it stops
    assert not slow.release.is_set()
    record = SyncRecord.loads(await store.get_meta(KEY))
    assert record.holder == later.name  # the run that took over keeps the record
    status = await first.status()  # the map's run now: the other process's
    assert (status.running, status.started_at) == (True, claim.record.started_at)


async def test_the_record_survives_a_round_trip_and_an_unreadable_one_is_empty() -> None:
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    record = SyncRecord(
        holder="host pid 1 (abc)",
        until=now + timedelta(seconds=60),
        started_at=now,
        resources=(ResourceProgress("incidents", 3, None, False),),
        warnings=("a warning",),
        last_report=SyncSummary(True, 4, 1, 2.5, {"incidents": 2}, {"incidents": 1}, ("w",)),
        last_error=None,
    )
    assert SyncRecord.loads(record.dumps()) == record
    assert SyncRecord.loads("{not json") == SyncRecord()
    assert SyncRecord.loads('{"resources": [{"bogus": 1}]}') == SyncRecord()
