"""A store that counts its reads by id, for tests that bound how much a read path reads whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Node
    from precedent.store import GraphStore


class CountedReads:
    """The store, counting ``get_nodes``: the calls (``reads``) and the nodes asked for (``nodes``)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.reads = 0
        self.nodes = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def get_nodes(self, ids: Sequence[str], **kwargs: bool) -> list[Node]:
        self.reads += 1
        self.nodes += len(ids)
        return await self._store.get_nodes(ids, **kwargs)
