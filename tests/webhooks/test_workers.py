"""Workers sharing one inbox: never the same delivery twice; a dead worker's lease passes on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreUnavailable, StoreWriteFailed
from precedent.metrics import REGISTRY
from precedent.store import NewDelivery
from precedent.store.embedded import SqliteInbox
from precedent.store.neo4j import Neo4jInbox
from precedent.webhooks import Worker, WorkerOptions
from precedent.webhooks.worker import outage_pause, report_backlog

if TYPE_CHECKING:
    from logging import LogRecord

    from precedent.store import Delivery, Inbox
    from tests.support.neo4j_server import Neo4jServer
    from tests.webhooks.conftest import Backend

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
OPTIONS = WorkerOptions(lease=timedelta(seconds=30), backoff=(0.0,), max_attempts=3)


class CountingProcessor:
    """Counts how often each delivery is processed; yields to let other workers interleave."""

    def __init__(self, counts: Counter[str], *, crash_on: str | None = None) -> None:
        self.counts = counts
        self.crash_on = crash_on

    async def process(self, delivery: Delivery) -> str:
        self.counts[delivery.id] += 1
        await asyncio.sleep(0)
        if delivery.id == self.crash_on:
            raise asyncio.CancelledError  # the worker dies mid-delivery, its lease stays held
        return "counted"


async def fill(inbox: Inbox, count: int) -> list[str]:
    ids = [f"msg_{n:03}" for n in range(count)]
    for n, delivery_id in enumerate(ids):
        await inbox.record(NewDelivery(delivery_id, "x", "{}", T0 + timedelta(milliseconds=n)))
    return ids


@pytest.mark.neo4j
async def test_two_workers_on_one_neo4j_never_process_a_delivery_twice(
    neo4j_backend: Backend, neo4j: Neo4jServer
) -> None:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    inboxes = [Neo4jInbox(neo4j.uri, auth=auth, database="neo4j") for _ in range(2)]
    for inbox in inboxes:
        await inbox.open()
    try:
        ids = await fill(inboxes[0], 40)
        counts: Counter[str] = Counter()
        workers = [
            Worker(
                inbox,
                CountingProcessor(counts),
                OPTIONS,
                name=f"w{n}",
                clock=lambda: T0 + timedelta(seconds=1),
            )
            for n, inbox in enumerate(inboxes)
        ]
        done = await asyncio.gather(*(w.drain() for w in workers))
        assert sum(done) == 40
        assert all(d > 0 for d in done), done  # both really took part
        assert counts == Counter(dict.fromkeys(ids, 1))
        states = {d.id: (d.state, d.outcome) for d in await inboxes[1].recent(100)}
        assert set(states.values()) == {("done", "counted")}
    finally:
        for inbox in inboxes:
            await inbox.close()


async def test_a_dead_workers_delivery_is_redone_after_its_lease(backend: Backend) -> None:
    inbox = backend.inbox()
    await inbox.open()
    try:
        await fill(inbox, 1)
        counts: Counter[str] = Counter()
        dying = Worker(
            inbox, CountingProcessor(counts, crash_on="msg_000"), OPTIONS, name="dying", clock=lambda: T0
        )
        with pytest.raises(asyncio.CancelledError):
            await dying.drain()
        later = T0 + OPTIONS.lease
        survivor = Worker(inbox, CountingProcessor(counts), OPTIONS, name="survivor", clock=lambda: T0)
        assert await survivor.drain() == 0  # the lease still holds
        survivor = Worker(inbox, CountingProcessor(counts), OPTIONS, name="survivor", clock=lambda: later)
        assert await survivor.drain() == 1
        found = await inbox.get("msg_000")
        assert found is not None
        assert (found.state, found.attempts, found.lease_owner) == ("done", 2, "survivor")
    finally:
        await inbox.close()


async def test_a_delivery_that_keeps_killing_workers_is_parked_dead(backend: Backend) -> None:
    inbox = backend.inbox()
    await inbox.open()
    try:
        await fill(inbox, 1)
        counts: Counter[str] = Counter()
        for attempt in range(OPTIONS.max_attempts):
            now = T0 + attempt * OPTIONS.lease
            worker = Worker(
                inbox, CountingProcessor(counts, crash_on="msg_000"), OPTIONS, clock=lambda now=now: now
            )
            with pytest.raises(asyncio.CancelledError):
                await worker.drain()
        last = T0 + OPTIONS.max_attempts * OPTIONS.lease
        final = Worker(inbox, CountingProcessor(counts), OPTIONS, clock=lambda: last)
        assert await final.drain() == 1
        found = await inbox.get("msg_000")
        assert found is not None
        assert found.state == "dead"
        assert "gave up after 3 attempts" in (found.error or "")
        assert counts["msg_000"] == OPTIONS.max_attempts
    finally:
        await inbox.close()


class HangsOn:
    """Never returns from one delivery (a call that never answers); does the others at once."""

    def __init__(self, stuck: str) -> None:
        self.stuck = stuck

    async def process(self, delivery: Delivery) -> str:
        if delivery.id == self.stuck:
            await asyncio.Event().wait()
        return "done"


async def test_a_delivery_whose_attempts_never_return_does_not_hold_up_the_ones_after_it(
    backend: Backend,
) -> None:
    inbox = backend.inbox()
    await inbox.open()
    try:
        await fill(inbox, 2)
        options = replace(OPTIONS, attempt_timeout=0.05)
        now = T0 + timedelta(seconds=1)  # both received
        worker = Worker(inbox, HangsOn("msg_000"), options, clock=lambda: now)
        # Bounded only so that a worker stuck for good fails the test instead of hanging the run.
        await asyncio.wait_for(worker.drain(), 120)
        stuck, after = await inbox.get("msg_000"), await inbox.get("msg_001")
        assert after is not None
        assert after.state == "done"
        assert stuck is not None
        assert stuck.state == "dead"
        assert "cut short after 0.05 s" in (stuck.error or "")
    finally:
        await inbox.close()


class MappingFails:
    async def process(self, delivery: Delivery) -> str:
        from precedent.errors import MappingError

        raise MappingError(delivery.id, "required field 'name' is missing")


async def test_a_delivery_that_cannot_be_mapped_is_parked_at_once(embedded_backend: Backend) -> None:
    inbox = embedded_backend.inbox()
    await inbox.open()
    try:
        await fill(inbox, 1)
        assert await Worker(inbox, MappingFails(), OPTIONS, clock=lambda: T0).drain() == 1
        found = await inbox.get("msg_000")
        assert found is not None
        assert (found.state, found.attempts) == ("dead", 1)
        assert "required field 'name'" in (found.error or "")
    finally:
        await inbox.close()


async def test_the_worker_reports_the_inbox_backlog_in_the_metrics(embedded_backend: Backend) -> None:
    # Read through its own reporter: the process's gauges are written by every worker in it, and
    # another test's worker still winding down once overwrote a reading here.
    readings: list[tuple[int, float]] = []
    inbox = embedded_backend.inbox()
    await inbox.open()
    now = [T0 + timedelta(seconds=90)]
    try:
        await fill(inbox, 3)
        worker = Worker(
            inbox,
            CountingProcessor(Counter()),
            OPTIONS,
            clock=lambda: now[0],
            report=lambda *r: readings.append(r),
        )
        assert await worker.run_once()  # measured before its first claim: all three waited
        assert readings == [(3, pytest.approx(90))]
        await worker.run_once()  # within measure_every: no new reading
        assert len(readings) == 1
        now[0] += timedelta(seconds=OPTIONS.measure_every)
        await worker.drain()
        assert readings[-1][0] == 1  # read before the last claim
        now[0] += timedelta(seconds=OPTIONS.measure_every)
        await worker.drain()  # idle: one look, which reads the empty inbox
        assert readings[-1] == (0, 0)
    finally:
        await inbox.close()


class CountingPrunes(SqliteInbox):
    """Counts the prunes asked of it."""

    prunes = 0

    async def prune(self, *, finished_before: datetime) -> int:
        self.prunes += 1
        return await super().prune(finished_before=finished_before)


async def test_the_worker_deletes_old_finished_deliveries_now_and_then(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = CountingPrunes(tmp_path / "webhooks.sqlite")
    await inbox.open()
    now = [T0 + timedelta(minutes=1)]
    options = replace(OPTIONS, retention=timedelta(days=30), prune_every=3600.0)
    worker = Worker(
        inbox, CountingProcessor(Counter()), options, clock=lambda: now[0], report=lambda *r: None
    )
    pruned_before = REGISTRY.get_sample_value("precedent_inbox_pruned_total") or 0.0
    try:
        await fill(inbox, 2)
        assert await worker.drain() == 2
        await inbox.record(NewDelivery("msg_new", "x", "{}", T0 + timedelta(days=31)))
        now[0] = T0 + timedelta(days=31)
        with caplog.at_level(logging.INFO, logger="precedent.webhooks"):
            assert await worker.drain() == 1  # the next look, an hour after the last prune, prunes
        assert await inbox.get("msg_000") is None
        assert await inbox.get("msg_001") is None
        assert await inbox.get("msg_new") is not None  # finished just now
        assert REGISTRY.get_sample_value("precedent_inbox_pruned_total") == pruned_before + 2
        assert any("deleted 2 deliveries that finished before" in r.getMessage() for r in caplog.records)
        prunes = inbox.prunes
        now[0] += timedelta(minutes=59)
        await worker.drain()
        assert inbox.prunes == prunes  # not on every poll
        now[0] += timedelta(minutes=1)
        await worker.drain()
        assert inbox.prunes == prunes + 1
    finally:
        await inbox.close()


def test_a_backlog_reading_is_what_the_metrics_serve() -> None:
    report_backlog(7, 12.5)
    assert REGISTRY.get_sample_value("precedent_inbox_depth") == 7
    assert REGISTRY.get_sample_value("precedent_inbox_oldest_age_seconds") == 12.5


class DownForALittle(SqliteInbox):
    """An inbox whose store is down for its first ``looks`` claims, then back."""

    def __init__(self, path: Path, looks: int) -> None:
        super().__init__(path)
        self.looks = looks
        self.claims = 0

    async def claim(self, owner: str, *, now: datetime, lease: timedelta, limit: int = 1) -> list[Delivery]:
        self.claims += 1
        if self.claims <= self.looks:
            raise StoreUnavailable("Neo4j at neo4j://db:7687 is unreachable. Check the server is running")
        return await super().claim(owner, now=now, lease=lease, limit=limit)


async def test_an_inbox_outage_is_logged_once_as_it_starts_and_once_as_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = DownForALittle(tmp_path / "inbox.sqlite", looks=6)
    await inbox.open()
    await fill(inbox, 1)
    counts: Counter[str] = Counter()
    now = [T0]

    def clock() -> datetime:  # time passes with every reading of the clock
        now[0] += timedelta(seconds=10)
        return now[0]

    options = replace(OPTIONS, poll_interval=0.001, outage_pause_max=0.004)
    worker = Worker(inbox, CountingProcessor(counts), options, clock=clock, report=lambda *r: None)
    with caplog.at_level("INFO", logger="precedent.webhooks"):
        running = asyncio.create_task(worker.run())
        # Until the line saying it answers again, logged once the drain that worked the waiting
        # delivery returns: the count moves mid-drain (then the delivery is completed and the
        # inbox looked at again), and a cancel there left the line unsaid.
        while not any(r.levelno == logging.WARNING for r in caplog.records):
            await asyncio.sleep(0.01)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    await inbox.close()
    assert inbox.claims >= 7
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in lines] == ["ERROR", "WARNING"]
    down, back = (r.getMessage() for r in lines)
    assert "the inbox failed (Neo4j at neo4j://db:7687 is unreachable. Check the server is running)" in down
    assert "Looking again every 0.004 s at most" in down
    assert lines[0].exc_info is None
    # 6 failed looks: the clock read as the first failed and again at the look that worked.
    assert "the inbox answers again after" in back
    assert "6 looks at it failed meanwhile" in back
    assert counts == Counter({"msg_000": 1})


def test_looks_at_a_failing_inbox_back_off_doubling_up_to_a_cap() -> None:
    options = replace(OPTIONS, poll_interval=1.0, outage_pause_max=30.0)
    assert [outage_pause(n, options) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert outage_pause(10_000, options) == 30.0  # no overflow however long the outage
    slow = replace(OPTIONS, poll_interval=60.0, outage_pause_max=30.0)
    assert outage_pause(1, slow) == 60.0  # never looks more often than when all is well


async def test_an_unexpected_inbox_failure_keeps_its_traceback_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(DownForALittle):
        async def claim(
            self, owner: str, *, now: datetime, lease: timedelta, limit: int = 1
        ) -> list[Delivery]:
            self.claims += 1
            raise KeyError("lease_owner")

    inbox = Broken(tmp_path / "inbox.sqlite", looks=0)
    await inbox.open()
    options = replace(OPTIONS, poll_interval=0.001, outage_pause_max=0.002)
    worker = Worker(inbox, CountingProcessor(Counter()), options, report=lambda *r: None)
    with caplog.at_level("INFO", logger="precedent.webhooks"):
        running = asyncio.create_task(worker.run())
        while inbox.claims < 5:
            await asyncio.sleep(0.01)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    await inbox.close()
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.exc_info is not None
    assert line.exc_info[0] is KeyError


class FailingProcessor:
    """Fails every delivery with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def process(self, delivery: Delivery) -> str:
        raise self.error


