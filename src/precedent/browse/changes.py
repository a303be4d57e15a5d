"""A service's change events as pages, newest first (``GET /v1/services/{name}/changes``).

The cursor holds the last change's (start, id). The store answers "the newest N before a time", so
a page asks for the changes starting at or before the cursor's start and drops those at or before
the cursor itself; several changes can start at the same instant (a pipeline deploying many
services), so when those fill the answer it asks again for more rather than skip any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.browse.paging import (
    Page,
    check_limit,
    cursor_time,
    decode_typed_cursor,
    encode_cursor,
    page_of,
)
from precedent.errors import InvalidQuery
from precedent.ingest.changes import pending_changes, resolve_service
from precedent.investigation.changes import change_from_node, changes_for_service
from precedent.retrieval.catalog import unknown_service

if TYPE_CHECKING:
    from precedent.cursors import Key
    from precedent.investigation.results import Change
    from precedent.model import Node
    from precedent.store.base import GraphStore

__all__ = [
    "CHANGE_HOURS_DEFAULT",
    "MAX_CHANGES",
    "MAX_CHANGE_HOURS",
    "ServiceChanges",
    "change_hours",
    "service_changes",
]

MAX_CHANGES = 500
"""The largest page of changes (a release train can record hundreds in a day)."""

MAX_CHANGE_HOURS = 24 * 365
"""The longest window changes are listed over (a year; any length above 0 up to it), on every
surface (the API's ``since_hours``, the MCP tool's ``hours``, the CLI's ``--since-hours``): the MCP
tool stopped at 720 and the CLI had no cap."""

CHANGE_HOURS_DEFAULT = 24 * 7
"""How far back changes are listed when the caller does not say (a week), on every surface (the
API's ``since_hours``, the CLI's ``--since-hours``, the MCP tool's ``hours``): the MCP tool read
24 hours where the API and the CLI read a week."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KINDS: tuple[type[str] | type[int], ...] = (int, str)


def change_hours(value: object, name: str = "since_hours") -> float:
    """``value`` (a number, or a flag's text) as the hours of a change listing's window.

    Raises:
        InvalidQuery: unless it is a number above 0 and at most ``MAX_CHANGE_HOURS``, a word
            ("a day") as much as 0 (``InvalidQuery.hours_out_of_range``).
    """
    try:
        hours = float(str(value))
    except ValueError:
        hours = float("nan")
    if not 0 < hours <= MAX_CHANGE_HOURS:  # NaN too
        raise InvalidQuery.hours_out_of_range(name, value, MAX_CHANGE_HOURS)
    return hours


def _micros(at: datetime | None) -> int:
    return 0 if at is None else (at - _EPOCH) // timedelta(microseconds=1)


def _key(change: Change) -> Key:
    return (-_micros(change.started_at), change.id)


@dataclass(frozen=True)
class ServiceChanges:
    """A page of one service's changes, and the service as the map (or a pending change) names it."""

    service: str
    service_id: str | None
    page: Page[Change]


async def service_changes(
    store: GraphStore,
    key: str,
    *,
    since_hours: float,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ServiceChanges:
    """The changes recorded on service ``key`` (name or id) in the last ``since_hours`` hours,
    newest first, a page at a time; for a service the map does not know yet, the changes recorded
    for it so far.

    Raises:
        NotFound: if no service has that key and no change names it.
        InvalidQuery: if ``since_hours`` (above 0, at most a year), ``limit`` (1..500) or
            ``cursor`` is invalid.
    """
    change_hours(since_hours)
    check_limit(limit, MAX_CHANGES)
    after = (now or datetime.now(UTC)) - timedelta(hours=since_hours)
    node = await resolve_service(store, key)
    # The window's length, not its start: that moves with the clock between two pages.
    query = ("changes", key if node is None else node.id, since_hours)
    start = decode_typed_cursor(cursor, *_KINDS, query=query)
    if node is None:
        pending = await pending_changes(store, key)
        if not pending:
            raise await unknown_service(store, key)
        # Within the window, as a linked service's are: since_hours listed every pending change.
        recent = [n for n in pending if n.occurred_at is None or n.occurred_at >= after]
        changes = [change_from_node(n, None, key, None, None) for n in recent]
        return ServiceChanges(
            key,
            None,
            # Pending or linked, one bound: a page of 101 pending changes was a 400 saying 1 to 100.
            page_of(
                sorted(changes, key=_key),
                _key,
                _KINDS,
                limit=limit,
                cursor=cursor,
                query=query,
                maximum=MAX_CHANGES,
            ),
        )
    return ServiceChanges(
        str(node.properties.get("name", node.id)),
        node.id,
        await _linked_page(store, node, after, limit, start, query),
    )


async def _linked_page(
    store: GraphStore, node: Node, after: datetime, limit: int, start: Key | None, query: object
) -> Page[Change]:
    # Changes at the cursor's instant are read again, then dropped up to the cursor's id.
    before = None if start is None else cursor_time(1 - int(start[0]))
    wanted = limit + 1
    while True:
        found = await changes_for_service(store, node, before=before, after=after, limit=wanted)
        rest = [c for c in found if start is None or _key(c) > start]
        if len(rest) > limit or len(found) < wanted:
            page = tuple(rest[:limit])
            return Page(page, encode_cursor(_key(page[-1]), query=query) if len(rest) > limit else None)
        wanted *= 2
