"""The map's sync lease: one sync per map, whichever process starts it, and every process sees it.

Each "process" is a ``BackgroundSync`` with a board of its own; on Neo4j the second one also has
a connection of its own to the same database, as a second ``serve`` worker has.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreUnavailable, SyncConflict
from precedent.ingest import BackgroundSync, SyncBoard, SyncReport
from precedent.ingest.sync_board import KEY, ResourceProgress, SyncRecord, SyncSummary
from precedent.store.neo4j import Neo4jStore
from precedent.store.read_retry import read_retry_seconds, read_retry_window

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from precedent.ingest import Progress
    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

LEASE = timedelta(seconds=3)  # renewed every 0.75 s: a renewal slower than the lease stops the run


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
    assert SyncRecord.loads('{"resources": [{"bogus": 1}]}') == SyncRecord()


async def test_a_one_shot_claim_refuses_a_live_holder_at_once_and_takes_a_dead_ones_lease_after_one(
    store: GraphStore, other_store: GraphStore
) -> None:
    live_run = _Held(calls=1)
    live = BackgroundSync(live_run, board=SyncBoard(store, lease=LEASE))
    await live.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(SyncConflict, match="already running"):
        await SyncBoard(other_store, lease=LEASE).claim(wait=30)  # as `precedent sync` does
    assert loop.time() - began < 10  # it saw the record renewed: no need to wait the lease out
    live_run.release.set()
    await live.wait()

    dead = SyncBoard(store, lease=LEASE)
    await dead.claim()  # and never renews
    began = loop.time()
    claim = await SyncBoard(other_store, lease=LEASE).claim(wait=30)
    assert loop.time() - began >= LEASE.total_seconds()  # watched it unrenewed for a whole lease
    assert claim.record.holder != dead.name


class _CutOffWrites:
    """A store whose next ``replace_meta`` lands but then fails, as a cancelled or cut-off commit does."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.cut = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        written = await self._store.replace_meta(key, value, expected=expected)
        if self.cut:
            self.cut -= 1
            raise StoreUnavailable("the connection dropped before the commit was acknowledged")
        return written


async def test_a_renewal_that_landed_unseen_neither_loses_the_lease_nor_fails_the_run(
    store: GraphStore,
) -> None:
    flaky = _CutOffWrites(store)
    board = SyncBoard(flaky, lease=LEASE)  # type: ignore[arg-type]
    run = _Held(calls=3)
    sync = BackgroundSync(run, board=board)
    await sync.start()
    flaky.cut = 1  # the first renewal lands, but the process hears only an error

    async def renewed_after_the_cut() -> bool:
        return flaky.cut == 0 and (await board.read()).resources != ()

    await _eventually(renewed_after_the_cut)
    await asyncio.sleep(LEASE.total_seconds() / 2)  # another renewal, over the one that landed unseen
    run.release.set()
    await sync.wait()
    status = await sync.status()
    assert (status.running, status.last_error) == (False, None)
    assert status.last_report == SyncSummary(calls=3)
    assert (await board.read()).holder is None


async def test_a_record_from_a_newer_version_keeps_its_lease() -> None:
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    newer = (
        '{"holder": "host pid 9 (new)", "until": "2026-12-04T03:01:00+00:00", "started_at": '
        '"2026-12-04T02:59:00+00:00", "shard": 3, "resources": [{"resource": "incidents", "done": 2, '
        '"rate": 1.5}], "last_report": {"calls": 4, "incremental": true, "cost": 9}}'
    )
    record = SyncRecord.loads(newer)
    assert record.running(now)  # an older process must not take a live lease it cannot fully read
    assert record.resources == (ResourceProgress("incidents", 2),)
    assert record.last_report == SyncSummary(incremental=True, calls=4)
    assert SyncRecord.loads("{not json").holder is not None  # unreadable: not free


