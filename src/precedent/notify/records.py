"""Where each incident's Slack message is, kept in the map so that every process finds the same one.

The record (channel, ``ts``, and when the investigation it shows was built) lives in the store's
meta under ``slack:message:<incident id>``: the map's own bookkeeping, durable on both stores and
shared by every process on one Neo4j map, and untouched when the incident is synced again (an
upsert replaces an incident's properties; each build makes a new Investigation node).

A process about to post or edit first takes a short lease on the record with the store's atomic
``replace_meta``, so two workers building the same incident at once never both post: the second
waits for the first to release, then finds the ``ts`` and edits that message. A lease outlives a
process that died holding it by at most ``lease``.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.store.meta import SLACK_MESSAGE_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.store import GraphStore

__all__ = ["MessageRecord", "MessageRecords"]


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
    """

    channel: str | None = None
    ts: str | None = None
    built_at: datetime | None = None
    holder: str | None = None
    until: datetime | None = None

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
        )

    def dumps(self) -> str:
        """The stored form (JSON)."""
        return json.dumps(
            {
                "channel": self.channel,
                "ts": self.ts,
                "built_at": self.built_at.isoformat() if self.built_at else None,
                "holder": self.holder,
                "until": self.until.isoformat() if self.until else None,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class Held:
    """A lease on one incident's record: the record as found, and the stored value that proves it."""

    key: str
    record: MessageRecord
    stored: str


class MessageRecords:
    """Reads, leases and writes incidents' message records in the store's meta.

    Args:
        store: The map.
        lease: How long a holder may take before another process may take over.
        poll: Seconds between looks at a record another process holds.
        clock: The current time (leases compare it across processes).
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        lease: timedelta = timedelta(seconds=120),
        poll: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._lease = lease
        self._poll = poll
        self._clock = clock
        self.name = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @staticmethod
    def key(incident_id: str) -> str:
        """The meta key of an incident's record."""
        return SLACK_MESSAGE_KEY.format(incident_id=incident_id)

    async def read(self, incident_id: str) -> MessageRecord:
        """The incident's record as stored now, whoever holds it."""
        return MessageRecord.loads(await self._store.get_meta(self.key(incident_id)))

    async def held(self, incident_id: str) -> bool:
        """Whether a process holds the incident's record now: it is posting or editing the message."""
        record = await self.read(incident_id)
        return record.holder is not None and record.until is not None and record.until > self._clock()

    async def hold(self, incident_id: str) -> Held:
        """Take the lease on the incident's record, waiting while another process holds it.

        Raises:
            TimeoutError: if others held it for longer than one lease (one after another).
            StoreError: if the store cannot be read or written.
        """
        key = self.key(incident_id)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._lease.total_seconds() + 5 * self._poll
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
                return Held(key, replace(record, holder=None, until=None), mine)

    async def release(self, held: Held, record: MessageRecord) -> bool:
        """Store ``record`` (without a holder) and end the lease; ``False`` if it was lost meanwhile."""
        final = replace(record, holder=None, until=None).dumps()
        return await self._store.replace_meta(held.key, final, expected=held.stored)
