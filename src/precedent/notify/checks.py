"""The Slack messages still to be checked against incidents made private, kept in the map.

A message posted or edited while an incident it names was being made private may have been
looked for by the list worker (``notify/made_private.py``) before its record was written, so its
poster checks it once the record is written (``SlackNotifier``). That check reads the map, which
may fail. So before it posts, the poster lists the message here with the incidents it names, in
the store's meta beside the list of incidents made private (``ingest.visibility``): durable on
both stores and shared by every process on one Neo4j map. A check that answered takes it off;
one the map failed leaves it listed, and the list worker of any process checks it again on its
next turn, also after the poster's process stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.notify.incident_list import IncidentList

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.store import GraphStore

__all__ = ["PENDING_CHECKS_KEY", "PendingChecks"]

PENDING_CHECKS_KEY = "slack:unchecked"
"""The meta key of the list: a JSON object from each incident whose message is unchecked to the
incidents that message names."""


def _names(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        raise TypeError("not a list of incidents")
    return frozenset(str(i) for i in value)


class PendingChecks:
    """Lists, reads and takes off the messages still to be checked, in the store's meta.

    Args:
        store: The map.
    """

    def __init__(self, store: GraphStore) -> None:
        self._list = IncidentList(store, PENDING_CHECKS_KEY, read=_names, write=sorted)

    async def add(self, incident_id: str, cited: Iterable[str]) -> None:
        """List the message of ``incident_id``, naming ``cited`` (with what it was listed naming).

        Raises:
            StoreError: if the map cannot be read or written.
        """
        names = frozenset(cited)
        await self._list.put(incident_id, lambda listed: (listed or frozenset()) | names)

    async def pending(self) -> dict[str, frozenset[str]]:
        """The messages listed, by incident, with the incidents each names.

        Raises:
            StoreError: if the map cannot be read.
        """
        return await self._list.pending()

    async def done(self, incident_id: str, checked: frozenset[str]) -> None:
        """Take the message of ``incident_id`` off, if ``checked`` covers every incident it was listed naming.

        A build posted meanwhile may have listed it naming more: it stays, for its own check.

        Raises:
            StoreError: if the map cannot be read or written.
        """
        await self._list.take_off(incident_id, lambda listed: listed <= checked)
