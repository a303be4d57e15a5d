"""The map's record of its sync: who runs one now, how far it has got, and how the last one ended.

Kept in the store's meta under ``sync:run``, so every process on one Neo4j map sees the same
run: a ``POST /v1/admin/sync`` answered by one ``serve --workers N`` process conflicts with a
sync that another process (or ``precedent sync``) runs, and a status request answered by any of
them reports it. The runner holds a lease taken with the store's atomic ``replace_meta`` and
renews it while it works, publishing its progress; a runner that died holding it is taken over
once its lease has run out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from precedent.errors import SyncConflict

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.ingest.sync import SyncReport
    from precedent.store.base import GraphStore

__all__ = [
    "Claim",
    "LeaseLost",
    "Published",
    "ResourceProgress",
    "SyncBoard",
    "SyncRecord",
    "SyncSummary",
    "describe_failure",
]

KEY = "sync:run"

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


Published: TypeAlias = tuple[Sequence[ResourceProgress], Sequence[str]]
"""A run's progress as published: per resource, and its warnings so far."""


@dataclass(frozen=True)
class SyncSummary:
    """What a finished sync did, in the form every process can read back from the map."""

    incremental: bool = False
    calls: int = 0
    retries: int = 0
    elapsed_seconds: float = 0.0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, report: SyncReport) -> SyncSummary:
        """Summarise a sync's report."""
        return cls(
            incremental=report.incremental,
            calls=report.calls,
            retries=report.retries,
            elapsed_seconds=report.elapsed_seconds,
            created={name: stats.total("created") for name, stats in report.resources.items()},
            updated={name: stats.total("updated") for name, stats in report.resources.items()},
            warnings=tuple(report.warnings),
        )


