"""Owns the webhook machinery for a process's lifetime: the inbox, the receiver and the worker.

``start`` opens the inbox and starts the worker; a damaged inbox stops the start (no retry heals
it, and it holds acknowledged deliveries); an inbox that cannot be opened otherwise is tried again,
less and less often (``outage_pause``), and meanwhile the receiver answers 503 (so incident.io
keeps the deliveries and retries) while the rest of the API serves on. The log says so once as
the first attempt fails and once when the inbox opens, not at every attempt.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import DeliveryNotRetryable, NotFound, StoreCorrupt, StoreError, StoreUnavailable
from precedent.webhooks.priority import AckPriority
from precedent.webhooks.receiver import Receiver
from precedent.webhooks.worker import Worker, WorkerOptions, outage_pause

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.sources.incidentio.webhooks import WebhookVerifier
    from precedent.store import Delivery, Inbox
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
        receives: This process serves ``POST /v1/webhooks/incident-io`` (``precedent serve``);
            ``precedent worker`` serves no HTTP, so a missing signing secret is no concern of it.
        clock: The current time, shared by receiver and worker.
        priority: Lets acknowledgements go before the worker's steps; pass the one the processor
            pauses on (``DeliveryProcessor(pause=priority.turn)``), or a new one is made.
    """

    def __init__(
        self,
        inbox: Inbox,
        verifier: WebhookVerifier | None,
        processor: Processor,
        options: WorkerOptions | None = None,
        *,
        run_worker: bool = True,
        receives: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        priority: AckPriority | None = None,
    ) -> None:
        self.inbox = inbox
        self._options = options or WorkerOptions()
        self.priority = priority or AckPriority()
        self.worker = Worker(inbox, processor, options, clock=clock, priority=self.priority)
        self.receiver = Receiver(
            verifier, inbox, on_accepted=self.worker.wake, clock=clock, priority=self.priority
        )
        self.clock = clock
        self._verifier = verifier
        self._run_worker = run_worker
        self._receives = receives
        self._task: asyncio.Task[None] | None = None
        self._open = False

    def require_inbox(self) -> Inbox:
        """The inbox, once it is open.

        Raises:
            StoreUnavailable: while it could not be opened.
        """
        if not self._open:
            raise StoreUnavailable(
                "the webhook inbox is not available yet; see the server log and retry", for_clients=True
            )
        return self.inbox

    async def retry(self, delivery_id: str) -> Delivery:
        """Work on a final delivery again now, and wake the worker.

        Raises:
            NotFound: no delivery has that id.
            DeliveryNotRetryable: it was rejected: its body failed validation, so it could only
                fail again (nothing changes; a rejected delivery leaves that state only here).
            StoreUnavailable: while the inbox could not be opened.
        """
        inbox = self.require_inbox()
        found = await inbox.get(delivery_id)
        if found is not None and found.state == "rejected":
            raise DeliveryNotRetryable(delivery_id, found.error)
        retried = await inbox.retry(delivery_id, now=self.clock())
        if retried is None:
            raise NotFound("webhook delivery", delivery_id)
        self.worker.wake()
        return retried

    async def start(self) -> None:
        """Open the inbox and start the worker; if the inbox is down, keep trying in the background.

        Raises:
            StoreCorrupt: if the inbox's file is damaged: no retry heals it, and it holds acknowledged
                deliveries, so the process refuses to start (as for a damaged map) with what to do.
        """
        if not self._receives:
            log.info(
                "webhook worker: processing the incident.io deliveries waiting in the inbox; this "
                "process serves no HTTP (`precedent serve` receives the deliveries)"
            )
        elif self._verifier is None:
            log.warning(
                "incident.io webhooks are OFF: PRECEDENT_INCIDENTIO_WEBHOOK_SECRET is not set, so "
                "POST /v1/webhooks/incident-io answers 503"
            )
        try:
            await self.inbox.open()
        except StoreCorrupt:
            raise
        except StoreError as exc:
            log.error(
                "webhook inbox unavailable; deliveries get 503 until it opens (tried again every %g s "
                "at most, one line when it opens): %s",
                max(self._options.outage_pause_max, self._options.poll_interval),
                exc,
            )
            self._task = asyncio.create_task(self._open_later(), name="precedent-webhook-inbox")
        else:
            self._open = True
            self._start_worker()

    async def _open_later(self) -> None:
        failed_since = self.clock()
        attempts = 1
        while True:
            await asyncio.sleep(outage_pause(attempts, self._options))
            attempts += 1
            try:
                await self.inbox.open()
            except StoreError:
                continue
            break
        self._open = True
        log.warning(
            "webhook inbox open after %.0f s (attempt %d); deliveries are received again",
            (self.clock() - failed_since).total_seconds(),
            attempts,
        )
        if self._run_worker:
            await self.worker.run()

    def _start_worker(self) -> None:
        if self._run_worker:
            self._task = asyncio.create_task(self.worker.run(), name="precedent-webhook-worker")

    async def stop(self) -> None:
        """Stop the worker (a delivery in progress is handed back for the next worker) and close the inbox.

        Raises:
            asyncio.CancelledError: if this call was cancelled; it stops and closes first.
            Exception: what ended the worker, if it had failed before it was stopped.
        """
        task, self._task = self._task, None
        interrupted = False
        if task is not None:
            task.cancel()
            # ``wait`` rather than ``await task``: a cancellation of this call stays with it instead
            # of cutting the worker's wind-down short, and the worker's own CancelledError is not
            # mistaken for this call's.
            while not task.done():
                try:
                    await asyncio.wait([task])
                except asyncio.CancelledError:
                    interrupted = True
        self._open = False
        await self.inbox.close()
        if interrupted:
            raise asyncio.CancelledError
        if task is not None and not task.cancelled():
            task.result()  # a worker that had already failed says how
