"""``WebhookService.stop``: the worker ends and the inbox closes, even when the stopper is cancelled."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreCorrupt, StoreUnavailable
from precedent.store import NewDelivery
from precedent.store.embedded import SqliteInbox
from precedent.webhooks import WebhookService
from tests.webhooks.conftest import FAST
from tests.webhooks.payloads import CREATED

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import Delivery


class SlowToWindDown:
    """A processor that, cancelled mid-delivery, takes a moment to wind down (as a store write does)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.wound_down = False

    async def process(self, delivery: Delivery) -> str:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await self.release.wait()
            self.wound_down = True
            raise
        return "never"


async def test_a_cancelled_stop_still_stops_cleanly_then_says_it_was_cancelled(tmp_path: Path) -> None:
    # A stop that was itself cancelled (a timeout around it, say) swallowed its own cancellation,
    # so its caller carried on as if nothing had asked it to end; and the cancellation was passed
    # into the worker while it wound down, cutting that short.
    processor = SlowToWindDown()
    inbox = SqliteInbox(tmp_path / "webhooks.sqlite")
    service = WebhookService(inbox, None, processor, FAST, receives=False)
    await service.start()
    await inbox.record(NewDelivery("msg_1", CREATED, "{}", datetime.now(UTC)))
    service.worker.wake()
    await processor.started.wait()

    stopping = asyncio.create_task(service.stop())
    await asyncio.sleep(0)  # stop has cancelled the worker and waits for it
    stopping.cancel()
    await asyncio.sleep(0)
    processor.release.set()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert processor.wound_down
    with pytest.raises(StoreUnavailable):
        service.require_inbox()


class Counts:
    """A processor that records each delivery it finishes."""

    def __init__(self) -> None:
        self.done: list[str] = []

    async def process(self, delivery: Delivery) -> str:
        self.done.append(delivery.id)
        return "done"


async def _stopped_mid_delivery(tmp_path: Path) -> Path:
    """An inbox whose worker was stopped while working on its one delivery, ``msg_1``; its path."""
    path = tmp_path / "webhooks.sqlite"
    first = SlowToWindDown()
    first.release.set()
    service = WebhookService(SqliteInbox(path), None, first, FAST, receives=False)
    await service.start()
    await service.require_inbox().record(NewDelivery("msg_1", CREATED, "{}", datetime.now(UTC)))
    service.worker.wake()
    await first.started.wait()
    await service.stop()
    return path


async def test_a_delivery_in_progress_at_a_stop_is_taken_again_at_once_by_the_next_worker(
    tmp_path: Path,
) -> None:
    # A stopped serve left the delivery it was working on leased: after a restart it waited out
    # the whole lease (a minute by default) before anyone took it again.
    path = await _stopped_mid_delivery(tmp_path)

    inbox = SqliteInbox(path)
    await inbox.open()
    try:
        handed_back = await inbox.get("msg_1")
        assert handed_back is not None
        assert handed_back.state == "pending"
        assert handed_back.attempts == 1  # the interrupted attempt still counts
        assert "stopped" in (handed_back.error or "")
        # Well within the lease the first worker held (FAST keeps the default minute).
        assert FAST.lease.total_seconds() >= 60
        claimed = await inbox.claim("next", now=datetime.now(UTC), lease=FAST.lease)
        assert [delivery.id for delivery in claimed] == ["msg_1"]
    finally:
        await inbox.close()


async def test_the_next_serve_finishes_a_delivery_a_stop_interrupted(tmp_path: Path) -> None:
    path = await _stopped_mid_delivery(tmp_path)

    second = Counts()
    again = WebhookService(SqliteInbox(path), None, second, FAST, receives=False)
    await again.start()  # its worker starts on the inbox at once
    try:
        # Far less than the minute's lease the stopped worker held.
        async with asyncio.timeout(20):
            while not second.done:
                await asyncio.sleep(0.01)
    finally:
        await again.stop()
    assert second.done == ["msg_1"]


class OpensAtTheFourthTry(SqliteInbox):
    """An inbox whose store is down for its first three opens (Neo4j still starting, say)."""

    opens = 0

    async def open(self) -> None:
        self.opens += 1
        if self.opens < 4:
            raise StoreUnavailable("Neo4j at bolt://db:7687 is unreachable. Check the server is running")
        await super().open()


async def test_an_inbox_that_opens_late_is_logged_as_it_fails_and_as_it_opens_not_each_try(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # It logged an ERROR every 5 seconds for as long as the inbox's store was down.
    inbox = OpensAtTheFourthTry(tmp_path / "webhooks.sqlite")
    options = replace(FAST, poll_interval=0.001, outage_pause_max=0.004)
    service = WebhookService(inbox, None, SlowToWindDown(), options, receives=False)
    with caplog.at_level("INFO", logger="precedent.webhooks"):
        await service.start()
        while True:
            try:
                service.require_inbox()
            except StoreUnavailable:  # not open yet
                await asyncio.sleep(0.01)
            else:
                break
        await service.stop()
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert [level for level, _ in said] == ["ERROR", "WARNING"]
    assert said[0][1].startswith(
        "webhook inbox unavailable; deliveries get 503 until it opens (tried again every 0.004 s at "
        "most, one line when it opens): Neo4j at bolt://db:7687 is unreachable"
    )
    assert said[1][1].startswith("webhook inbox open after ")
    assert said[1][1].endswith("(attempt 4); deliveries are received again")


async def test_a_damaged_inbox_stops_the_start_instead_of_being_tried_again_for_ever(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # It was logged as an outage and opened again every 30 s, which cannot heal a damaged file,
    # while the process served on as if it would.
    path = tmp_path / "webhooks.sqlite"
    path.write_bytes(b"not a database" * 1000)
    service = WebhookService(SqliteInbox(path), None, SlowToWindDown(), FAST, receives=False)
    with caplog.at_level("INFO", logger="precedent.webhooks"), pytest.raises(StoreCorrupt, match="damaged"):
        await service.start()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    await service.stop()  # nothing runs in the background
