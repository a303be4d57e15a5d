"""HTTP routes for search across the map, figures over incidents, and the sync: parse, ask, render."""

from __future__ import annotations

import re
from typing import Annotated, cast

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from precedent.api.auth import scope_security
from precedent.api.errors import problem_responses
from precedent.api.routes_incidents import values
from precedent.browse import incidents_per_week, recurring_patterns
from precedent.errors import InvalidQuery
from precedent.ingest import BackgroundSync
from precedent.model import Viewer
from precedent.responses import (
    RecurringResponse,
    SearchResponse,
    SyncStatusResponse,
    WeeklyIncidentsResponse,
)
from precedent.retrieval import KINDS, Catalog, SearchKind, search_map
from precedent.store import GraphStore

__all__ = ["ADMIN_ROUTES", "STATS_ROUTES"]

_KINDS = ", ".join(KINDS)
_KIND = "(" + "|".join(KINDS) + ")"
_KINDS_PATTERN = rf"^ *{_KIND} *(, *{_KIND} *)*$"


@get("/v1/search", responses=problem_responses(400, 503))
async def search(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    q: Annotated[str, QueryParameter(min_length=1, description="words to look for")],
    kinds: Annotated[
        str | None,
        QueryParameter(
            description=f"comma-separated kinds to search ({_KINDS}); all when left out",
            # Documented, but checked below: litestar's own refusal would show the regex.
            schema_extra={"pattern": _KINDS_PATTERN},
        ),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100, description="how many hits")] = 20,
) -> SearchResponse:
    """Incidents, post-mortems, follow-ups, updates and services matching the words, best first.

    The store's lexical (BM25) search over their text, and service names and aliases; only what
    the token may see.
    """
    wanted = values(kinds)
    unknown = [kind for kind in wanted if kind not in KINDS]
    if unknown:
        raise InvalidQuery(f"unknown kind {unknown[0]!r} in kinds; use any of {_KINDS}, separated by commas")
    if kinds is not None and re.fullmatch(_KINDS_PATTERN, kinds) is None:
        raise InvalidQuery(
            f"kinds {kinds!r} is not a list of kinds: give one or more of {_KINDS}, separated by "
            "commas, or leave kinds out to search them all"
        )
    hits = await search_map(
        store, None, q, viewer=viewer, kinds=[cast("SearchKind", k) for k in wanted], mode="text", limit=limit
    )
    return SearchResponse.from_hits(q, hits)


@get("/v1/stats/incidents-per-week", responses=problem_responses(400, 404, 503))
async def per_week(
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    weeks: Annotated[int, QueryParameter(ge=1, le=104, description="how many weeks, this one included")] = 12,
    service: Annotated[
        str | None, QueryParameter(description="only this service (id, name or alias)")
    ] = None,
) -> WeeklyIncidentsResponse:
    """Incidents declared per week (Monday to Sunday, UTC), oldest week first."""
    counts = await incidents_per_week(store, catalog, viewer, weeks=weeks, service=service)
    return WeeklyIncidentsResponse.from_counts(service, counts)


@get("/v1/stats/recurring", responses=problem_responses(400, 503))
async def recurring(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    days: Annotated[int, QueryParameter(ge=1, le=730, description="look back this many days")] = 90,
    min_incidents: Annotated[
        int, QueryParameter(ge=2, le=100, description="fewest incidents a pattern holds")
    ] = 2,
    min_similarity: Annotated[
        float,
        QueryParameter(gt=0.0, le=1.0, description="cosine at which two incidents are the same failure"),
    ] = 0.8,
    limit: Annotated[int, QueryParameter(ge=1, le=100, description="how many patterns")] = 20,
) -> RecurringResponse:
    """Recurring failures: similar incidents on one service in the window, with their open follow-ups.

    Compares the newest 2,000 incidents of the window at most, by their stored embeddings.
    """
    patterns = await recurring_patterns(
        store, viewer, days=days, min_incidents=min_incidents, min_similarity=min_similarity, limit=limit
    )
    return RecurringResponse.from_patterns(patterns)


@get("/v1/stats/sync", responses=problem_responses(400, 503))
async def sync_stats(
    sync: NamedDependency[BackgroundSync], viewer: NamedDependency[Viewer]
) -> SyncStatusResponse:
    """The map's sync: progress of the run in flight (whichever process runs it) and the last run's report.

    Its counts include private incidents: a token without `read:private` gets them left out.
    """
    status = SyncStatusResponse.from_status(await sync.status())
    return status if viewer.include_private else status.without_counts()


@post(
    "/v1/admin/sync",
    status_code=202,
    opt={"scope": "admin"},
    security=scope_security("admin"),
    responses=problem_responses(400, 409, 503),
)
async def start_sync(sync: NamedDependency[BackgroundSync]) -> SyncStatusResponse:
    """Start an incremental sync from incident.io in the background (409 while one runs). Needs `admin`."""
    return SyncStatusResponse.from_status(await sync.start())


@get(
    "/v1/admin/sync",
    opt={"scope": "admin"},
    security=scope_security("admin"),
    responses=problem_responses(400, 503),
)
async def sync_progress(sync: NamedDependency[BackgroundSync]) -> SyncStatusResponse:
    """The map's sync: its progress and last report. Needs the `admin` scope."""
    return SyncStatusResponse.from_status(await sync.status())


STATS_ROUTES = [search, per_week, recurring, sync_stats]
ADMIN_ROUTES = [start_sync, sync_progress]
