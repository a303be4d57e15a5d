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

from datetime import datetime
from typing import TYPE_CHECKING

from precedent.notify.incident_list import IncidentList

if TYPE_CHECKING:
    from precedent.store import GraphStore

__all__ = ["UNPUBLISHED_KEY", "Unpublished"]

UNPUBLISHED_KEY = "slack:unpublished"
"""The meta key of the list: a JSON object from each incident to when its newest build to publish was made."""


def _time(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


class Unpublished:
    """Lists, reads and takes off the builds still to be published, in the store's meta.

    Args:
        store: The map.
    """

    def __init__(self, store: GraphStore) -> None:
        self._list = IncidentList(store, UNPUBLISHED_KEY, read=_time, write=datetime.isoformat)

    async def add(self, incident_id: str, built_at: datetime) -> None:
        """List the build of ``incident_id`` made at ``built_at`` (a newer one listed stays).

        Raises:
            StoreError: if the map cannot be read or written.
        """
        await self._list.put(incident_id, lambda listed: max(built_at, listed or built_at))

    async def pending(self) -> dict[str, datetime]:
        """The builds listed: when each incident's newest one was made.

        Raises:
            StoreError: if the map cannot be read.
        """
        return await self._list.pending()

    async def done(self, incident_id: str, built_at: datetime) -> None:
        """Take the incident off, unless a build newer than ``built_at`` was listed meanwhile.

        Raises:
            StoreError: if the map cannot be read or written.
        """
        await self._list.take_off(incident_id, lambda listed: listed <= built_at)
