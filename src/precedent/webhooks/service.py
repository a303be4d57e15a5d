"""Owns the webhook machinery for a process's lifetime: the inbox, the receiver and the worker.

``start`` opens the inbox and starts the worker; an inbox that cannot be opened is logged and
leaves the receiver answering 503 (so incident.io keeps the deliveries and retries) while the rest
of the API serves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import StoreError
from precedent.webhooks.receiver import Receiver
from precedent.webhooks.worker import Worker, WorkerOptions

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.sources.incidentio.webhooks import WebhookVerifier
    from precedent.store import Inbox
    from precedent.webhooks.worker import Processor

__all__ = ["WebhookService"]

log = logging.getLogger("precedent.webhooks")


class WebhookService:
    """The inbox, its receiver and (optionally) an in-process worker.

    Args:
        inbox: Not yet opened; ``start`` opens it and ``stop`` closes it.
        verifier: ``None`` when no signing secret is configured.
        processor: What the worker does with each delivery.
        options: Worker pacing.
        run_worker: Start a worker in this process (``precedent serve``'s default).
        clock: The current time, shared by receiver and worker.
    """

    def __init__(
        self,
        inbox: Inbox,
        verifier: WebhookVerifier | None,
        processor: Processor,
        options: WorkerOptions | None = None,
        *,
        run_worker: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inbox = inbox
        self.worker = Worker(inbox, processor, options, clock=clock)
        self.receiver = Receiver(verifier, inbox, on_accepted=self.worker.wake, clock=clock)
        self.clock = clock
        self._verifier = verifier
        self._run_worker = run_worker
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the inbox and start the worker (logging, not raising, when the inbox is down)."""
        if self._verifier is None:
            log.warning(
                "incident.io webhooks are OFF: PRECEDENT_INCIDENTIO_WEBHOOK_SECRET is not set, so "
                "POST /v1/webhooks/incident-io answers 503"
            )
        try:
            await self.inbox.open()
        except StoreError as exc:
            log.error("webhook inbox unavailable; deliveries get 503 until it is fixed: %s", exc)
            return
        if self._run_worker:
            self._task = asyncio.create_task(self.worker.run(), name="precedent-webhook-worker")

    async def stop(self) -> None:
        """Stop the worker (a delivery in progress is redone by the next worker) and close the inbox."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.inbox.close()
