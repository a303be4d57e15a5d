"""Resolves what callers type (``INC-123``, ``payments-api``) into node ids, through the store interface.

The interface has no lookup by property, so the first lookup by reference or name reads the
Incident (or Service) nodes once and keeps a small index; callers that answer many queries
(``--batch``, the API) build one ``Catalog`` and reuse it. A key the index misses triggers one
rebuild when the index is older than ``refresh_after`` seconds (two by default), so a long-lived API
process sees an incident a webhook or a sync just added (a responder opens INC-123 seconds after it
is declared) while a storm of misses rebuilds at most once per interval.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from precedent.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.model import Node, Viewer
    from precedent.store.base import GraphStore

__all__ = ["Catalog"]


@dataclass(frozen=True)
class _Index:
    ids: dict[str, str]
    built_at: float


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
        refresh_after: Seconds after which a miss rebuilds an index.
        clock: Monotonic clock (injected by tests).
    """

    def __init__(
        self, store: GraphStore, *, refresh_after: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._refresh_after = refresh_after
        self._clock = clock
        self._references: _Index | None = None
        self._services: _Index | None = None
        self._lock = asyncio.Lock()

    async def incident(self, key: str, viewer: Viewer) -> Node:
        """Return the Incident whose id or reference is ``key``, if ``viewer`` may see it.

        Raises:
            NotFound: if no incident has that id or reference, or the viewer may not see it (the
                same answer, so that a private incident's existence does not leak).
        """
        found = await self._store.get_nodes([key])
        if not (found and found[0].label == "Incident"):
            incident_id = await self._lookup("references", key, ("Incident",), ("reference",))
            found = await self._store.get_nodes([incident_id]) if incident_id else []
        if not found or not viewer.can_see(found[0]):
            raise NotFound("incident", key)
        return found[0]

    async def services(self, keys: tuple[str, ...]) -> tuple[list[Node], list[str]]:
        """Return the services named by ``keys`` (ids or names) and the keys that matched none."""
        by_id = {n.id: n for n in await self._store.get_nodes(list(keys)) if n.label == "Service"}
        missing = [k for k in keys if k not in by_id]
        if missing:
            fields = ("name", "external_id", "aliases")
            resolved = {k: await self._lookup("services", k, ("Service",), fields) for k in missing}
            wanted = sorted({v for v in resolved.values() if v})
            by_id.update({n.id: n for n in await self._store.get_nodes(wanted)})
            ids = [k if k in by_id else resolved.get(k) for k in keys]
        else:
            ids = list(keys)
        nodes = list({i: by_id[i] for i in ids if i and i in by_id}.values())
        unknown = [k for k, i in zip(keys, ids, strict=True) if not i or i not in by_id]
        return nodes, unknown

    async def names(self, label: Literal["Severity", "IncidentType"]) -> tuple[str, ...]:
        """The names of the map's severities (most severe first) or incident types (by name).

        A handful of nodes, read each time: a sync may have added one.
        """
        ranked: dict[str, float] = {}
        async for node in self._store.scan_nodes([label]):
            name = str(node.properties.get("name") or "").strip()
            rank = node.properties.get("rank")
            if name:
                ranked.setdefault(name, float(rank) if isinstance(rank, int | float) else 0.0)
        return tuple(sorted(ranked, key=lambda name: (-ranked[name], name.casefold())))

    async def _lookup(
        self,
        which: Literal["references", "services"],
        key: str,
        labels: tuple[str, ...],
        fields: tuple[str, ...],
    ) -> str | None:
        wanted = key.strip().casefold()
        async with self._lock:
            index = self._references if which == "references" else self._services
            stale = index is not None and self._clock() - index.built_at > self._refresh_after
            if index is None or (wanted not in index.ids and stale):
                index = _Index(await self._index(labels, fields), self._clock())
                if which == "references":
                    self._references = index
                else:
                    self._services = index
        return index.ids.get(wanted)

    async def _index(self, labels: tuple[str, ...], fields: tuple[str, ...]) -> dict[str, str]:
        index: dict[str, str] = {}
        async for node in self._store.scan_nodes(labels):
            for key in _keys(node, fields):
                # scan order is by id, so the smallest id wins a clash: the same answer every time
                index.setdefault(key, node.id)
        return index
