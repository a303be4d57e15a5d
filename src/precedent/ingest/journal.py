"""Remembers, in the store, which nodes were written before all of their edges were.

A node's ``content_hash`` covers its edges, so a node that landed without them (a sync killed
between the node and the edge write, or an edge waiting for a node later in the load) must not
look unchanged next time. Their ids are kept under one meta key until their edges land; a later
load treats them as changed and writes them again.

Several loads can run at once (a sync and the webhook worker in one process, or processes
sharing a Neo4j map), so each saves only what it added and removed since it last saved, merged
into the stored set by compare and set: one load never drops another's unfinished ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.store.meta import ids_in, update_ids

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.store import GraphStore

__all__ = ["UNFINISHED_KEY", "UnfinishedJournal"]

UNFINISHED_KEY = "ingest:unfinished"


class UnfinishedJournal:
    """The set of node ids whose edges may be missing, persisted through ``set_meta``."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._ids: set[str] | None = None
        self._saved: frozenset[str] = frozenset()

    async def open(self) -> frozenset[str]:
        """Read the ids left unfinished by earlier runs (once); return them."""
        if self._ids is None:
            self._ids = ids_in(await self._store.get_meta(UNFINISHED_KEY))
            self._saved = frozenset(self._ids)
        return frozenset(self._ids)

    async def begin(self, ids: Iterable[str]) -> None:
        """Record ``ids`` as unfinished durably, before their nodes are written."""
        assert self._ids is not None, "call open() first"
        self._ids.update(ids)
        await self._save()

    def finish(self, ids: Iterable[str]) -> None:
        """Forget ``ids`` (their edges landed); saved with the next ``begin`` or ``close``."""
        if self._ids is not None:
            self._ids.difference_update(ids)

    async def close(self) -> None:
        """Persist the current set (empty after a complete load)."""
        if self._ids is not None:
            await self._save()

    async def _save(self) -> None:
        assert self._ids is not None
        mine = frozenset(self._ids)
        added, removed = mine - self._saved, self._saved - mine
        if not (added or removed):
            return
        # Merged into what other loads saved meanwhile.
        await update_ids(self._store, UNFINISHED_KEY, added, removed)
        self._saved = mine
