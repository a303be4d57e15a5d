"""HTTP routes for incidents: the filtered list and one incident's parts; each asks ``browse``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from precedent.api.errors import problem_responses
from precedent.api.requests import limit_parameter
from precedent.browse import (
    MAX_LIMIT,
    IncidentFilters,
    incident_actions,
    incident_follow_ups,
    incident_postmortems,
    incident_updates,
    list_incidents,
    related_incidents,
)
from precedent.model import Viewer
from precedent.responses import (
    ActionsResponse,
    FollowUpsResponse,
    IncidentPageResponse,
    PostmortemsResponse,
    RelatedIncidentsResponse,
    UpdatesResponse,
)
from precedent.retrieval import Catalog
from precedent.store import GraphStore

__all__ = ["INCIDENT_ROUTES", "Cursor", "PageLimit", "values"]

Values = Annotated[
    str | None, QueryParameter(description="one value, or several separated by commas (any matches)")
]
PageLimit = Annotated[int, limit_parameter(MAX_LIMIT, "page size")]
Cursor = Annotated[
    str | None, QueryParameter(description="the previous page's `next_cursor`; leave out for the first page")
]
Time = Annotated[datetime | None, QueryParameter(description="ISO 8601 with a time zone")]


def values(given: str | None) -> tuple[str, ...]:
    """The comma-separated values of a filter parameter, blanks dropped."""
    return tuple(part.strip() for part in (given or "").split(",") if part.strip())


@get(
    "/v1/incidents",
    operation_id="listIncidents",
    summary="List incidents",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def incidents(
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    status: Values = None,
    status_category: Values = None,
    severity: Values = None,
    type: Values = None,
    service: Values = None,
    team: Values = None,
    declared_after: Time = None,
    declared_before: Time = None,
    q: Annotated[
        str | None, QueryParameter(description="words to look for (the best 1,000 text matches)")
    ] = None,
    limit: PageLimit = 25,
    cursor: Cursor = None,
) -> IncidentPageResponse:
    """Incidents newest declared first, filtered (filters combine with AND), a page at a time.

    Status, status category, severity and type match incident.io's names in any case (one the
    map does not know is a 400 naming those it does); a service is named by id, name,
    external id or alias; a team by id or name (its incidents and those of services it owns).
    """
    filters = IncidentFilters(
        statuses=values(status),
        status_categories=values(status_category),
        severities=values(severity),
        types=values(type),
        services=values(service),
        teams=values(team),
        declared_after=declared_after,
        declared_before=declared_before,
        text=q,
    )
    page = await list_incidents(store, catalog, viewer, filters, limit=limit, cursor=cursor)
    return IncidentPageResponse.from_page(page)


@get(
    "/v1/incidents/{incident:str}/updates",
    operation_id="listIncidentUpdates",
    summary="An incident's status updates",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def updates(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> UpdatesResponse:
    """A page of an incident's status updates (by id or reference), oldest first."""
    found, page = await incident_updates(store, catalog, viewer, incident, limit=limit, cursor=cursor)
    return UpdatesResponse.from_page(found.id, page)


@get(
    "/v1/incidents/{incident:str}/postmortem",
    operation_id="listIncidentPostmortems",
    summary="An incident's post-mortems",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def postmortem(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: PageLimit = 20,
    cursor: Cursor = None,
) -> PostmortemsResponse:
    """A page of an incident's post-mortems with their sections (an empty list when it has none)."""
    found, page = await incident_postmortems(store, catalog, viewer, incident, limit=limit, cursor=cursor)
    return PostmortemsResponse.from_page(found.id, page)


@get(
    "/v1/incidents/{incident:str}/follow-ups",
    operation_id="listIncidentFollowUps",
    summary="An incident's follow-ups",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def follow_ups(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> FollowUpsResponse:
    """A page of an incident's follow-ups, open ones first and flagged; `open` counts them all."""
    found, page, open_count = await incident_follow_ups(
        store, catalog, viewer, incident, limit=limit, cursor=cursor
    )
    return FollowUpsResponse.from_page(found.id, page, open_count)


@get(
    "/v1/incidents/{incident:str}/actions",
    operation_id="listIncidentActions",
    summary="An incident's actions",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def actions(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> ActionsResponse:
    """A page of the actions taken during an incident, oldest first."""
    found, page = await incident_actions(store, catalog, viewer, incident, limit=limit, cursor=cursor)
    return ActionsResponse.from_page(found.id, page)


@get(
    "/v1/incidents/{incident:str}/related",
    operation_id="listRelatedIncidents",
    summary="Incidents linked to an incident",
    tags=["incidents"],
    responses=problem_responses(400, 404, 503),
)
async def related(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> RelatedIncidentsResponse:
    """A page of the incidents people linked to this one in incident.io (either way), newest first."""
    found, page = await related_incidents(store, catalog, viewer, incident, limit=limit, cursor=cursor)
    return RelatedIncidentsResponse.from_page(found.id, page)


INCIDENT_ROUTES = [incidents, updates, postmortem, follow_ups, actions, related]
