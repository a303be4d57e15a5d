"""HTTP routes for similar incidents and neighbourhoods: parse, call retrieval, return DTOs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from precedent.api.dto import (
    DescribedIncidentDTO,
    NeighbourhoodDTO,
    NodeDTO,
    SimilarResponseDTO,
)
from precedent.errors import InvalidQuery, NotFound
from precedent.model import Node, Viewer
from precedent.retrieval import (
    DescribedQuery,
    IncidentQuery,
    SimilarIncidentFinder,
    SimilarOptions,
    results_json,
)
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.neighbourhood import NeighbourhoodQuery, find_neighbourhood, neighbourhood_json
from precedent.store import GraphStore

__all__ = ["RETRIEVAL_ROUTES"]

T = TypeVar("T")


def _checked(build: Callable[..., T], **fields: object) -> T:
    """Build a query object, turning its own validation errors into a 400 that says why."""
    try:
        return build(**fields)
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from exc


Limit = Annotated[int, QueryParameter(ge=1, le=100, description="how many results")]


async def _visible_incident(catalog: Catalog, key: str, viewer: Viewer) -> Node:
    """Return the incident; one the viewer may not see is not found (its existence is private too)."""
    found = await catalog.incident(key)
    if not viewer.can_see(found):
        raise NotFound("incident", key)
    return found


@get("/v1/incidents/{incident:str}")
async def get_incident(
    incident: FromPath[str], catalog: NamedDependency[Catalog], viewer: NamedDependency[Viewer]
) -> NodeDTO:
    """An incident by id or reference (``INC-123``)."""
    return NodeDTO.from_node(await _visible_incident(catalog, incident, viewer))


@get("/v1/incidents/{incident:str}/similar")
async def similar_to_incident(
    incident: FromPath[str],
    finder: NamedDependency[SimilarIncidentFinder],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    limit: Limit = 10,
    before: Annotated[
        datetime | None, QueryParameter(description="only incidents that started earlier")
    ] = None,
    exclude: Annotated[list[str] | None, QueryParameter(description="incident ids never to return")] = None,
) -> SimilarResponseDTO:
    """Past incidents similar to one in the map, posed as it looked when declared, with reasons."""
    await _visible_incident(catalog, incident, viewer)
    options = _checked(
        SimilarOptions,
        before=before,
        exclude=frozenset(exclude or ()),
        limit=limit,
        include_private=viewer.include_private,
    )
    results = await finder.find(IncidentQuery(incident), options)
    return SimilarResponseDTO.model_validate(results_json(results))


@post("/v1/similar", status_code=200)
async def similar_to_description(
    data: JSONBody[DescribedIncidentDTO],
    finder: NamedDependency[SimilarIncidentFinder],
    viewer: NamedDependency[Viewer],
) -> SimilarResponseDTO:
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
        SimilarOptions,
        before=data.before,
        exclude=frozenset(data.exclude),
        limit=data.limit,
        include_private=viewer.include_private,
    )
    return SimilarResponseDTO.model_validate(results_json(await finder.find(query, options)))


@get("/v1/neighbourhood")
async def neighbourhood(
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    incident: FromQuery[str | None] = None,
    service: FromQuery[str | None] = None,
    depth: Annotated[int, QueryParameter(ge=0, le=4)] = 2,
    label: Annotated[list[str] | None, QueryParameter(description="only reach these labels")] = None,
    rel: Annotated[
        list[str] | None, QueryParameter(description="only follow these relationship types")
    ] = None,
    before: FromQuery[datetime | None] = None,
    after: FromQuery[datetime | None] = None,
    max_nodes: Annotated[int, QueryParameter(ge=1, le=5000)] = 200,
) -> NeighbourhoodDTO:
    """The k-hop subgraph around an incident or a service, as stable JSON."""
    query = _checked(
        NeighbourhoodQuery,
        incident=incident,
        service=service,
        depth=depth,
        labels=tuple(label or ()),
        rel_types=tuple(rel or ()),
        before=before,
        after=after,
        max_nodes=max_nodes,
        include_private=viewer.include_private,
    )
    subgraph = await find_neighbourhood(store, catalog, query)
    return NeighbourhoodDTO.model_validate(neighbourhood_json(subgraph))


RETRIEVAL_ROUTES = [get_incident, similar_to_incident, similar_to_description, neighbourhood]
