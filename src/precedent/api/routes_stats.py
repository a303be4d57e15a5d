"""HTTP routes for search across the map, figures over incidents, and the sync: parse, ask, render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from precedent.api.auth import scope_security
from precedent.api.errors import problem_responses
from precedent.api.requests import limit_parameter
from precedent.browse import MAX_LIMIT, incidents_per_week, recurring_patterns
from precedent.embedding import Embedder
from precedent.ingest import BackgroundSync
from precedent.model import Viewer
from precedent.responses import (
    RecurringResponse,
    SearchResponse,
    SyncStatusResponse,
    WeeklyIncidentsResponse,
)
from precedent.retrieval import (
    KINDS,
    KINDS_PATTERN,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_RESULTS,
    Catalog,
    SearchMode,
    SearchQuery,
    kinds_in,
)
from precedent.store import GraphStore

__all__ = ["ADMIN_ROUTES", "STATS_ROUTES"]

_KINDS = ", ".join(KINDS)

# The bounds are published, and checked by SearchQuery: a validator here would word the refusal
# its own way, not as the CLI, the page and MCP say it.
Hits = Annotated[int, limit_parameter(SEARCH_MAX_RESULTS, "how many hits")]
SearchText = Annotated[
    str,
    QueryParameter(
        description=f"words or a description to look for (up to {SEARCH_MAX_CHARS} characters)",
        schema_extra={"minLength": 1, "maxLength": SEARCH_MAX_CHARS, "pattern": r"\S"},
    ),
]
SearchKinds = Annotated[
    str | None,
    QueryParameter(
        description=f"comma-separated kinds to search ({_KINDS}); all when left out",
        # Documented, but checked below: litestar's own refusal would show the regex.
        schema_extra={"pattern": KINDS_PATTERN},
    ),
]
Mode = Annotated[
    SearchMode,
    QueryParameter(
        description="hybrid (words and meaning, as every surface searches), text (words only) "
        "or semantic (meaning only)"
    ),
]
OccurredAfter = Annotated[
    datetime | None,
    QueryParameter(description="only what occurred at or after this (ISO 8601 with a time zone)"),
]
OccurredBefore = Annotated[
    datetime | None, QueryParameter(description="only what occurred before this (ISO 8601 with a time zone)")
]


@get(
    "/v1/search",
    operation_id="search",
    summary="Search the map",
    tags=["search"],
    responses=problem_responses(400, 503),
)
async def search(
    store: NamedDependency[GraphStore],
    embedder: NamedDependency[Embedder],
    viewer: NamedDependency[Viewer],
    q: SearchText,
    kinds: SearchKinds = None,
    mode: Mode = "hybrid",
    limit: Hits = SEARCH_DEFAULT_LIMIT,
    after: OccurredAfter = None,
    before: OccurredBefore = None,
) -> SearchResponse:
    """Incidents, post-mortems, follow-ups, updates and services matching the words or meaning, best first.

    By words and by meaning (`mode=hybrid`, the default): the store's lexical (BM25) search over
    their text, service names and aliases, and the nearest embeddings, fused by reciprocal rank.
    `mode=text` searches by words only, as this route did before it searched by meaning too. The
    same search as `precedent search`, the `/ui/search` page and the MCP `search` tool; only what
    the token may see.
    """
    query = SearchQuery(
        q,
        kinds=kinds_in(kinds),
        mode=mode,
        limit=limit,
        after=after,
        before=before,
    )
    return await SearchResponse.for_query(store, embedder, query, viewer)


@get(
    "/v1/stats/incidents-per-week",
    operation_id="getIncidentsPerWeek",
    summary="Incidents per week",
    tags=["stats"],
    responses=problem_responses(400, 404, 503),
)
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


@get(
    "/v1/stats/recurring",
    operation_id="listRecurringFailures",
    summary="Recurring failures",
    tags=["stats"],
    responses=problem_responses(400, 503),
)
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
    limit: Annotated[int, limit_parameter(MAX_LIMIT, "how many patterns")] = 20,
) -> RecurringResponse:
    """Recurring failures: similar incidents on one service in the window, with their open follow-ups.

    Compares the newest 2,000 incidents of the window at most, by their stored embeddings.
    """
    patterns = await recurring_patterns(
        store, viewer, days=days, min_incidents=min_incidents, min_similarity=min_similarity, limit=limit
    )
    return RecurringResponse.from_patterns(patterns)


@get(
    "/v1/stats/sync",
    operation_id="getSyncStatus",
    summary="The map's sync",
    tags=["stats"],
    responses=problem_responses(400, 503),
)
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
    operation_id="startSync",
    summary="Start a sync",
    tags=["admin"],
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
    operation_id="getSyncProgress",
    summary="Sync progress and last report",
    tags=["admin"],
    opt={"scope": "admin"},
    security=scope_security("admin"),
    responses=problem_responses(400, 503),
)
async def sync_progress(sync: NamedDependency[BackgroundSync]) -> SyncStatusResponse:
    """The map's sync: its progress and last report. Needs the `admin` scope."""
    return SyncStatusResponse.from_status(await sync.status())


STATS_ROUTES = [search, per_week, recurring, sync_stats]
ADMIN_ROUTES = [start_sync, sync_progress]
