"""The builds still to be published to Slack, kept in the map until their publishing has ended.

The webhook worker publishes a build in the background (Slack being slow must not hold up the
next delivery), so its delivery is done before the message is posted. A process that stops in
between (a crash, a deploy, or a stop while Slack is slow to answer) would lose the message:
nothing would post it until the incident changed again. So the builder lists the build here
before its delivery is done, in the store's meta (durable on both stores, shared by every process
on one Neo4j map); publishing takes it off once it has ended, whatever its outcome, and the list
worker of any process publishes what is still listed (``SlackNotifier.republish``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from precedent.store import GraphStore

__all__ = ["UNPUBLISHED_KEY", "Unpublished"]

UNPUBLISHED_KEY = "slack:unpublished"
"""The meta key of the list: a JSON object from each incident to when its newest build to publish was made."""


def _entries(raw: str | None) -> dict[str, datetime]:
    """The list as stored (``None``, another shape or an unreadable time: left out)."""
    try:
        loaded = json.loads(raw) if raw else {}
    except ValueError:
        loaded = {}
    entries: dict[str, datetime] = {}
    for incident_id, built_at in (loaded if isinstance(loaded, dict) else {}).items():
        try:
            entries[str(incident_id)] = datetime.fromisoformat(str(built_at))
        except ValueError:
            continue
    return entries


def _dumps(entries: dict[str, datetime]) -> str:
    return json.dumps({k: v.isoformat() for k, v in sorted(entries.items())})


class Unpublished:
    """Lists, reads and takes off the builds still to be published, in the store's meta.

    Args:
        store: The map.
    """

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    async def add(self, incident_id: str, built_at: datetime) -> None:
        """List the build of ``incident_id`` made at ``built_at`` (a newer one listed stays).

        Raises:
            StoreError: if the map cannot be read or written.
        """

        async def added(raw: str | None) -> str:
            entries = _entries(raw)
            entries[incident_id] = max(built_at, entries.get(incident_id, built_at))
            return _dumps(entries)

        await update_meta(self._store, UNPUBLISHED_KEY, added)

    async def pending(self) -> dict[str, datetime]:
        """The builds listed: when each incident's newest one was made.

        Raises:
            StoreError: if the map cannot be read.
        """
        return _entries(await self._store.get_meta(UNPUBLISHED_KEY))

    async def done(self, incident_id: str, built_at: datetime) -> None:
        """Take the incident off, unless a build newer than ``built_at`` was listed meanwhile.

        Raises:
            StoreError: if the map cannot be read or written.
        """

        async def removed(raw: str | None) -> str:
            entries = _entries(raw)
            if incident_id in entries and entries[incident_id] <= built_at:
                del entries[incident_id]
            return _dumps(entries)

        await update_meta(self._store, UNPUBLISHED_KEY, removed)