@dataclass(frozen=True)
class SyncRecord:
    """The map's sync record, as stored.

    Attributes:
        holder: The process running a sync, while its lease lasts (``None`` between runs).
        until: When the holder's lease runs out unless renewed.
        started_at: When the current (or last) run started.
        finished_at: When the last run ended.
        resources: Progress per resource of the current (or last) run, as last published.
        warnings: What the current (or last) run warned about.
        last_report: The last run that succeeded.
        last_error: Why the last run failed, if it did.
    """

    holder: str | None = None
    until: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    resources: tuple[ResourceProgress, ...] = ()
    warnings: tuple[str, ...] = ()
    last_report: SyncSummary | None = None
    last_error: str | None = None

    def running(self, now: datetime) -> bool:
        """Whether a live holder runs a sync at ``now``."""
        return self.holder is not None and self.until is not None and self.until > now

    @classmethod
    def loads(cls, raw: str | None) -> SyncRecord:
        """Parse the stored record; nothing stored, or unreadable, is an empty one."""
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                holder=data.get("holder"),
                until=_time(data.get("until")),
                started_at=_time(data.get("started_at")),
                finished_at=_time(data.get("finished_at")),
                resources=tuple(ResourceProgress(**r) for r in data.get("resources") or ()),
                warnings=tuple(data.get("warnings") or ()),
                last_report=_summary(data.get("last_report")),
                last_error=data.get("last_error"),
            )
        except (TypeError, ValueError):  # written by another version: start afresh, never fail a status
            return cls()

    def dumps(self) -> str:
        """The stored form (JSON)."""
        report = self.last_report
        return json.dumps(
            {
                "holder": self.holder,
                "until": _iso(self.until),
                "started_at": _iso(self.started_at),
                "finished_at": _iso(self.finished_at),
                "resources": [vars(r) for r in self.resources],
                "warnings": list(self.warnings),
                "last_report": None if report is None else {**vars(report), "warnings": [*report.warnings]},
                "last_error": self.last_error,
            },
            sort_keys=True,
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _summary(value: Any) -> SyncSummary | None:
    if not isinstance(value, dict):
        return None
    return SyncSummary(**{**value, "warnings": tuple(value.get("warnings") or ())})


@dataclass(frozen=True)
class Claim:
    """A held lease: the record as this process last wrote it, which proves the lease is still its own."""

    record: SyncRecord
    stored: str


class SyncBoard:
    """Reads the map's sync record and hands out the lease on running a sync.

    Args:
        store: The map.
        lease: How long a holder that stops renewing keeps the lease (renew well within it).
        clock: The current time (leases compare it across processes).
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        lease: timedelta = timedelta(seconds=60),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._store = store
        self._lease = lease
        self._clock = clock
        self.name = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a quarter of the lease, so one slow write never loses it."""
        return self._lease.total_seconds() / 4

    async def read(self) -> SyncRecord:
        """The record as stored now."""
        return SyncRecord.loads(await self._store.get_meta(KEY))

    async def claim(self) -> Claim:
        """Take the lease for a new run, started now.

        Raises:
            SyncConflict: if another process runs a sync (its lease has not run out).
        """
        stored = await self._store.get_meta(KEY)
        record = SyncRecord.loads(stored)
        now = self._clock()
        if record.running(now):
            raise _conflict(record)
        mine = replace(
            record,
            holder=self.name,
            until=now + self._lease,
            started_at=now,
            finished_at=None,
            resources=(),
            warnings=(),
        )
        written = mine.dumps()
        if not await self._store.replace_meta(KEY, written, expected=stored):
            raise _conflict(await self.read())  # another process claimed it between our read and write
        return Claim(mine, written)

    async def renew(
        self, claim: Claim, resources: Sequence[ResourceProgress], warnings: Sequence[str]
    ) -> Claim:
        """Extend the lease and publish the run's progress.

        Raises:
            SyncConflict: if the lease was lost (it ran out and another process took over).
        """
        mine = replace(
            claim.record,
            until=self._clock() + self._lease,
            resources=tuple(ResourceProgress(**vars(r)) for r in resources),
            warnings=tuple(warnings),
        )
        return await self._write(claim, mine)

    async def finish(
        self,
        claim: Claim,
        resources: Sequence[ResourceProgress],
        warnings: Sequence[str],
        *,
        report: SyncSummary | None,
        error: str | None,
    ) -> None:
        """End the run: release the lease and record how it ended (a failure keeps the last good report).

        Raises:
            SyncConflict: if the lease was lost meanwhile (the record is then the other run's).
        """
        ended = replace(
            claim.record,
            holder=None,
            until=None,
            finished_at=self._clock(),
            resources=tuple(ResourceProgress(**vars(r)) for r in resources),
            warnings=tuple(warnings),
            last_report=report if report is not None else claim.record.last_report,
            last_error=error,
        )
        await self._write(claim, ended)

    async def run(
        self,
        claim: Claim,
        sync: Callable[[], Awaitable[SyncReport]],
        published: Callable[[], Published],
    ) -> SyncReport:
        """Run ``sync`` under ``claim``: renew the lease with ``published()`` progress, then record the end.

        A lost lease stops the run (another process now runs a sync), raising ``SyncConflict``.
        """
        held = [claim]

        async def renewing() -> None:
            while True:
                await asyncio.sleep(self.renew_every)
                held[0] = await self.renew(held[0], *published())

        try:
            try:
                async with asyncio.TaskGroup() as group:
                    renewer = group.create_task(renewing())
                    report = await sync()
                    renewer.cancel()
            except BaseExceptionGroup as failed:
                raise failed.exceptions[0]  # noqa: B904 - its own cause is kept; the group is the context
        except BaseException as exc:
            if not isinstance(exc, LeaseLost):  # the record belongs to the run that took over
                await self._finish_quietly(held[0], published, describe_failure(exc))
            raise
        await self.finish(held[0], *published(), report=SyncSummary.of(report), error=None)
        return report

    async def _finish_quietly(self, claim: Claim, published: Callable[[], Published], error: str) -> None:
        """Record a failed run; if the store cannot take it soon, the lease runs out on its own."""
        try:
            # Bounded: a shutdown with the store gone must not wait out the store's retry window.
            await asyncio.wait_for(self.finish(claim, *published(), report=None, error=error), 10)
        except Exception as exc:  # the run's own failure is what the caller must see
            log.warning("could not record the end of the sync in the map: %s", exc)

    async def _write(self, claim: Claim, record: SyncRecord) -> Claim:
        written = record.dumps()
        if not await self._store.replace_meta(KEY, written, expected=claim.stored):
            raise LeaseLost(
                "this process lost the sync lease (it was not renewed in time and another process took "
                "over); GET /v1/admin/sync shows the run that holds it"
            )
        return Claim(record, written)


class LeaseLost(SyncConflict):
    """This process's sync lease ran out and another process took it: its run must stop."""


def _conflict(record: SyncRecord) -> SyncConflict:
    started = f", started {record.started_at:%Y-%m-%dT%H:%M:%SZ}" if record.started_at else ""
    lapse = (
        f" (if that process has stopped, its lease runs out at {record.until:%H:%M:%SZ})"
        if record.until
        else ""
    )
    return SyncConflict(
        f"a sync is already running on this map ({record.holder}{started}); GET /v1/admin/sync shows its "
        f"progress, start another once it has finished{lapse}"
    )


def describe_failure(exc: BaseException) -> str:
    """How a run that raised ``exc`` ended, as the status says it."""
    if isinstance(exc, asyncio.CancelledError):
        return "the sync was stopped before it finished (its process shut down or was interrupted)"
    return f"{type(exc).__name__}: {exc}"