class _WindowSeen:
    """A store that notes the read retry window each meta read ran under."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.windows: list[float] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def get_meta(self, key: str) -> str | None:
        self.windows.append(read_retry_seconds(30.0))
        return await self._store.get_meta(key)


async def test_starting_claims_within_the_requests_retry_window(embedded_store: GraphStore) -> None:
    # With Neo4j down, POST /v1/admin/sync waited the store's 30 s window for its 503.
    seen = _WindowSeen(embedded_store)
    sync = BackgroundSync(_Held(calls=1), board=SyncBoard(seen, lease=LEASE))  # type: ignore[arg-type]
    with read_retry_window(0.5):  # as the API sets it around each request
        await sync.start()
    assert seen.windows[0] == 0.5
    await sync.stop()


async def test_a_live_run_on_a_host_whose_clock_is_behind_is_reported_running(
    embedded_store: GraphStore,
) -> None:
    # The holder's clock is a minute behind: within the tolerated skew, so its lease is not taken
    # over, and the status every other process gives must say the same (not that it died).
    behind = SyncBoard(embedded_store, lease=LEASE, clock=lambda: datetime.now(UTC) - timedelta(minutes=1))
    holder_run = _Held(calls=1)
    holder = BackgroundSync(holder_run, board=behind)
    await holder.start()
    other = BackgroundSync(_Held(calls=2), board=SyncBoard(embedded_store, lease=LEASE))
    with pytest.raises(SyncConflict, match="already running"):
        await other.start()
    status = await other.status()
    assert status.running
    assert status.last_error is None
    holder_run.release.set()
    await holder.wait()
    assert not (await other.status()).running


class _Wrapped:
    """A store passed through as it is, but for the methods a subclass changes."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


class _SlowAcks(_Wrapped):
    """A store whose ``replace_meta`` lands at once but is acknowledged only when ``ack`` is set
    (a commit whose answer is still on the network)."""

    def __init__(self, store: GraphStore) -> None:
        super().__init__(store)
        self.ack = asyncio.Event()
        self.landed = asyncio.Event()

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        written = await self._store.replace_meta(key, value, expected=expected)
        self.landed.set()
        await self.ack.wait()
        return written


async def test_two_starts_at_once_in_one_process_run_one_sync(embedded_store: GraphStore) -> None:
    slow = _SlowAcks(embedded_store)
    runs: list[_Held] = []

    async def run(progress: Progress) -> SyncReport:
        runs.append(_Held(calls=len(runs) + 1))
        return await runs[-1](progress)

    sync = BackgroundSync(run, board=SyncBoard(slow, lease=LEASE))  # type: ignore[arg-type]
    first = asyncio.create_task(sync.start())
    await slow.landed.wait()  # the first start's claim is in the map, its answer not yet back
    second = asyncio.create_task(sync.start())
    await asyncio.sleep(0.1)
    slow.ack.set()
    outcomes = await asyncio.gather(first, second, return_exceptions=True)
    assert [type(o).__name__ for o in outcomes] == ["SyncStatus", "SyncConflict"]
    await asyncio.sleep(0.1)
    assert len(runs) == 1  # one sync runs, not two side by side
    for held in runs:
        held.release.set()
    await sync.wait()
    assert (await sync.status()).last_error is None


class _HangingWrites(_Wrapped):
    """A store whose ``replace_meta`` stops answering once ``hang`` is set (a database gone quiet,
    its driver retrying)."""

    hang = False

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        if self.hang:
            await asyncio.Event().wait()
        return await self._store.replace_meta(key, value, expected=expected)


async def test_a_run_whose_renewal_hangs_stops_before_its_lease_runs_out(embedded_store: GraphStore) -> None:
    # Another process may take the lease over once it has gone a lease unrenewed: by then this
    # run must have stopped, even if the renewal it is waiting for never answers.
    quiet = _HangingWrites(embedded_store)
    run = _Held(calls=1)
    sync = BackgroundSync(run, board=SyncBoard(quiet, lease=LEASE))  # type: ignore[arg-type]
    await sync.start()
    quiet.hang = True
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(sync.wait(), timeout=4 * LEASE.total_seconds())
    assert loop.time() - began <= LEASE.total_seconds() + 0.2
    assert not run.release.is_set()
    status = await sync.status()
    assert not status.running
    assert status.last_error is not None
    assert "could not be renewed" in status.last_error


class _DownForWrites(_Wrapped):
    """A store whose ``replace_meta`` fails without writing while ``down`` is set."""

    down = False

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        if self.down:
            raise StoreUnavailable("Neo4j at neo4j://db:7687 is unreachable")
        return await self._store.replace_meta(key, value, expected=expected)


async def test_a_run_that_succeeded_but_could_not_record_its_end_is_reported_as_it_ended(
    embedded_store: GraphStore,
) -> None:
    flaky = _DownForWrites(embedded_store)
    run = _Held(calls=5)
    sync = BackgroundSync(run, board=SyncBoard(flaky, lease=LEASE))  # type: ignore[arg-type]
    await sync.start()
    flaky.down = True  # the store refuses writes just as the sync ends
    run.release.set()
    await sync.wait()
    flaky.down = False
    status = await sync.status()  # the map still names this run, unfinished: this process knows better
    assert (status.running, status.last_error) == (False, None)
    assert status.last_report == SyncSummary(calls=5)
