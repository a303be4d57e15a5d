"""Reads whole resources from incident.io into raw objects, tolerating missing scopes.

A 403 with a known scope skips that resource (``ScopeGaps`` remembers it for one warning at
the end); a 401 or any other failure propagates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from precedent.errors import IncidentIoAuthError

if TYPE_CHECKING:
    from precedent.ingest.mapping import Raw
    from precedent.sources.incidentio import IncidentIoClient, QueryParams

__all__ = ["ScopeGaps", "fetch_all", "fetch_list", "gather_limited"]

T = TypeVar("T")


@dataclass
class ScopeGaps:
    """Resources skipped because the API key lacks a scope (resource -> scope)."""

    skipped: dict[str, str] = field(default_factory=dict)

    async def guard(self, resource: str, work: Awaitable[T], default: T) -> T:
        """Run ``work``; on a 403 naming a scope, record it and return ``default``."""
        try:
            return await work
        except IncidentIoAuthError as exc:
            if exc.status != 403:
                raise
            self.skipped.setdefault(resource, exc.scope or "an unknown scope")
            return default

    def warning(self) -> str | None:
        """One sentence naming everything skipped and the scopes to add, or ``None``."""
        if not self.skipped:
            return None
        parts = ", ".join(f"{resource} (needs {scope})" for resource, scope in sorted(self.skipped.items()))
        return f"the API key cannot read {parts}; skipped them. Add the scopes to the key to sync them too."


def _items(page: Mapping[str, object], key: str) -> list[Raw]:
    items = page.get(key)
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


async def fetch_list(
    client: IncidentIoClient, path: str, key: str, params: QueryParams | None = None
) -> list[Raw]:
    """GET an unpaginated list endpoint and return its objects."""
    return _items(await client.get(path, params), key)


async def fetch_all(
    client: IncidentIoClient,
    path: str,
    key: str,
    params: QueryParams | None = None,
    *,
    on_page: Callable[[Mapping[str, object]], None] | None = None,
) -> list[Raw]:
    """Follow every page of a list endpoint and return all objects under ``key``."""
    found: list[Raw] = []
    async for page in client.paginate(path, params=params):
        if on_page is not None:
            on_page(page)
        found.extend(_items(page, key))
    return found


async def gather_limited(works: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run coroutine factories with at most ``limit`` in flight; results keep their order."""
    gate = asyncio.Semaphore(limit)

    async def one(work: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await work()

    return list(await asyncio.gather(*(one(w) for w in works)))
