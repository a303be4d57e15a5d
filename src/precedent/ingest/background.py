"""One sync at a time in the background of a long-running process, with its progress and last report.

``precedent serve`` owns one ``BackgroundSync`` (through the ``Runtime``); ``POST /v1/admin/sync``
starts it and ``GET`` reads ``status()``. Starting while a sync runs, or with no way to run one
(no incident.io API key), raises ``SyncConflict`` saying what to do, never queues a second run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import SyncConflict
from precedent.store.read_retry import read_retry_window

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.ingest.progress import Progress
    from precedent.ingest.sync import SyncReport

__all__ = ["BackgroundSync", "ResourceProgress", "SyncStatus"]

log = logging.getLogger("precedent.sync")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ResourceProgress:
    """How far a sync is through one resource."""

    resource: str
    done: int = 0
    total: int | None = None
    finished: bool = False


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot of the background sync: the run in flight (if any) and the last one to end.

    Attributes:
        running: Whether a sync runs now.
        started_at: When the current (or last) run started.
        finished_at: When the last run ended (``None`` while one runs or before the first).
        resources: Progress per resource of the current (or last) run, in the order started.
        warnings: What the current (or last) run warned about.
        last_report: The report of the last run that succeeded.
        last_error: Why the last run failed, if it did.
    """

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    resources: tuple[ResourceProgress, ...]
    warnings: tuple[str, ...]
    last_report: SyncReport | None
    last_error: str | None


@dataclass
class _Tracker:
    """The ``Progress`` sink of one run."""

    resources: dict[str, ResourceProgress] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def start(self, resource: str, total: int | None = None) -> None:
        self.resources[resource] = ResourceProgress(resource, total=total)

    def advance(self, resource: str, count: int) -> None:
        self.resources.setdefault(resource, ResourceProgress(resource)).done += count

    def finish(self, resource: str) -> None:
        self.resources.setdefault(resource, ResourceProgress(resource)).finished = True

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class BackgroundSync:
    """Runs ``run`` as a background task, one at a time.

    Args:
        run: Runs one sync reporting to the given progress sink; ``None`` when none can run.
        unavailable: Why none can run (said in the ``SyncConflict``) when ``run`` is ``None``.
        clock: The clock (injected in tests).
    """

    def __init__(
        self,
        run: Callable[[Progress], Awaitable[SyncReport]] | None,
        *,
        unavailable: str = "syncing is not configured",
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._run = run
        self._unavailable = unavailable
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._tracker = _Tracker()
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None
        self._last_report: SyncReport | None = None
        self._last_error: str | None = None

    def start(self) -> SyncStatus:
        """Start a sync in the background and return its first status.

        Raises:
            SyncConflict: if one is running, or no sync can run here.
        """
        if self._run is None:
            raise SyncConflict(self._unavailable)
        if self._task is not None and not self._task.done():
            raise SyncConflict(
                f"a sync is already running (started {self._started_at:%Y-%m-%dT%H:%M:%SZ}); "
                "GET /v1/admin/sync shows its progress, start another once it has finished"
            )
        self._tracker = _Tracker()
        self._started_at, self._finished_at = self._clock(), None
        # Started by a request, the sync outlives it: it keeps the store's long read retry window.
        with read_retry_window(None):
            self._task = asyncio.create_task(self._sync(self._run, self._tracker), name="precedent-sync")
        return self.status()

    async def _sync(self, run: Callable[[Progress], Awaitable[SyncReport]], tracker: _Tracker) -> None:
        try:
            self._last_report = await run(tracker)
            self._last_error = None
        except asyncio.CancelledError:
            self._last_error = "the sync was stopped before it finished (the service shut down)"
            raise
        except Exception as exc:  # a failed background sync is reported, never raised into the loop
            log.warning("background sync failed: %s", exc, exc_info=exc)
            self._last_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._finished_at = self._clock()

    def status(self) -> SyncStatus:
        """Where the current or last sync is."""
        return SyncStatus(
            running=self._task is not None and not self._task.done(),
            started_at=self._started_at,
            finished_at=self._finished_at,
            resources=tuple(ResourceProgress(**vars(r)) for r in self._tracker.resources.values()),
            warnings=tuple(self._tracker.warnings),
            last_report=self._last_report,
            last_error=self._last_error,
        )

    async def wait(self) -> None:
        """Wait for the running sync, if any, to end (tests, shutdown)."""
        if self._task is not None:
            await asyncio.wait([self._task])

    async def stop(self) -> None:
        """Cancel a running sync and wait for it (its checkpoints keep what was written)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait([self._task])
