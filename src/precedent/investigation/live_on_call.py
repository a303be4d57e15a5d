"""Who is on call, asked live from incident.io when the synced schedule entries do not cover a time.

``precedent sync`` stores who is on call for the hour after it runs; an incident declared later
(or a service page read tomorrow) falls outside that. ``IncidentIoOnCall`` reads
``GET /v2/schedule_entries`` for the hour around the time asked, under a short deadline, and
keeps each schedule's hour for a short while: a burst of investigations (one incident touching
many services, or rebuilt on every update) asks incident.io once per schedule and hour, and
concurrent askers share the one request in flight.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.mapping.records import as_list, as_mapping, opt_str, parse_time, user_properties
from precedent.investigation.context import LiveShift
from precedent.investigation.results import Person
from precedent.sources.incidentio import ENDPOINTS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from precedent.ingest.mapping import Raw
    from precedent.sources.incidentio import IncidentIoClient

__all__ = ["IncidentIoOnCall"]

_BUCKET = timedelta(hours=1)
# Bounds the cache in a long-running process; far more schedule-hours than any burst asks for.
_MAX_ENTRIES = 1024


@dataclass(frozen=True)
class _Hour:
    """A schedule's final entries for one hour, and when they were read."""

    shifts: tuple[LiveShift, ...]
    fetched_at: datetime
    expires: float


class IncidentIoOnCall:
    """A ``LiveOnCallSource`` over incident.io's schedule entries, with a deadline and a TTL cache.

    Args:
        client: An incident.io client (it paginates and backs off on 429 itself).
        timeout: Seconds for one ``on_call`` answer, all schedules and retries included; past it
            the caller gets ``SourceError`` and keeps what is synced.
        ttl: Seconds a schedule's hour is reused before it is asked again.
        now: The wall clock (the ``fetched_at`` of each answer).
        monotonic: Seconds for cache expiry.
    """

    def __init__(
        self,
        client: IncidentIoClient,
        *,
        timeout: float = 3.0,
        ttl: float = 60.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._ttl = ttl
        self._now = now
        self._monotonic = monotonic
        self._hours: dict[tuple[str, datetime], _Hour] = {}
        self._pending: dict[tuple[str, datetime], asyncio.Task[_Hour]] = {}

    async def on_call(self, schedule_ids: Sequence[str], at: datetime) -> list[LiveShift]:
        """Return the final shifts covering ``at`` on each of ``schedule_ids``.

        Raises:
            SourceError: if incident.io failed or did not answer within the timeout.
        """
        start = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        try:
            async with asyncio.timeout(self._timeout):
                hours = await asyncio.gather(*(self._hour(s, start) for s in dict.fromkeys(schedule_ids)))
        except TimeoutError as exc:
            raise SourceError(
                f"incident.io did not list schedule entries within {self._timeout:g} s"
            ) from exc
        return [s for hour in hours for s in hour.shifts if _covers(s, at)]

    async def aclose(self) -> None:
        """Cancel requests still in flight (their askers have given up); call before closing the client."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _hour(self, schedule_id: str, start: datetime) -> _Hour:
        key = (schedule_id, start)
        cached = self._hours.get(key)
        if cached is not None and cached.expires > self._monotonic():
            return cached
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(schedule_id, start))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: one caller's deadline must not cancel the request others are waiting on.
        return await asyncio.shield(task)

    def _settle(self, key: tuple[str, datetime], task: asyncio.Task[_Hour]) -> None:
        self._pending.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return  # failures are not cached: the next investigation asks again
        if len(self._hours) >= _MAX_ENTRIES:
            now = self._monotonic()
            self._hours = {k: v for k, v in self._hours.items() if v.expires > now}
            if len(self._hours) >= _MAX_ENTRIES:
                self._hours.clear()
        self._hours[key] = task.result()

    async def _fetch(self, schedule_id: str, start: datetime) -> _Hour:
        fetched_at = self._now()
        key = ENDPOINTS["schedule_entries"].key
        shifts: list[LiveShift] = []
        async for page in self._client.iter_schedule_entries(schedule_id, start, start + _BUCKET):
            groups = as_mapping(page.get(key)) or {}
            for entry in as_list(groups.get("final")):
                shift = _shift(schedule_id, entry, fetched_at)
                if shift is not None:
                    shifts.append(shift)
        return _Hour(tuple(shifts), fetched_at, self._monotonic() + self._ttl)


def _shift(schedule_id: str, entry: object, fetched_at: datetime) -> LiveShift | None:
    raw: Raw | None = as_mapping(entry)
    user = as_mapping(raw.get("user")) if raw else None
    user_id = opt_str(user, "id") if user else None
    if raw is None or user is None or user_id is None:
        return None
    props = user_properties(user)
    person = Person(
        user_id,
        str(props.get("name") or user_id),
        str(props["email"]) if "email" in props else None,
        str(props["slack_user_id"]) if "slack_user_id" in props else None,
    )
    return LiveShift(
        schedule_id, person, parse_time(raw.get("start_at")), parse_time(raw.get("end_at")), fetched_at
    )


def _covers(shift: LiveShift, at: datetime) -> bool:
    return (shift.start_at is None or shift.start_at <= at) and (shift.end_at is None or at < shift.end_at)
