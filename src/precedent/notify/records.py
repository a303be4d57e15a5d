"""Where each incident's Slack message is, kept in the map so that every process finds the same one.

The record (channel, ``ts``, and when the investigation it shows was built) lives in the store's
meta under ``slack:message:<incident id>``: the map's own bookkeeping, durable on both stores and
shared by every process on one Neo4j map, and untouched when the incident is synced again (an
upsert replaces an incident's properties; each build makes a new Investigation node).

A process about to post or edit first takes a short lease on the record with the store's atomic
``replace_meta``, so two workers building the same incident at once never both post: the second
waits for the first to release, then finds the ``ts`` and edits that message. The holder renews
the lease while it works (every third of it), so a live holder keeps it however long Slack takes,
and one that died holding it is taken over once the lease runs out: within ``lease`` (15 s) of the
death, not after a fixed wait long enough for the slowest publish.

Before it posts, the holder writes down when (``unanswered``): a process that dies after Slack
answered but before the ``ts`` was written leaves that mark, and the next poster looks for the
message in the channel before posting again (``SlackNotifier``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.store.meta import SLACK_MESSAGE_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from precedent.store import GraphStore

__all__ = ["Lease", "MessageRecord", "MessageRecords"]

log = logging.getLogger("precedent.notify")


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _text(value: object) -> str | None:
    return str(value) if value else None


@dataclass(frozen=True)
class MessageRecord:
    """An incident's Slack message as the map remembers it.

    Attributes:
        channel: Where it was posted (``None``: not posted yet).
        ts: Its Slack timestamp, the id ``chat.update`` needs.
        built_at: When the investigation it shows was built (older builds never overwrite it).
        holder: The process editing it now, if any, until ``until``.
        unanswered: When a post to ``channel`` was sent whose answer was never written here (its
            process died, or Slack's answer was lost): the message may be in the channel.
    """

    channel: str | None = None
    ts: str | None = None
    built_at: datetime | None = None
    holder: str | None = None
    until: datetime | None = None
    unanswered: datetime | None = None

    @classmethod
    def loads(cls, raw: str | None) -> MessageRecord:
        """Parse a stored record (``None`` or unreadable: nothing posted yet)."""
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(
            _text(data.get("channel")),
            _text(data.get("ts")),
            _time(data.get("built_at")),
            _text(data.get("holder")),
            _time(data.get("until")),
            _time(data.get("unanswered")),
        )

    def dumps(self) -> str:
        """The stored form (JSON)."""
        stored: dict[str, str | None] = {
            "channel": self.channel,
            "ts": self.ts,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "holder": self.holder,
            "until": self.until.isoformat() if self.until else None,
        }
        if self.unanswered is not None:  # records written before it existed stay as they were
            stored["unanswered"] = self.unanswered.isoformat()
        return json.dumps(stored, sort_keys=True)


@dataclass
class Lease:
    """A lease held on one incident's record, renewed while held.

    Attributes:
        record: The record as found when the lease was taken (without holder).
        result: What ``MessageRecords.holding`` stores on release (at first ``record``).
        lost: Whether another process took the record over meanwhile.
    """

    key: str
    record: MessageRecord
    stored: str
    result: MessageRecord
    lost: bool = False
    _writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)


class MessageRecords:
    """Reads, leases and writes incidents' message records in the store's meta.

    Args:
        store: The map.
        lease: How long a holder that stops renewing keeps the record (it renews every third).
        poll: Seconds between looks at a record another process holds.
        wait: How long to wait for records others hold (one after another) before giving up.
        clock: The current time (leases compare it across processes).
        pause: Waits the given seconds: the holder's wait between two renewals.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        lease: timedelta = timedelta(seconds=15),
        poll: float = 0.2,
        wait: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._lease = lease
        self._poll = poll
        self._wait = wait
        self._clock = clock
        self._pause = pause
        self.name = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @staticmethod
    def key(incident_id: str) -> str:
        """The meta key of an incident's record."""
        return SLACK_MESSAGE_KEY.format(incident_id=incident_id)

    def now(self) -> datetime:
        """The current time on the leases' clock."""
        return self._clock()

    async def read(self, incident_id: str) -> MessageRecord:
        """The incident's record as stored now, whoever holds it."""
        return MessageRecord.loads(await self._store.get_meta(self.key(incident_id)))

    async def held_until(self, incident_id: str) -> datetime | None:
        """Until when a live process holds the incident's record (it is posting or editing), or ``None``.

        A holder that died is no longer counted once its lease has run out unrenewed.
        """
        record = await self.read(incident_id)
        return record.until if self._live(record) else None

    def _live(self, record: MessageRecord) -> bool:
        return record.holder is not None and record.until is not None and record.until > self._clock()

    async def posting(self, incident_id: str) -> bool:
        """Whether a live process holds the incident's record with no message recorded: it is posting one."""
        record = await self.read(incident_id)
        return record.ts is None and self._live(record)

    async def _take(self, incident_id: str) -> Lease:
        """Take the lease on the incident's record, waiting while another process holds it."""
        key = self.key(incident_id)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait.total_seconds()
        while True:
            stored = await self._store.get_meta(key)
            record = MessageRecord.loads(stored)
            now = self._clock()
            if record.holder and record.until and record.until > now:
                if loop.time() > give_up:
                    raise TimeoutError(f"the Slack message of {incident_id} is held by {record.holder}")
                await asyncio.sleep(self._poll)
                continue
            mine = replace(record, holder=self.name, until=now + self._lease).dumps()
            if await self._store.replace_meta(key, mine, expected=stored):
                found = replace(record, holder=None, until=None)
                return Lease(key, found, mine, found)

    async def write(self, lease: Lease, record: MessageRecord) -> bool:
        """Store ``record`` under ``lease``, renewing it; ``False`` (and ``lease.lost``) if it was taken over.

        Raises:
            StoreError: if the store cannot be written (the lease still holds until it runs out).
        """
        async with lease._writing:
            if lease.lost:
                return False
            mine = replace(record, holder=self.name, until=self._clock() + self._lease).dumps()
            if not await self._store.replace_meta(lease.key, mine, expected=lease.stored):
                lease.lost = True
                return False
            lease.stored = mine
            return True

    async def _renew(self, lease: Lease) -> None:
        every = self._lease.total_seconds() / 3
        while not lease.lost:
            if await self._stopped_during_pause(lease, every):
                return
            try:
                current = MessageRecord.loads(lease.stored)
                await self.write(lease, replace(current, holder=None, until=None))
            except Exception as exc:  # a store blip: the lease has two thirds left to renew it
                log.warning("could not renew the lease on %s, trying again: %s", lease.key, exc)

    async def _stopped_during_pause(self, lease: Lease, seconds: float) -> bool:
        """Pause ``seconds`` (``pause``), cut short when the lease is let go; whether it was."""
        stopped = asyncio.ensure_future(lease._stop.wait())
        pause = asyncio.ensure_future(self._pause(seconds))
        try:
            await asyncio.wait({stopped, pause}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            pause.cancel()
            await asyncio.gather(stopped, pause, return_exceptions=True)
        return lease._stop.is_set()

    @contextlib.asynccontextmanager
    async def holding(self, incident_id: str) -> AsyncIterator[Lease]:
        """Hold the incident's record for the ``async with`` block, renewing it; then store ``lease.result``.

        Raises:
            TimeoutError: if others held it for longer than ``wait`` (one after another).
            StoreError: if the store cannot be read or written.
        """
        lease = await self._take(incident_id)
        renewing = asyncio.create_task(self._renew(lease), name=f"precedent-slack-lease-{incident_id}")
        try:
            yield lease
        finally:
            # Not cancelled: a renewal cut off mid-write could leave the lease renewed under a value
            # this process no longer knows, so the release below would not match it.
            lease._stop.set()
            await renewing
            if not await self.release(lease, lease.result):
                log.warning("the Slack message record of %s was taken over while it was held", incident_id)

    async def release(self, lease: Lease, record: MessageRecord) -> bool:
        """Store ``record`` (without a holder) and end the lease; ``False`` if it was lost meanwhile."""
        async with lease._writing:
            if lease.lost:
                return False
            final = replace(record, holder=None, until=None).dumps()
            released = await self._store.replace_meta(lease.key, final, expected=lease.stored)
            lease.lost = not released
            return released