async def one_failed_attempt(tmp_path: Path, caplog: pytest.LogCaptureFixture, error: Exception) -> LogRecord:
    """The one log record of one delivery's first attempt, failed with ``error`` (retried after 30 s)."""
    inbox = SqliteInbox(tmp_path / "inbox.sqlite")
    await inbox.open()
    await fill(inbox, 1)
    options = replace(OPTIONS, backoff=(30.0,))
    worker = Worker(inbox, FailingProcessor(error), options, name="w", clock=lambda: T0)
    with caplog.at_level("WARNING", logger="precedent.webhooks"):
        await worker.run_once()
    await inbox.close()
    [line] = caplog.records
    return line


async def test_an_attempt_failed_by_a_store_outage_logs_one_structured_line_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outage = StoreUnavailable("Neo4j at bolt://db:7687 is unreachable. Check the server is running")
    line = await one_failed_attempt(tmp_path, caplog, outage)
    assert line.exc_info is None
    assert line.fields == {  # type: ignore[attr-defined]
        "delivery_id": "msg_000",
        "attempt": 1,
        "error_class": "StoreUnavailable",
        "error": str(outage),
        "next_retry": (T0 + timedelta(seconds=30)).isoformat(),
    }
    assert "attempt 1 failed (StoreUnavailable: Neo4j at bolt://db:7687 is unreachable" in line.getMessage()


