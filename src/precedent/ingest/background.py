"""One sync at a time in the background of a long-running process, with its progress and last report.

``precedent serve`` owns one ``BackgroundSync`` (through the ``Runtime``); ``POST /v1/admin/sync``
starts it and ``GET`` reads ``status()``. Starting while a sync runs, or with no way to run one
(no incident.io API key), raises ``SyncConflict`` saying what to do, never queues a second run.
With a ``SyncBoard`` the run is the map's, not the process's: a sync another process runs on the
same map (another ``serve`` worker, ``precedent sync``) conflicts too, and the status of a process
that is not running one is the map's record of the current or last run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import SyncConflict
from precedent.ingest.sync_board import ProgressTracker, ResourceProgress, SyncSummary, describe_failure
from precedent.store.read_retry import read_retry_window

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.ingest.progress import Progress
    from precedent.ingest.sync import SyncReport
    from precedent.ingest.sync_board import Claim, SyncBoard, SyncRecord

__all__ = ["BackgroundSync", "ResourceProgress", "SyncStatus"]

log = logging.getLogger("precedent.sync")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot of the background sync: the run in flight (if any) and the last one to end.

    Attributes:
        running: Whether a sync runs now.
        started_at: When the current (or last) run started.
        finished_at: When the last run ended (``None`` while one runs or before the first).
        resources: Progress per resource of the current (or last) run, in the order started.
        warnings: What the current (or last) run warned about.
        last_report: The last run that succeeded.
        last_error: Why the last run failed, if it did.
    """

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    resources: tuple[ResourceProgress, ...]
    warnings: tuple[str, ...]
    last_report: SyncSummary | None
    last_error: str | None

    @classmethod
    def of_record(cls, record: SyncRecord, *, running: bool) -> SyncStatus:
        """The status the map's record gives, ``running`` or not (a holder not running died mid-run)."""
        error = record.last_error
        if record.holder is not None and not running:
            lapsed = f"{record.until:%H:%M:%SZ}" if record.until else "already"
            error = f"the process running it stopped before it finished (its lease ran out at {lapsed})"
        return cls(
            running,
            record.started_at,
            record.finished_at,
            record.resources,
            record.warnings,
            record.last_report,
            error,
        )


class BackgroundSync:
    """Runs ``run`` as a background task, one at a time.

    Args:
        run: Runs one sync reporting to the given progress sink; ``None`` when none can run.
        board: The map's sync record, shared by every process on the map; ``None``: this
            process's runs only (tests).
        unavailable: Why none can run (said in the ``SyncConflict``) when ``run`` is ``None``.
        clock: The clock (injected in tests).
    """

    def __init__(
        self,
        run: Callable[[Progress], Awaitable[SyncReport]] | None,
        *,
        board: SyncBoard | None = None,
        unavailable: str = "syncing is not configured",
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._run = run
        self._board = board
        self._unavailable = unavailable
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        # Held from the running check until the task exists: a second start meanwhile would find
        # this process's own fresh lease, which the board hands back to its holder, and run beside it.
        self._starting = asyncio.Lock()
        self._tracker = ProgressTracker()
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None
        self._last_report: SyncSummary | None = None
        self._last_error: str | None = None

    async def start(self) -> SyncStatus:
        """Start a sync in the background and return its first status.

        Raises:
            SyncConflict: if one is running (here or, with a board, in another process on the
                map), or no sync can run here.
        """
        if self._run is None:
            raise SyncConflict(self._unavailable)
        async with self._starting:
            return await self._start(self._run)

    async def _start(self, run: Callable[[Progress], Awaitable[SyncReport]]) -> SyncStatus:
        if self._running():
            raise SyncConflict(
                f"a sync is already running (started {self._started_at:%Y-%m-%dT%H:%M:%SZ}); "
                "GET /v1/admin/sync shows its progress, start another once it has finished"
            )
        # The claim answers the request, within the request's own read retry window.
        claim = None if self._board is None else await self._board.claim()
        self._tracker = ProgressTracker()
        # One start time on every surface: the one the map records, when there is a board.
        self._started_at = claim.record.started_at if claim is not None else self._clock()
        self._finished_at = None
        # Started by a request, the sync outlives it: it keeps the store's long read retry window.
        with read_retry_window(None):
            task = self._sync(run, self._tracker, claim)
            self._task = asyncio.create_task(task, name="precedent-sync")
        return self._local_status()

    async def _sync(
        self, run: Callable[[Progress], Awaitable[SyncReport]], tracker: ProgressTracker, claim: Claim | None
    ) -> None:
        try:
            if self._board is None or claim is None:
                report = await run(tracker)
            else:
                report = await self._board.run(claim, lambda: run(tracker), tracker.published)
            self._last_report, self._last_error = SyncSummary.of(report), None
            for warning in report.warnings:  # `precedent sync` prints them; a server logs them
                log.warning("background sync: %s", warning)
        except asyncio.CancelledError as exc:
            self._last_error = describe_failure(exc)
            raise
        except Exception as exc:  # a failed background sync is reported, never raised into the loop
            log.warning("background sync failed: %s", exc, exc_info=exc)
            self._last_error = describe_failure(exc)
        finally:
            self._finished_at = self._clock()

    def _running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _local_status(self) -> SyncStatus:
        resources, warnings = self._tracker.published()
        return SyncStatus(
            running=self._running(),
            started_at=self._started_at,
            finished_at=self._finished_at,
            resources=tuple(resources),
            warnings=tuple(warnings),
            last_report=self._last_report,
            last_error=self._last_error,
        )

    async def status(self) -> SyncStatus:
        """Where the current or last sync on the map is (this process's own run, while it runs)."""
        local = self._local_status()
        if self._board is None or local.running:
            return local
        record, running = await self._board.observe()
        # Nothing recorded, or the record is this process's last run (its start time is the one
        # its claim wrote), which may not have recorded its end: this process knows how it ended.
        # Start times are compared only for identity: another host's clock may be behind this one's.
        if record.started_at is None or record.started_at == local.started_at:
            return local
        return SyncStatus.of_record(record, running=running)

    async def last_success(self) -> datetime | None:
        """When the map's last sync ended, if it succeeded, whichever process ran it.

        ``None`` while one runs, when the last one failed, or when none has run on the map.
        """
        status = await self.status()
        if status.finished_at is None or status.last_error is not None:
            return None
        return status.finished_at

    async def wait(self) -> None:
        """Wait for the running sync, if any, to end (tests, shutdown)."""
        if self._task is not None:
            await asyncio.wait([self._task])

    async def stop(self) -> None:
        """Cancel a running sync and wait for it (its checkpoints keep what was written)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait([self._task])
