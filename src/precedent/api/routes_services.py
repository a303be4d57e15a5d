"""HTTP routes for services and hotspots: parse, call one ``browse`` read, return its response.

A service is named by id, name, external id or alias, as in its ``/changes`` and
``/neighbourhood`` routes (``browse.lookup``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from precedent.api.errors import problem_responses
from precedent.api.requests import limit_parameter
from precedent.browse import (
    MAX_LIMIT,
    ServiceFilter,
    dependencies,
    get_service,
    hotspots,
    list_services,
    service_hotspots,
    service_incidents,
    service_on_call,
    service_owners,
)
from precedent.investigation import LiveOnCallSource
from precedent.model import Viewer
from precedent.responses import (
    DependenciesResponse,
    HotspotsResponse,
    OnCallResponse,
    OwnersResponse,
    ServiceHotspotsResponse,
    ServiceIncidentsResponse,
    ServiceListResponse,
    ServiceResponse,
)
from precedent.retrieval import Catalog
from precedent.store import GraphStore

__all__ = ["Cursor", "PageSize", "SERVICE_ROUTES"]

PageSize = Annotated[int, limit_parameter(MAX_LIMIT, "items per page")]
Cursor = Annotated[
    str | None, QueryParameter(description="the previous page's `next_cursor`; leave out for the first page")
]
Depth = Annotated[int, QueryParameter(ge=1, le=3, description="DEPENDS_ON hops to follow")]
Weeks = Annotated[
    int, QueryParameter(ge=1, le=104, description="weeks in the window, the current one included")
]


@get(
    "/v1/services",
    operation_id="listServices",
    summary="List services",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def services(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    team: Annotated[
        str | None, QueryParameter(description="owned by this team (id, name or external id)")
    ] = None,
    q: Annotated[str | None, QueryParameter(description="name, external id or alias containing this")] = None,
    tier: Annotated[str | None, QueryParameter(description="the catalog's Tier attribute")] = None,
    attribute: Annotated[
        list[str] | None,
        QueryParameter(
            description="catalog attributes as `Name:value`, or `Name` to have it at all (all must hold)"
        ),
    ] = None,
    archived: Annotated[
        bool | None, QueryParameter(description="only archived (true) or live (false)")
    ] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> ServiceListResponse:
    """The catalog's services by name; filter by team, tier or any catalog attribute, or a name substring."""
    filters = ServiceFilter.from_parameters(
        team=team, q=q, tier=tier, attribute=attribute or (), archived=archived
    )
    page = await list_services(store, viewer, filters=filters, limit=limit, cursor=cursor)
    return ServiceListResponse.from_page(page)


@get(
    "/v1/services/{service:str}",
    operation_id="getService",
    summary="One service",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def service(
    service: FromPath[str], store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]
) -> ServiceResponse:
    """A service by id, name, external id or alias: catalog attributes, owners and counts."""
    return ServiceResponse.from_detail(await get_service(store, viewer, service))


@get(
    "/v1/services/{service:str}/incidents",
    operation_id="listServiceIncidents",
    summary="A service's incidents",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def incidents_on_service(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    status: Annotated[
        str | None,
        QueryParameter(
            description=(
                "a status name or category the map knows (`closed`, `live`...), in any case, or `open` "
                "for unresolved (400 naming them otherwise)"
            )
        ),
    ] = None,
    limit: PageSize = 20,
    cursor: Cursor = None,
) -> ServiceIncidentsResponse:
    """Incidents that affected a service, newest first."""
    page = await service_incidents(store, catalog, viewer, service, status=status, limit=limit, cursor=cursor)
    return ServiceIncidentsResponse.from_page(page)


async def _dependencies(
    store: GraphStore,
    service: str,
    direction: Literal["upstream", "downstream"],
    depth: int,
    limit: int,
    cursor: str | None,
) -> DependenciesResponse:
    page = await dependencies(store, service, direction=direction, depth=depth, limit=limit, cursor=cursor)
    return DependenciesResponse.from_page(direction, depth, page)


@get(
    "/v1/services/{service:str}/upstream",
    operation_id="listServiceUpstream",
    summary="What a service depends on",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def upstream(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    depth: Depth = 1,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> DependenciesResponse:
    """What a service depends on (DEPENDS_ON out of it), up to ``depth`` hops, nearest first."""
    return await _dependencies(store, service, "upstream", depth, limit, cursor)


@get(
    "/v1/services/{service:str}/downstream",
    operation_id="listServiceDownstream",
    summary="What depends on a service",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def downstream(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    depth: Depth = 1,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> DependenciesResponse:
    """What depends on a service (DEPENDS_ON into it), up to ``depth`` hops, nearest first."""
    return await _dependencies(store, service, "downstream", depth, limit, cursor)


@get(
    "/v1/services/{service:str}/owners",
    operation_id="getServiceOwners",
    summary="A service's owners",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def owners(service: FromPath[str], store: NamedDependency[GraphStore]) -> OwnersResponse:
    """A service's owning teams and their members."""
    return OwnersResponse.from_owners(await service_owners(store, service))


@get(
    "/v1/services/{service:str}/on-call",
    operation_id="getServiceOnCall",
    summary="Who is on call for a service",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def on_call(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    live_on_call: NamedDependency[LiveOnCallSource | None],
) -> OnCallResponse:
    """Who is on call now for a service: its own and its owning teams' schedules."""
    return OnCallResponse.from_on_call(await service_on_call(store, service, live=live_on_call))


@get(
    "/v1/services/{service:str}/hotspots",
    operation_id="getServiceHotspots",
    summary="A service's incidents per week",
    tags=["services"],
    responses=problem_responses(400, 404, 503),
)
async def service_weeks(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    weeks: Weeks = 12,
) -> ServiceHotspotsResponse:
    """Incidents per week on a service (weeks start Monday 00:00 UTC), oldest week first."""
    return ServiceHotspotsResponse.from_hotspots(await service_hotspots(store, viewer, service, weeks=weeks))


@get(
    "/v1/hotspots",
    operation_id="listHotspots",
    summary="Services ranked by recent incidents",
    tags=["services"],
    responses=problem_responses(400, 503),
)
async def ranked_hotspots(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    weeks: Weeks = 12,
    limit: PageSize = 20,
    cursor: Cursor = None,
) -> HotspotsResponse:
    """Services ranked by the incidents that started on them in the window, most first."""
    page = await hotspots(store, viewer, weeks=weeks, limit=limit, cursor=cursor)
    return HotspotsResponse.from_page(weeks, page)


SERVICE_ROUTES = [
    services,
    service,
    incidents_on_service,
    upstream,
    downstream,
    owners,
    on_call,
    service_weeks,
    ranked_hotspots,
]
