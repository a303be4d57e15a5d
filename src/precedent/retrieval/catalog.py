"""Resolves what callers type (``INC-123``, ``payments-api``) into node ids, through the store interface.

The interface has no lookup by property, so the first lookup by reference or name reads the
Incident (or Service) nodes once and keeps a small index for the life of this object; callers
that answer many queries (``--batch``, the API) build one ``Catalog`` and reuse it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from precedent.errors import NotFound

if TYPE_CHECKING:
    from precedent.model import Node
    from precedent.store.base import GraphStore

__all__ = ["Catalog"]


def _keys(node: Node, fields: tuple[str, ...]) -> list[str]:
    keys = []
    for field in fields:
        value = node.properties.get(field)
        values = value if isinstance(value, list) else [value]
        keys += [str(v).strip().casefold() for v in values if v is not None and str(v).strip()]
    return keys


class Catalog:
    """Finds incidents by id or reference and services by id, name, external id or alias.

    Args:
        store: The knowledge map.
    """

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._references: dict[str, str] | None = None
        self._services: dict[str, str] | None = None
        self._lock = asyncio.Lock()

    async def incident(self, key: str) -> Node:
        """Return the Incident whose id or reference is ``key``.

        Raises:
            NotFound: if no incident has that id or reference.
        """
        found = await self._store.get_nodes([key])
        if found and found[0].label == "Incident":
            return found[0]
        async with self._lock:
            if self._references is None:
                self._references = await self._index(("Incident",), ("reference",))
        incident_id = self._references.get(key.strip().casefold())
        found = await self._store.get_nodes([incident_id]) if incident_id else []
        if not found:
            raise NotFound("incident", key)
        return found[0]

    async def services(self, keys: tuple[str, ...]) -> tuple[list[Node], list[str]]:
        """Return the services named by ``keys`` (ids or names) and the keys that matched none."""
        by_id = {n.id: n for n in await self._store.get_nodes(list(keys)) if n.label == "Service"}
        missing = [k for k in keys if k not in by_id]
        if missing:
            async with self._lock:
                if self._services is None:
                    self._services = await self._index(("Service",), ("name", "external_id", "aliases"))
            resolved = {k: self._services.get(k.strip().casefold()) for k in missing}
            wanted = sorted({v for v in resolved.values() if v})
            by_id.update({n.id: n for n in await self._store.get_nodes(wanted)})
            ids = [k if k in by_id else resolved.get(k) for k in keys]
        else:
            ids = list(keys)
        nodes = list({i: by_id[i] for i in ids if i and i in by_id}.values())
        unknown = [k for k, i in zip(keys, ids, strict=True) if not i or i not in by_id]
        return nodes, unknown

    async def _index(self, labels: tuple[str, ...], fields: tuple[str, ...]) -> dict[str, str]:
        index: dict[str, str] = {}
        async for node in self._store.scan_nodes(labels):
            for key in _keys(node, fields):
                # scan order is by id, so the smallest id wins a clash: the same answer every time
                index.setdefault(key, node.id)
        return index
