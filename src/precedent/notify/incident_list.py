"""A list kept in the store's meta: a JSON object from each incident to a value, shared by processes.

The Slack notifier keeps two (``PendingChecks``, ``Unpublished``): durable on both stores, shared
by every process on one Neo4j map, each change read-modify-written by compare and set.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Generic, TypeVar

from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.store import GraphStore

__all__ = ["IncidentList"]

V = TypeVar("V")


class IncidentList(Generic[V]):
    """Reads and changes the incidents listed under ``key``, each with a value.

    Args:
        store: The map.
        key: The meta key.
        read: A stored value as ``V``; raising ``ValueError`` or ``TypeError`` leaves that entry out.
        write: ``V`` as a JSON value.
    """

    def __init__(
        self, store: GraphStore, key: str, *, read: Callable[[object], V], write: Callable[[V], object]
    ) -> None:
        self._store, self._key, self._read, self._write = store, key, read, write

    def _entries(self, raw: str | None) -> dict[str, V]:
        """The list as stored (``None``, another shape or an unreadable value: left out)."""
        try:
            loaded = json.loads(raw) if raw else {}
        except ValueError:
            loaded = {}
        entries: dict[str, V] = {}
        for incident_id, value in (loaded if isinstance(loaded, dict) else {}).items():
            try:
                entries[str(incident_id)] = self._read(value)
            except (ValueError, TypeError):
                continue
        return entries

    def _dumps(self, entries: dict[str, V]) -> str:
        return json.dumps({k: self._write(v) for k, v in sorted(entries.items())})

    async def pending(self) -> dict[str, V]:
        """The incidents listed, each with its value.

        Raises:
            StoreError: if the map cannot be read.
        """
        return self._entries(await self._store.get_meta(self._key))

    async def put(self, incident_id: str, merged: Callable[[V | None], V]) -> None:
        """List ``incident_id`` with ``merged(its value listed, or None)``, keeping what others wrote.

        Raises:
            StoreError: if the map cannot be read or written.
        """

        async def added(raw: str | None) -> str:
            entries = self._entries(raw)
            entries[incident_id] = merged(entries.get(incident_id))
            return self._dumps(entries)

        await update_meta(self._store, self._key, added)

    async def take_off(self, incident_id: str, covered: Callable[[V], bool]) -> None:
        """Take ``incident_id`` off if ``covered(its value)``: one listed anew meanwhile may stay.

        Raises:
            StoreError: if the map cannot be read or written.
        """

        async def removed(raw: str | None) -> str:
            entries = self._entries(raw)
            if incident_id in entries and covered(entries[incident_id]):
                del entries[incident_id]
            return self._dumps(entries)

        await update_meta(self._store, self._key, removed)
