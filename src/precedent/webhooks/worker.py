"""Works through the inbox: claim a delivery under a lease, process it, record the outcome.

Runs inside ``precedent serve`` (woken as soon as a delivery is acknowledged) and as
``precedent worker``. Several workers can share one inbox: each delivery is leased to one of
them; a lease is renewed while the work goes on, and if the worker dies the lease runs out and
another worker redoes the delivery; a worker that is stopped mid-delivery hands it back for the
next worker to take at once. A delivery that fails is retried with back-off, and parked as
``dead`` with its error after ``max_attempts`` (a lease that ran out counts as an attempt, so a
delivery that kills its worker cannot loop forever). With a ``retention``, it also deletes
finished deliveries older than that, every ``prune_every`` seconds (not on every poll).

In ``precedent serve`` the worker shares its event loop with the receiver, and acknowledgements
come first: before claiming, processing and completing a delivery it waits for its turn
(``AckPriority``), and the processor does the same between its own steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from precedent.errors import MappingError, StoreError, StoreUnavailable, StoreWriteFailed, WebhookRejected
from precedent.metrics import INBOX_DEPTH, INBOX_OLDEST_AGE, INBOX_PRUNED

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.store import Delivery, Inbox
    from precedent.webhooks.priority import AckPriority

__all__ = ["Processor", "Worker", "WorkerOptions", "outage_pause", "report_backlog", "worker_name"]

log = logging.getLogger("precedent.webhooks")

# Failures that another attempt cannot fix: the delivery is parked at once.
_PERMANENT = (MappingError, WebhookRejected)

# Failures that are a state of the service (the store is down, its disk full), not a bug: their
# message says what to do, and a traceback per attempt through an outage would bury it.
_OUTAGES = (StoreUnavailable, StoreWriteFailed)

# How long a stopping worker waits for the inbox to take back the delivery it was working on.
_GIVE_BACK_SECONDS = 5.0


class Processor(Protocol):
    """Does the work of one delivery (``DeliveryProcessor``; tests pass their own)."""

    async def process(self, delivery: Delivery) -> str:
        """Return a line saying what was done; raise to have the delivery retried."""


def worker_name() -> str:
    """A name unique to this worker: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker paces itself.

    Attributes:
        lease: How long a claim lasts without renewal.
        max_attempts: Attempts before a delivery is parked as dead.
        backoff: Seconds before attempt 2, 3, …; the last value repeats.
        poll_interval: Seconds between looks at an empty inbox (a wake-up cuts it short).
        measure_every: Seconds between readings of the inbox's backlog for the metrics
            (``precedent_inbox_depth``, ``precedent_inbox_oldest_age_seconds``).
        attempt_timeout: Seconds one attempt may take before it is cut short and counted as a
            failure: its lease is renewed while it runs, and deliveries are worked one at a
            time, so an attempt stuck in a call that never returns would hold up every delivery
            after it. Far longer than any build.
        retention: How long a finished delivery (done, dead, rejected, ignored) is kept, from when
            it finished; ``None`` keeps every one. Its id is what makes a repeat a duplicate, so
            this must outlast incident.io's retries (the setting refuses less; see ``config``).
        prune_every: Seconds between deletions of deliveries past ``retention``.
        outage_pause_max: The longest pause between looks at an inbox that keeps failing: the
            pause doubles from ``poll_interval`` after each failed look, up to this
            (``outage_pause``); a delivery acknowledged meanwhile cuts it short.
    """

    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    backoff: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    poll_interval: float = 1.0
    measure_every: float = 5.0
    attempt_timeout: float = 600.0
    retention: timedelta | None = None
    prune_every: float = 3600.0
    outage_pause_max: float = 30.0


def outage_pause(failed_looks: int, options: WorkerOptions) -> float:
    """Seconds to wait after the ``failed_looks``-th failed look in a row at the inbox (from 1).

    ``poll_interval`` doubled after each failure, capped at ``outage_pause_max``: an inbox down for
    an hour is looked at every half minute, not every second.
    """
    doubled = options.poll_interval * 2.0 ** min(failed_looks - 1, 62)
    return min(doubled, max(options.outage_pause_max, options.poll_interval))


def report_backlog(waiting: int, oldest_age: float) -> None:
    """Set ``precedent_inbox_depth`` and ``precedent_inbox_oldest_age_seconds`` (0 when empty)."""
    INBOX_DEPTH.set(waiting)
    INBOX_OLDEST_AGE.set(oldest_age)


class Worker:
    """Processes deliveries from an inbox.

    Args:
        inbox: Where deliveries wait.
        processor: Does the work of one delivery.
        options: Leases, attempts, back-off, polling.
        name: The lease owner name (unique per worker).
        clock: The current time.
        priority: Whose turn it is on a loop shared with a receiver; ``None`` for a worker alone.
        report: Where each reading of the backlog goes (deliveries waiting, the oldest one's age in
            seconds): the process's metrics unless given.
    """

    def __init__(
        self,
        inbox: Inbox,
        processor: Processor,
        options: WorkerOptions | None = None,
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        priority: AckPriority | None = None,
        report: Callable[[int, float], None] | None = None,
    ) -> None:
        self._inbox = inbox
        self._processor = processor
        self._options = options or WorkerOptions()
        self.name = name or worker_name()
        self._clock = clock
        self._priority = priority
        self._wake = asyncio.Event()
        self._measured_at: datetime | None = None
        self._pruned_at: datetime | None = None
        self._report = report or report_backlog
        self._outage_failures = 0  # attempts failed by the store in a row, to pace their retries

    def wake(self) -> None:
        """Look at the inbox now (called when a delivery was just recorded)."""
        self._wake.set()

    async def _turn(self) -> None:
        if self._priority is not None:
            await self._priority.turn()

    async def run_once(self) -> bool:
        """Claim and process one delivery; return whether there was one."""
        opts = self._options
        await self._turn()
        await self._measure()
        await self._prune()
        claimed = await self._inbox.claim(self.name, now=self._clock(), lease=opts.lease)
        if not claimed:
            return False
        await self._handle(claimed[0])
        return True

    async def _measure(self) -> None:
        # Read while draining too, not only when idle: a flood is when the backlog matters.
        now = self._clock()
        every = timedelta(seconds=self._options.measure_every)
        if self._measured_at is not None and now - self._measured_at < every:
            return
        self._measured_at = now
        backlog = await self._inbox.backlog()
        oldest = backlog.oldest_received_at
        self._report(backlog.waiting, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)

    async def _prune(self) -> None:
        retention = self._options.retention
        now = self._clock()
        every = timedelta(seconds=self._options.prune_every)
        if retention is None or (self._pruned_at is not None and now - self._pruned_at < every):
            return
        self._pruned_at = now  # set first: a failing prune is tried again next period, not next poll
        cutoff = now - retention
        pruned = await self._inbox.prune(finished_before=cutoff)
        INBOX_PRUNED.inc(pruned)
        if pruned:
            log.info(
                "webhook inbox: deleted %d deliveries that finished before %s "
                "(kept for PRECEDENT_WEBHOOK_RETENTION_DAYS)",
                pruned,
                cutoff.isoformat(timespec="seconds"),
            )

    async def drain(self) -> int:
        """Process deliveries until none is claimable; return how many were processed."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def run(self) -> None:
        """Process deliveries until cancelled; inbox outages are logged and waited out.

        An outage is logged twice, not on every look: once when the inbox starts failing (what
        failed, what to check) and once when it answers again (for how long, how many looks
        failed). Meanwhile the looks back off (``outage_pause``).
        """
        log.info("webhook worker %s started", self.name)
        failed_looks = 0
        failing_since = self._clock()
        while True:
            pause = self._options.poll_interval
            try:
                await self.drain()
            except Exception as exc:  # the inbox is down: keep the worker alive and try again later
                failed_looks += 1
                if failed_looks == 1:
                    failing_since = self._clock()
                    self._log_outage(exc)
                pause = outage_pause(failed_looks, self._options)
            else:
                if failed_looks:
                    log.warning(
                        "webhook worker %s: the inbox answers again after %.0f s; %d looks at it "
                        "failed meanwhile, and the deliveries that waited were worked on",
                        self.name,
                        (self._clock() - failing_since).total_seconds(),
                        failed_looks,
                    )
                failed_looks = 0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    def _log_outage(self, exc: Exception) -> None:
        # The store's message says what to do (check Neo4j...); a traceback per look would bury
        # it. An error that is no store's keeps its traceback, once: it is a bug to report.
        log.error(
            "webhook worker %s: the inbox failed (%s); deliveries wait in it, acknowledged, until it "
            "answers. Check the inbox's store (Neo4j, or the data directory's disk). Looking again "
            "every %g s at most; one line when it answers again",
            self.name,
            exc,
            max(self._options.outage_pause_max, self._options.poll_interval),
            exc_info=None if isinstance(exc, StoreError) else exc,
        )

    async def _handle(self, delivery: Delivery) -> None:
        opts = self._options
        if delivery.attempts > opts.max_attempts:
            error = (
                f"gave up after {opts.max_attempts} attempts; last error: {delivery.error or 'lease expired'}"
            )
            await self._inbox.fail(delivery.id, self.name, now=self._clock(), error=error, retry_at=None)
            log.error("webhook delivery %s parked as dead: %s", delivery.id, error)
            return
        renewing = asyncio.create_task(self._renew(delivery.id))
        try:
            async with asyncio.timeout(opts.attempt_timeout) as limit:
                outcome = await self._processor.process(delivery)
        except asyncio.CancelledError:
            renewing.cancel()
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # this worker is being stopped
                await self._give_back(delivery)
            raise
        except Exception as exc:
            renewing.cancel()
            cut = TimeoutError(f"the attempt was cut short after {opts.attempt_timeout:g} s")
            await self._failed(delivery, cut if limit.expired() else exc)
            return
        finally:
            renewing.cancel()
        self._outage_failures = 0
        await self._turn()
        if not await self._inbox.complete(delivery.id, self.name, now=self._clock(), outcome=outcome):
            log.warning(
                "webhook delivery %s: lease lost before completion; another worker redoes it", delivery.id
            )
        else:
            waited = (delivery.started_at - delivery.received_at) if delivery.started_at else None
            log.info(
                "webhook delivery %s %s: %s (waited_ms=%s)",
                delivery.id,
                delivery.event_type,
                outcome,
                f"{waited.total_seconds() * 1000:.0f}" if waited is not None else "?",
            )

    async def _give_back(self, delivery: Delivery) -> None:
        # The worker is being stopped mid-delivery (``serve`` shutting down): hand the delivery
        # back so the next worker takes it at once, rather than after the lease runs out. The
        # attempt still counts (it may have been what stopped the process). Bounded so that a
        # stalled inbox cannot hold up the shutdown; if it fails, the lease runs out as before.
        try:
            async with asyncio.timeout(_GIVE_BACK_SECONDS):
                await self._inbox.fail(
                    delivery.id,
                    self.name,
                    now=self._clock(),
                    error="the worker was stopped during this attempt; taken again at once",
                    retry_at=self._clock(),
                )
        except Exception as exc:
            log.warning(
                "webhook delivery %s: could not hand it back as the worker stopped (%s); it is redone "
                "once its lease runs out",
                delivery.id,
                exc,
            )
        else:
            log.info("webhook delivery %s handed back as the worker stopped", delivery.id)

    async def _failed(self, delivery: Delivery, exc: Exception) -> None:
        opts = self._options
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = self._clock()
        retry_at = None
        # The store failed, not the delivery (a full disk, Neo4j failing while the inbox answers):
        # the attempt is taken back, or an outage longer than the back-off (13 minutes) parked
        # every delivery as dead. Its retries are paced by the outage, this worker's store
        # failures in a row, as a delivery's own are by its attempts.
        outage = isinstance(exc, _OUTAGES)
        if outage:
            self._outage_failures += 1
        if outage or (delivery.attempts < opts.max_attempts and not isinstance(exc, _PERMANENT)):
            failures = self._outage_failures if outage else delivery.attempts
            delay = opts.backoff[min(failures, len(opts.backoff)) - 1] if opts.backoff else 0.0
            retry_at = now + timedelta(seconds=delay)
        await self._inbox.fail(
            delivery.id, self.name, now=now, error=error, retry_at=retry_at, counted=not outage
        )
        fields = {
            "delivery_id": delivery.id,
            "attempt": delivery.attempts,
            "error_class": type(exc).__name__,
            "error": str(exc)[:2000],
            "next_retry": retry_at.isoformat() if retry_at else None,
        }
        log.warning(
            "webhook delivery %s attempt %d failed (%s); %s",
            delivery.id,
            delivery.attempts,
            error,
            (f"retry at {retry_at.isoformat()}" + (" (the store failed: not counted)" if outage else ""))
            if retry_at
            else "parked as dead",
            # An outage's attempts are one line each; an unexpected error keeps its traceback.
            exc_info=None if isinstance(exc, _OUTAGES) else exc,
            extra={"fields": fields},
        )

    async def _renew(self, delivery_id: str) -> None:
        # Every third of a lease; each attempt is bounded by a turn and by the lease left, so a
        # renewal that hangs (a stalled store) is cut and tried again while the lease still holds,
        # and a lease that runs out unrenewed is logged rather than lost silently.
        lease = self._options.lease
        turn = lease.total_seconds() / 3
        loop = asyncio.get_running_loop()
        runs_out = loop.time() + lease.total_seconds()  # claimed just before this task started
        next_at = loop.time() + turn
        ran_out_logged = False
        while True:
            await asyncio.sleep(max(next_at - loop.time(), 0.0))
            began = loop.time()
            next_at = began + turn
            left = runs_out - began
            if left <= 0 and not ran_out_logged:
                ran_out_logged = True
                log.error(
                    "webhook delivery %s: its lease ran out before it could be renewed (the inbox did "
                    "not answer in time); another worker may redo it. Check the inbox's store",
                    delivery_id,
                )
            try:
                renewing = self._inbox.renew(delivery_id, self.name, now=self._clock(), lease=lease)
                renewed = await asyncio.wait_for(renewing, min(left, turn) if left > 0 else turn)
            except TimeoutError:
                log.warning(
                    "webhook delivery %s: its lease renewal did not answer in time; trying again "
                    "(the lease runs out in %.1f s)",
                    delivery_id,
                    max(runs_out - loop.time(), 0.0),
                )
                continue
            except Exception as exc:  # an inbox blip: the lease has time left to renew at the next turn
                log.warning(
                    "webhook delivery %s: could not renew its lease, trying again: %s", delivery_id, exc
                )
                continue
            if not renewed:
                return
            runs_out = began + lease.total_seconds()
            ran_out_logged = False