async def test_an_attempt_failed_by_a_full_disk_logs_one_line_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Each attempt on a full data disk logged the write-ahead log's traceback under a message
    # that already said what to do (seen on a full tmpfs).
    full = StoreWriteFailed(tmp_path / "graph" / "wal", OSError(28, "No space left on device"))
    line = await one_failed_attempt(tmp_path, caplog, full)
    assert line.exc_info is None
    assert "attempt 1 failed (StoreWriteFailed: cannot write to " in line.getMessage()
    assert "free disk space on the server" in line.getMessage()


class FailsWhileTheStoreIsDown:
    """Fails each delivery with ``error`` while ``down``; then does it."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.down = True

    async def process(self, delivery: Delivery) -> str:
        if self.down:
            raise self.error
        return "done"


@pytest.mark.parametrize(
    "error",
    [
        StoreWriteFailed(Path("graph/wal"), OSError(28, "No space left on device")),
        StoreUnavailable("Neo4j at bolt://db:7687 is unreachable. Check the server is running"),
    ],
    ids=["disk full", "unreachable"],
)
async def test_attempts_a_store_outage_fails_are_not_counted_so_it_parks_nothing_as_dead(
    tmp_path: Path, error: Exception
) -> None:
    # Each attempt failed by the store counted: an outage longer than the back-off (about 13
    # minutes by default) parked every delivery in it as dead, to be retried by hand.
    inbox = SqliteInbox(tmp_path / "inbox.sqlite")
    await inbox.open()
    await fill(inbox, 1)
    now = [T0]
    processor = FailsWhileTheStoreIsDown(error)
    options = replace(OPTIONS, backoff=(5.0, 30.0, 120.0))
    worker = Worker(inbox, processor, options, name="w", clock=lambda: now[0])
    delays = []
    for _ in range(3 * options.max_attempts):
        assert await worker.run_once()
        waiting = await inbox.get("msg_000")
        assert waiting is not None
        assert waiting.available_at is not None
        assert (waiting.state, waiting.attempts) == ("pending", 0)
        delays.append((waiting.available_at - now[0]).total_seconds())
        now[0] = waiting.available_at
    assert delays[:4] == [5.0, 30.0, 120.0, 120.0]  # paced by the outage's length
    processor.down = False
    assert await worker.drain() == 1
    done = await inbox.get("msg_000")
    assert done is not None
    assert (done.state, done.attempts) == ("done", 1)
    await inbox.close()


async def test_an_attempt_failed_by_an_unexpected_error_keeps_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    line = await one_failed_attempt(tmp_path, caplog, KeyError("title"))
    assert line.exc_info is not None
    assert line.exc_info[0] is KeyError
    assert line.fields["error_class"] == "KeyError"  # type: ignore[attr-defined]


class BlipOnFirstRenewal(SqliteInbox):
    """An inbox whose first lease renewal fails, as a store blip does; later ones go through."""

    blips = 1

    async def renew(self, delivery_id: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
        if self.blips:
            self.blips -= 1
            raise StoreUnavailable("the webhook inbox failed while renewing a lease in it: disk I/O error")
        return await super().renew(delivery_id, owner, now=now, lease=lease)


class SlowProcessor:
    """Takes several leases' time over each delivery, counting them."""

    def __init__(self, counts: Counter[str], seconds: float) -> None:
        self.counts = counts
        self.seconds = seconds

    async def process(self, delivery: Delivery) -> str:
        self.counts[delivery.id] += 1
        await asyncio.sleep(self.seconds)
        return "slow"


