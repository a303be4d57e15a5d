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

import json
from typing import TYPE_CHECKING

from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.store import GraphStore

__all__ = ["PENDING_CHECKS_KEY", "PendingChecks"]

PENDING_CHECKS_KEY = "slack:unchecked"
"""The meta key of the list: a JSON object from each incident whose message is unchecked to the
incidents that message names."""


def _entries(raw: str | None) -> dict[str, frozenset[str]]:
    """The list as stored (``None`` or another shape: empty)."""
    try:
        loaded = json.loads(raw) if raw else {}
    except ValueError:
        loaded = {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): frozenset(str(i) for i in v) for k, v in loaded.items() if isinstance(v, list)}


def _dumps(entries: dict[str, frozenset[str]]) -> str:
    return json.dumps({k: sorted(v) for k, v in sorted(entries.items())})


class PendingChecks:
    """Lists, reads and takes off the messages still to be checked, in the store's meta.

    Args:
        store: The map.
    """

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    async def add(self, incident_id: str, cited: Iterable[str]) -> None:
        """List the message of ``incident_id``, naming ``cited`` (with what it was listed naming).

        Raises:
            StoreError: if the map cannot be read or written.
        """
        names = frozenset(cited)

        async def added(raw: str | None) -> str:
            entries = _entries(raw)
            entries[incident_id] = entries.get(incident_id, frozenset()) | names
            return _dumps(entries)

        await update_meta(self._store, PENDING_CHECKS_KEY, added)

    async def pending(self) -> dict[str, frozenset[str]]:
        """The messages listed, by incident, with the incidents each names.

        Raises:
            StoreError: if the map cannot be read.
        """
        return _entries(await self._store.get_meta(PENDING_CHECKS_KEY))

    async def done(self, incident_id: str, checked: frozenset[str]) -> None:
        """Take the message of ``incident_id`` off, if ``checked`` covers every incident it was listed naming.

        A build posted meanwhile may have listed it naming more: it stays, for its own check.

        Raises:
            StoreError: if the map cannot be read or written.
        """

        async def removed(raw: str | None) -> str:
            entries = _entries(raw)
            if entries.get(incident_id, frozenset()) <= checked:
                entries.pop(incident_id, None)
            return _dumps(entries)

        await update_meta(self._store, PENDING_CHECKS_KEY, removed)
