"""Reads whole resources from incident.io into raw objects, tolerating missing scopes.

What to read comes from the endpoint registry (``sources/incidentio/endpoints.py``). A 403 skips
that resource (``ScopeGaps`` remembers it and the scope it needs, for one warning at the end); a
401 or any other failure propagates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from precedent.errors import IncidentIoAuthError

if TYPE_CHECKING:
    from precedent.ingest.mapping import Raw
    from precedent.sources.incidentio import Endpoint, IncidentIoClient, QueryParams

__all__ = ["ScopeGaps", "fetch_objects", "gather_limited", "objects_of"]

T = TypeVar("T")


@dataclass
class ScopeGaps:
    """Resources skipped because the API key lacks a scope (title -> scope)."""

    skipped: dict[str, str] = field(default_factory=dict)

    async def guard(self, endpoint: Endpoint, work: Awaitable[T], default: T) -> T:
        """Run ``work`` reading ``endpoint``; on a 403, record the scope and return ``default``.

        Raises:
            IncidentIoAuthError: On a 401 (the key itself is refused).
        """
        try:
            return await work
        except IncidentIoAuthError as exc:
            if exc.status != 403:
                raise
            scope = exc.scope or ", ".join(endpoint.scopes) or "an unknown scope"
            self.skipped.setdefault(endpoint.title, scope)
            return default

    def warning(self) -> str | None:
        """One sentence naming everything skipped and the scopes to add, or ``None``."""
        if not self.skipped:
            return None
        parts = ", ".join(f"{title} (needs {scope})" for title, scope in sorted(self.skipped.items()))
        return f"the API key cannot read {parts}; skipped them. Add the scopes to the key to sync them too."


def objects_of(page: Mapping[str, object], key: str) -> list[Raw]:
    """The JSON objects in ``page[key]`` (anything else is ignored)."""
    items = page.get(key)
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


async def fetch_objects(
    client: IncidentIoClient, endpoint: Endpoint, params: QueryParams | None = None
) -> list[Raw]:
    """Read every page of a list endpoint (one page when it is not paginated).

    Args:
        client: An open incident.io client.
        endpoint: The list endpoint, from the registry.
        params: Filters, e.g. ``{endpoint.parent: incident_id}``.

    Returns:
        All objects under ``endpoint.key``, in the order served.

    Raises:
        IncidentIoAuthError: On a 401 or 403 (wrap the call in ``ScopeGaps.guard``).
        SourceError: If incident.io fails beyond retries.
    """
    found: list[Raw] = []
    async for page in client.paginate(endpoint.path, params=params):
        found.extend(objects_of(page, endpoint.key))
    return found


async def gather_limited(works: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run coroutine factories with at most ``limit`` in flight; results keep their order."""
    gate = asyncio.Semaphore(limit)

    async def one(work: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await work()

    return list(await asyncio.gather(*(one(w) for w in works)))
