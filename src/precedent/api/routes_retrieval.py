"""HTTP routes for similar incidents and neighbourhoods: parse, call retrieval, return responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from precedent.api.errors import problem_responses
from precedent.api.examples import INCIDENT_DETAIL_EXAMPLE, answer_with_example
from precedent.api.requests import DescribedIncidentRequest, limit_parameter
from precedent.errors import InvalidQuery
from precedent.model import Viewer
from precedent.responses import IncidentDetailResponse, NeighbourhoodResponse, SimilarResponse
from precedent.retrieval import (
    DEFAULT_NEIGHBOURHOOD_DEPTH,
    DEFAULT_NEIGHBOURHOOD_NODES,
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    Catalog,
    DescribedQuery,
    IncidentQuery,
    NeighbourhoodQuery,
    SimilarIncidentFinder,
    SimilarOptions,
    find_neighbourhood,
    incident_detail,
)
from precedent.store import GraphStore

__all__ = ["RETRIEVAL_ROUTES"]

T = TypeVar("T")


def _checked(build: Callable[..., T], **fields: object) -> T:
    """Build a query object, turning its own validation errors into a 400 that says why."""
    try:
        return build(**fields)
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from exc


Limit = Annotated[int, limit_parameter(SIMILAR_MAX_RESULTS, "how many results")]
Before = Annotated[
    datetime | None,
    QueryParameter(description="only what started earlier (ISO 8601 with a time zone)"),
]
After = Annotated[
    datetime | None, QueryParameter(description="only what started at or after (ISO 8601 with a time zone)")
]
# The bounds are published, and checked by NeighbourhoodQuery: a validator here would word the
# refusal its own way, not as the CLI and MCP say it.
Depth = Annotated[
    int,
    QueryParameter(
        description=f"hops from the centre (0 to {MAX_NEIGHBOURHOOD_DEPTH})",
        schema_extra={"minimum": 0, "maximum": MAX_NEIGHBOURHOOD_DEPTH},
    ),
]
Labels = Annotated[list[str] | None, QueryParameter(description="only reach nodes with these labels")]
RelTypes = Annotated[list[str] | None, QueryParameter(description="only follow these relationship types")]
MaxNodes = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_NEIGHBOURHOOD_NODES, description="node cap (`truncated` says when hit)"),
]


@get(
    "/v1/incidents/{incident:str}",
    operation_id="getIncident",
    summary="One incident with its parts",
    tags=["incidents"],
    responses={
        **problem_responses(400, 404, 503),
        **answer_with_example(
            INCIDENT_DETAIL_EXAMPLE,
            description="the incident with its services, teams, updates, post-mortems and lesson",
            summary="INC-42, closed, with its post-mortem's lesson and an open follow-up",
        ),
    },
)
async def get_incident(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
) -> IncidentDetailResponse:
    """An incident by id or reference (``INC-123``) with its parts: the services it affected, the
    teams concerned, its status updates (oldest first), its post-mortems, and what they teach
    (root cause, resolution, learnings, follow-ups), as the MCP tool `get_incident` and the
    notebook give it. A token without `read:private` sees no private incident, nor any private
    part. `/updates`, `/postmortem`, `/follow-ups` and `/actions` page through each part.
    """
    return IncidentDetailResponse.from_detail(await incident_detail(store, catalog, incident, viewer))


@get(
    "/v1/incidents/{incident:str}/similar",
    operation_id="findSimilarToIncident",
    summary="Past incidents similar to one in the map",
    tags=["similar"],
    responses=problem_responses(400, 404, 503),
)
async def similar_to_incident(
    incident: FromPath[str],
    finder: NamedDependency[SimilarIncidentFinder],
    viewer: NamedDependency[Viewer],
    limit: Limit = SIMILAR_DEFAULT_RESULTS,
    before: Before = None,
    exclude: Annotated[list[str] | None, QueryParameter(description="incident ids never to return")] = None,
) -> SimilarResponse:
    """Past incidents similar to one in the map, posed as it looked when declared, with reasons."""
    options = _checked(
        SimilarOptions, before=before, exclude=frozenset(exclude or ()), limit=limit, viewer=viewer
    )
    return SimilarResponse.from_results(await finder.find(IncidentQuery(incident), options))


@post(
    "/v1/similar",
    operation_id="findSimilarToDescription",
    summary="Past incidents similar to one described",
    tags=["similar"],
    status_code=200,
    responses=problem_responses(400, 503),
)
async def similar_to_description(
    data: JSONBody[DescribedIncidentRequest],
    finder: NamedDependency[SimilarIncidentFinder],
    viewer: NamedDependency[Viewer],
) -> SimilarResponse:
    """Past incidents similar to an incident described in the request (it need not be in the map)."""
    query = DescribedQuery(
        name=data.name,
        summary=data.summary,
        services=tuple(data.services),
        severity=data.severity,
        incident_type=data.type,
        declared_at=data.declared_at,
    )
    options = _checked(
        SimilarOptions, before=data.before, exclude=frozenset(data.exclude), limit=data.limit, viewer=viewer
    )
    return SimilarResponse.from_results(await finder.find(query, options))


@get(
    "/v1/incidents/{incident:str}/neighbourhood",
    operation_id="getIncidentNeighbourhood",
    summary="An incident's neighbourhood",
    tags=["graph"],
    responses=problem_responses(400, 404, 503),
)
async def incident_neighbourhood(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    depth: Depth = DEFAULT_NEIGHBOURHOOD_DEPTH,
    label: Labels = None,
    rel: RelTypes = None,
    before: Before = None,
    after: After = None,
    max_nodes: MaxNodes = DEFAULT_NEIGHBOURHOOD_NODES,
) -> NeighbourhoodResponse:
    """The k-hop subgraph around an incident (by id or reference), in a stable order."""
    centre = {"incident": incident, "depth": depth, "before": before, "after": after, "max_nodes": max_nodes}
    return await _walk(store, catalog, viewer, centre, label, rel)


@get(
    "/v1/services/{service:str}/neighbourhood",
    operation_id="getServiceNeighbourhood",
    summary="A service's neighbourhood",
    tags=["graph"],
    responses=problem_responses(400, 404, 503),
)
async def service_neighbourhood(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    depth: Depth = DEFAULT_NEIGHBOURHOOD_DEPTH,
    label: Labels = None,
    rel: RelTypes = None,
    before: Before = None,
    after: After = None,
    max_nodes: MaxNodes = DEFAULT_NEIGHBOURHOOD_NODES,
) -> NeighbourhoodResponse:
    """The k-hop subgraph around a service (by id, name, external id or alias), in a stable order."""
    centre = {"service": service, "depth": depth, "before": before, "after": after, "max_nodes": max_nodes}
    return await _walk(store, catalog, viewer, centre, label, rel)


async def _walk(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    fields: dict[str, object],
    labels: list[str] | None,
    rel_types: list[str] | None,
) -> NeighbourhoodResponse:
    """The one neighbourhood walk both routes make, once their centre is named."""
    query = _checked(
        NeighbourhoodQuery, labels=tuple(labels or ()), rel_types=tuple(rel_types or ()), **fields
    )
    return NeighbourhoodResponse.from_subgraph(await find_neighbourhood(store, catalog, query, viewer))


RETRIEVAL_ROUTES = [
    get_incident,
    similar_to_incident,
    similar_to_description,
    incident_neighbourhood,
    service_neighbourhood,
]
