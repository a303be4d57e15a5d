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
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from precedent.errors import SyncConflict
from precedent.model import stored_time

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.ingest.sync import SyncReport
    from precedent.store.base import GraphStore

__all__ = [
    "Claim",
    "LeaseLost",
    "ProgressTracker",
    "Published",
    "ResourceProgress",
    "SyncBoard",
    "SyncRecord",
    "SyncSummary",
    "describe_failure",
]

KEY = "sync:run"

UNREADABLE = "a process whose record this version cannot read"
"""The holder of a stored record that is not JSON: treated as live until it stays unchanged for a lease."""

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


@dataclass
class ProgressTracker:
    """A run's progress as ``Progress`` events report it, ready to publish in the record."""

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

    def published(self) -> Published:
        """A snapshot: copies, so the run's further progress never changes what was published."""
        return tuple(replace(r) for r in self.resources.values()), tuple(self.warnings)


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
        """Parse the stored record, field by field, ignoring what another version added.

        Nothing stored is an empty record. A record whose lease cannot be read at all names an
        unknown holder, so that ``claim`` never mistakes a live lease it cannot parse for a free one.
        """
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(holder=UNREADABLE) if raw else cls()
        holder = data.get("holder")
        return cls(
            holder=None if holder is None else str(holder),
            until=_time(data.get("until")),
            started_at=_time(data.get("started_at")),
            finished_at=_time(data.get("finished_at")),
            resources=tuple(r for r in map(_progress, _list(data.get("resources"))) if r is not None),
            warnings=tuple(str(w) for w in _list(data.get("warnings"))),
            last_report=_summary(data.get("last_report")),
            last_error=None if data.get("last_error") is None else str(data["last_error"]),
        )

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
    return stored_time(value, assume_utc=True)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _known(cls: type[Any], value: dict[str, Any]) -> dict[str, Any]:
    """``value``'s keys that ``cls`` has: a newer version's extra fields are left out."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in value.items() if k in names}


def _progress(value: Any) -> ResourceProgress | None:
    if not isinstance(value, dict):
        return None
    try:
        return ResourceProgress(**_known(ResourceProgress, value))
    except TypeError:
        return None


def _summary(value: Any) -> SyncSummary | None:
    if not isinstance(value, dict):
        return None
    try:
        return SyncSummary(**{**_known(SyncSummary, value), "warnings": tuple(_list(value.get("warnings")))})
    except TypeError:
        return None


@dataclass(frozen=True)
class Claim:
    """A held lease: the record as this process last wrote it, which proves the lease is still its own."""

    record: SyncRecord
    stored: str


class SyncBoard:
    """Reads the map's sync record and hands out the lease on running a sync.

    Whether a lease has run out is judged without trusting another host's clock: a holder's lease
    is taken over once this process has seen its record unchanged for a whole lease (a live holder
    rewrites it every quarter lease), or once the record's own ``until`` is further in the past
    than any clock drift this tolerates (``skew``).

    Args:
        store: The map.
        lease: How long a holder that stops renewing keeps the lease (renew well within it).
        skew: The clock difference between hosts that is tolerated before a lease's ``until``
            alone counts as run out.
        clock: The current time (written into the record; read for ``until`` with ``skew``).
        ticks: A monotonic clock (how long this process has seen a record unchanged).
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        lease: timedelta = timedelta(seconds=60),
        skew: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = _now,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._lease = lease
        self._skew = skew
        self._clock = clock
        self._ticks = ticks
        self._seen: tuple[str | None, float] = (None, 0.0)
        self.name = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a quarter of the lease, so one slow write never loses it."""
        return self._lease.total_seconds() / 4

    async def read(self) -> SyncRecord:
        """The record as stored now."""
        return SyncRecord.loads(await self._store.get_meta(KEY))

    async def observe(self) -> tuple[SyncRecord, bool]:
        """The record as stored now, and whether another process runs a sync under it.

        Judged as ``claim`` judges it (clock skew tolerated, a record seen unchanged for a lease
        lapsed), so a status never calls a run dead that a claim would still refuse to take over.
        """
        stored = await self._store.get_meta(KEY)
        record = SyncRecord.loads(stored)
        return record, not self._free(record, stored)

    def _free(self, record: SyncRecord, stored: str | None) -> bool:
        """Whether ``record`` (stored as ``stored``) may be claimed now."""
        ticks = self._ticks()
        if stored != self._seen[0]:
            self._seen = (stored, ticks)
        if record.holder is None or record.holder == self.name:
            return True
        unchanged_for = ticks - self._seen[1]
        if unchanged_for >= self._lease.total_seconds():
            return True  # nobody renewed it for a whole lease, whatever the clocks say
        return record.until is not None and record.until + self._skew < self._clock()

    async def claim(self, *, wait: float = 0.0) -> Claim:
        """Take the lease for a new run, started now.

        Args:
            wait: Seconds to keep watching a held record whose holder may have died (a one-shot
                process such as ``precedent sync`` has seen no record before). A record that
                changes meanwhile has a live holder: the claim is refused at once.

        Raises:
            SyncConflict: if another process runs a sync (its lease has not run out).
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + wait
        first: str | None = None
        while True:
            stored = await self._store.get_meta(KEY)
            record = SyncRecord.loads(stored)
            if self._free(record, stored):
                break
            first = stored if first is None else first
            if stored != first or loop.time() >= give_up:
                raise _conflict(record)
            await asyncio.sleep(min(self.renew_every / 2, max(give_up - loop.time(), 0.0)))
        now = self._clock()
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
            LeaseLost: if another process holds the lease now.
        """
        mine = replace(
            claim.record,
            until=self._clock() + self._lease,
            resources=tuple(resources),
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
            LeaseLost: if another process holds the lease now (the record is then its run's).
        """
        ended = replace(
            claim.record,
            holder=None,
            until=None,
            finished_at=self._clock(),
            resources=tuple(resources),
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

        A renewal that fails is tried again at the next turn; the run stops (``LeaseLost``) when
        another process holds the lease, or when no renewal has landed before the lease would run
        out, since another process may take it over then.
        """
        held = [claim]
        finished = asyncio.Event()

        async def renewing() -> None:
            deadline = self._ticks() + self._lease.total_seconds()
            while not finished.is_set():
                try:
                    await asyncio.wait_for(finished.wait(), self.renew_every)
                    return
                except TimeoutError:
                    pass
                began = self._ticks()
                try:
                    # Bounded by the lease left: a renewal that never answers must not keep the run
                    # going past the moment another process may take the lease over.
                    renewed = self.renew(held[0], *published())
                    held[0] = await asyncio.wait_for(renewed, max(deadline - began, 0.0))
                    deadline = self._ticks() + self._lease.total_seconds()
                except LeaseLost:
                    raise
                except Exception as exc:  # a store blip: the lease has time left to renew again
                    why = "the store did not answer" if isinstance(exc, TimeoutError) else repr(exc)
                    if finished.is_set():
                        return  # the sync is done: its end is recorded next, or the lease lapses
                    log.warning("could not renew the sync lease, trying again: %s", why)
                    if self._ticks() + self.renew_every >= deadline:
                        raise LeaseLost(
                            "the sync stopped: its lease could not be renewed before running out "
                            f"(last error: {why})"
                        ) from exc

        try:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(renewing())
                    try:
                        report = await sync()
                    finally:
                        # The renewer ends between writes, never inside one: a renewal cut
                        # mid-write could land unseen and make this run's last write fail.
                        finished.set()
            except BaseExceptionGroup as failed:
                raise failed.exceptions[0]  # noqa: B904 - its own cause is kept; the group is the context
        except BaseException as exc:
            if not isinstance(exc, LeaseLost):  # the record belongs to the run that took over
                await self._finish_quietly(held[0], published, describe_failure(exc))
            raise
        try:
            await self.finish(held[0], *published(), report=SyncSummary.of(report), error=None)
        except Exception as exc:  # the sync itself succeeded; its lease lapses on its own
            log.warning("the sync finished but could not record it in the map: %r", exc)
        return report

    async def _finish_quietly(self, claim: Claim, published: Callable[[], Published], error: str) -> None:
        """Record a failed run; if the store cannot take it soon, the lease runs out on its own."""
        try:
            # Bounded: a shutdown with the store gone must not wait out the store's retry window.
            await asyncio.wait_for(self.finish(claim, *published(), report=None, error=error), 10)
        except Exception as exc:  # the run's own failure is what the caller must see
            log.warning("could not record the end of the sync in the map: %r", exc)

    async def _write(self, claim: Claim, record: SyncRecord) -> Claim:
        written = record.dumps()
        expected: str | None = claim.stored
        for _ in range(3):
            if await self._store.replace_meta(KEY, written, expected=expected):
                return Claim(record, written)
            # A write that was cut off (a cancelled request, an incomplete commit) may have landed
            # unseen: a record still naming this holder and run is ours, so write over it.
            current = await self._store.get_meta(KEY)
            found = SyncRecord.loads(current)
            if found.holder != self.name or found.started_at != claim.record.started_at:
                break
            expected = current
        raise LeaseLost(
            "this process lost the sync lease (it was not renewed in time and another process took "
            "over); GET /v1/admin/sync shows the run that holds it"
        )


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