async def test_a_renewal_that_fails_once_keeps_renewing_so_no_other_worker_redoes_the_delivery(
    tmp_path: Path,
) -> None:
    lease = timedelta(seconds=0.6)
    options = WorkerOptions(lease=lease, backoff=(0.0,), max_attempts=3)
    blipping, other = BlipOnFirstRenewal(tmp_path / "inbox.sqlite"), SqliteInbox(tmp_path / "inbox.sqlite")
    await blipping.open()
    await other.open()
    try:
        await done_once_by_the_renewing_worker(blipping, other, options)
    finally:
        await blipping.close()
        await other.close()


async def done_once_by_the_renewing_worker(
    renewing: SqliteInbox, other: SqliteInbox, options: WorkerOptions
) -> None:
    """Worker "a" on ``renewing`` holds a slow delivery past three leases; "b" on ``other`` never gets it."""
    await fill(renewing, 1)
    counts: Counter[str] = Counter()
    working = asyncio.create_task(Worker(renewing, SlowProcessor(counts, 3.0), options, name="a").drain())
    try:
        await asyncio.sleep(2.0)  # over three leases after the claim: only renewals keep it
        assert await Worker(other, SlowProcessor(counts, 0.0), options, name="b").drain() == 0
        assert await working == 1
    finally:
        # A failed check must not leave "a" working on the session's loop into later tests.
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
    assert counts == Counter({"msg_000": 1})
    found = await other.get("msg_000")
    assert found is not None
    assert (found.state, found.lease_owner, found.attempts) == ("done", "a", 1)


