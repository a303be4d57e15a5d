"""``WebhookService.stop``: the worker ends and the inbox closes, even when the stopper is cancelled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreUnavailable
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
