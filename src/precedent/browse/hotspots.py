"""Hotspots: incidents per week on one service, and services ranked by incidents over a window.

Weeks start on Monday 00:00 UTC; a window of ``weeks`` weeks ends with the current (partial)
week. Only the incidents' start times are read (``GraphStore.linked_times``), and only those the
viewer may see are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.browse.lookup import display_name, service_node
from precedent.browse.paging import MAX_LIMIT, Page, check_limit, decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from precedent.model import Viewer
    from precedent.store.base import GraphStore

__all__ = [
    "HOTSPOT_WEEKS",
    "MAX_WEEKS",
    "Hotspot",
    "incidents_per_service",
    "ServiceHotspots",
    "WeekCount",
    "hotspots",
    "service_hotspots",
    "week_start",
]

MAX_WEEKS = 104
HOTSPOT_WEEKS = 4
"""The weeks of recent incidents the home page ranks hotspots by and the services list counts
(``/ui/services``, ``precedent services``)."""
_PER_SERVICE = 100_000
"""A bound on the times read per service, far above any service's incidents in two years."""


@dataclass(frozen=True)
class WeekCount:
    """Incidents that started in the week beginning ``week_start`` (Monday 00:00 UTC)."""

    week_start: datetime
    incidents: int


@dataclass(frozen=True)
class ServiceHotspots:
    """One service's incidents per week over ``[since, until)``, oldest week first (empty weeks included)."""

    service_id: str
    service_name: str
    since: datetime
    until: datetime
    total: int
    weeks: tuple[WeekCount, ...]


@dataclass(frozen=True)
class Hotspot:
    """A service and how many incidents started on it in the window."""

    service_id: str
    service_name: str
    incidents: int
    last_incident_at: datetime


def week_start(at: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding ``at``."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _window(weeks: int, now: datetime | None) -> tuple[datetime, datetime]:
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidQuery(f"weeks must be between 1 and {MAX_WEEKS}; got {weeks}")
    until = now or datetime.now(UTC)
    return week_start(until) - timedelta(weeks=weeks - 1), until


async def service_hotspots(
    store: GraphStore, viewer: Viewer, key: str, *, weeks: int = 12, now: datetime | None = None
) -> ServiceHotspots:
    """Incidents per week on a service over the last ``weeks`` weeks (the current one included).

    Raises:
        NotFound: if no service has that key.
        InvalidQuery: if ``weeks`` is not 1..104.
    """
    since, until = _window(weeks, now)
    node = await service_node(store, key)
    times = (
        await store.linked_times(
            [node.id],
            label="Incident",
            edge_type="AFFECTS",
            after=since,
            before=until,
            per_anchor=_PER_SERVICE,
            visibilities=viewer.visibilities,
        )
    ).get(node.id, [])
    counts = dict.fromkeys((since + timedelta(weeks=i) for i in range(weeks)), 0)
    for at in times:
        counts[week_start(at)] += 1
    return ServiceHotspots(
        node.id,
        display_name(node),
        since,
        until,
        len(times),
        tuple(WeekCount(start, n) for start, n in counts.items()),
    )


async def hotspots(
    store: GraphStore,
    viewer: Viewer,
    *,
    weeks: int = 12,
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Page[Hotspot]:
    """Services ranked by incidents started on them in the last ``weeks`` weeks (most first, then name).

    Services without an incident in the window are left out.

    Raises:
        InvalidQuery: if ``weeks`` is not 1..104, or ``limit`` or ``cursor`` is invalid.
    """
    since, until = _window(weeks, now)
    check_limit(limit)
    # A new week begun between two pages, or another `weeks`, ranks another window.
    query = ("hotspots", since.date().isoformat(), viewer.visibilities)
    after = decode_typed_cursor(cursor, int, str, str, query=query)
    services = {n.id: n async for n in store.scan_nodes(["Service"]) if viewer.can_see(n)}
    times = await store.linked_times(
        list(services),
        label="Incident",
        edge_type="AFFECTS",
        after=since,
        before=until,
        per_anchor=_PER_SERVICE,
        visibilities=viewer.visibilities,
    )
    ranked = sorted(
        ((-len(found), display_name(services[sid]).casefold(), sid), found[0])
        for sid, found in times.items()
        if found
    )
    ranked = [(k, last) for k, last in ranked if after is None or k > after]
    page = ranked[: limit + 1]
    items = tuple(
        Hotspot(sid, display_name(services[sid]), -count, last) for (count, _, sid), last in page[:limit]
    )
    return Page(items, encode_cursor(page[limit - 1][0], query=query) if len(page) > limit else None)


async def incidents_per_service(store: GraphStore, viewer: Viewer, *, weeks: int) -> dict[str, int]:
    """Incidents started on each service in the last ``weeks`` weeks, by service id, every page of
    :func:`hotspots` read (services without one are left out): the services list's counts, on the
    web page and in the CLI alike."""
    counts: dict[str, int] = {}
    cursor = None
    while True:
        ranked = await hotspots(store, viewer, weeks=weeks, limit=MAX_LIMIT, cursor=cursor)
        counts.update((h.service_id, h.incidents) for h in ranked.items)
        if (cursor := ranked.next_cursor) is None:
            return counts