class HangingRenewal(SqliteInbox):
    """An inbox whose first ``hangs`` lease renewals never answer (a stalled store); later ones go through."""

    def __init__(self, path: Path, *, hangs: int) -> None:
        super().__init__(path)
        self.hangs = hangs
        self.stalled = asyncio.Event()  # never set

    async def renew(self, delivery_id: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
        if self.hangs:
            self.hangs -= 1
            await self.stalled.wait()
        return await super().renew(delivery_id, owner, now=now, lease=lease)


async def test_a_renewal_that_hangs_is_cut_and_tried_again_so_no_other_worker_redoes_the_delivery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lease = timedelta(seconds=0.6)
    options = WorkerOptions(lease=lease, backoff=(0.0,), max_attempts=3)
    hanging = HangingRenewal(tmp_path / "inbox.sqlite", hangs=1)
    other = SqliteInbox(tmp_path / "inbox.sqlite")
    await hanging.open()
    await other.open()
    try:
        with caplog.at_level("WARNING", logger="precedent.webhooks"):
            await done_once_by_the_renewing_worker(hanging, other, options)
        assert any("lease renewal did not answer in time" in r.getMessage() for r in caplog.records)
    finally:
        await hanging.close()
        await other.close()


async def test_a_lease_that_runs_out_because_renewals_hang_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = WorkerOptions(lease=timedelta(seconds=0.6), backoff=(0.0,), max_attempts=3)
    inbox = HangingRenewal(tmp_path / "inbox.sqlite", hangs=1000)
    await inbox.open()
    try:
        await fill(inbox, 1)
        with caplog.at_level("WARNING", logger="precedent.webhooks"):
            assert await Worker(inbox, SlowProcessor(Counter(), 1.5), options, name="a").drain() == 1
        ran_out = [r for r in caplog.records if "lease ran out before it could be renewed" in r.getMessage()]
        assert len(ran_out) == 1  # once, not at every turn
        assert ran_out[0].levelname == "ERROR"
        assert "msg_000" in ran_out[0].getMessage()
    finally:
        await inbox.close()
