"""``BackgroundSync``: one run at a time, its progress visible while it runs, its end reported."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from precedent.errors import SyncConflict
from precedent.ingest import BackgroundSync, SyncReport, SyncSummary
from precedent.store.read_retry import read_retry_seconds, read_retry_window

if TYPE_CHECKING:
    from precedent.ingest import Progress


async def test_one_run_at_a_time_with_progress_then_its_report() -> None:
    release = asyncio.Event()
    report = SyncReport(calls=7)

    async def run(progress: Progress) -> SyncReport:
        progress.start("incidents", 10)
        progress.advance("incidents", 4)
        await release.wait()
        progress.finish("incidents")
        return report

    sync = BackgroundSync(run)
    first = await sync.start()
    assert first.running
    await asyncio.sleep(0)
    with pytest.raises(SyncConflict, match="already running"):
        await sync.start()
    during = await sync.status()
    assert [(r.resource, r.done, r.total, r.finished) for r in during.resources] == [
        ("incidents", 4, 10, False)
    ]
    release.set()
    await sync.wait()
    after = await sync.status()
    assert (after.running, after.last_report, after.last_error) == (False, SyncSummary.of(report), None)
    assert after.finished_at is not None
    assert after.resources[0].finished
    await sync.start()  # a finished run does not block the next
    await sync.wait()


async def test_a_failed_run_is_reported_and_the_last_good_report_kept() -> None:
    outcomes: list[BaseException | SyncReport] = [SyncReport(calls=1), RuntimeError("incident.io said 500")]

    async def run(progress: Progress) -> SyncReport:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    sync = BackgroundSync(run)
    await sync.start()
    await sync.wait()
    await sync.start()
    await sync.wait()
    status = await sync.status()
    assert status.last_error == "RuntimeError: incident.io said 500"
    assert status.last_report is not None
    assert status.last_report.calls == 1


async def test_without_a_way_to_run_it_says_what_to_do() -> None:
    sync = BackgroundSync(None, unavailable="set PRECEDENT_INCIDENTIO_API_KEY")
    with pytest.raises(SyncConflict, match="PRECEDENT_INCIDENTIO_API_KEY"):
        await sync.start()
    assert not (await sync.status()).running


async def test_stop_cancels_a_running_sync() -> None:
    async def run(progress: Progress) -> SyncReport:
        await asyncio.sleep(3600)
        return SyncReport()

    sync = BackgroundSync(run)
    await sync.start()
    await asyncio.sleep(0)
    await sync.stop()
    status = await sync.status()
    assert not status.running
    assert status.last_error is not None
    assert "stopped" in status.last_error


async def test_a_sync_started_by_a_request_keeps_the_stores_long_read_retry_window() -> None:
    windows: list[float] = []

    async def run(progress: Progress) -> SyncReport:
        windows.append(read_retry_seconds(30.0))
        return SyncReport()

    sync = BackgroundSync(run)
    with read_retry_window(0.5):  # as the API sets it around each request
        await sync.start()
    await sync.wait()
    assert windows == [30.0]
