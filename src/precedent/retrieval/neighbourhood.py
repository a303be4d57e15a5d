"""The k-hop neighbourhood of an incident or a service, for people and tools.

One ``subgraph`` call with label, relationship, time and visibility filters and a node cap;
``responses.NeighbourhoodResponse`` renders it in a stable order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.model import GraphFilter
from precedent.retrieval.catalog import unknown_service
from precedent.retrieval.query import check_window

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.model import Subgraph, Viewer
    from precedent.retrieval.catalog import Catalog
    from precedent.store.base import GraphStore

__all__ = ["MAX_NEIGHBOURHOOD_DEPTH", "NeighbourhoodQuery", "find_neighbourhood"]

MAX_NEIGHBOURHOOD_DEPTH = 4
"""The most hops a neighbourhood walks, for every caller (API, MCP, CLI): beyond it a walk reaches
most of a connected map, which is no neighbourhood and costs the store a full traversal."""


@dataclass(frozen=True)
class NeighbourhoodQuery:
    """Which neighbourhood to walk.

    Attributes:
        incident: Centre incident, by id or reference (exactly one of incident/service).
        service: Centre service, by id, name, external id or alias.
        depth: Hops from the centre.
        labels: Only reach nodes with these labels (the centre is always kept).
        rel_types: Only follow these relationship types (empty: all).
        before: Skip nodes that occurred at or after this time (nodes with no time pass).
        after: Skip nodes that occurred before this time (nodes with no time pass).
        max_nodes: Node cap; the answer says when it was reached.
    """

    incident: str | None = None
    service: str | None = None
    depth: int = 2
    labels: tuple[str, ...] = ()
    rel_types: tuple[str, ...] = ()
    before: datetime | None = None
    after: datetime | None = None
    max_nodes: int = 200

    def __post_init__(self) -> None:
        if (self.incident is None) == (self.service is None):
            raise ValueError("name exactly one centre: an incident or a service")
        if not 0 <= self.depth <= MAX_NEIGHBOURHOOD_DEPTH:
            raise InvalidQuery.depth_out_of_range(self.depth, MAX_NEIGHBOURHOOD_DEPTH)
        if self.max_nodes < 1:
            raise ValueError("max_nodes must be >= 1")
        check_window(self.after, self.before)


async def find_neighbourhood(
    store: GraphStore, catalog: Catalog, query: NeighbourhoodQuery, viewer: Viewer
) -> Subgraph:
    """Resolve the centre and walk its neighbourhood, showing only what ``viewer`` may see.

    Raises:
        NotFound: if the centre is not in the map, or is private and the viewer may not see it.
    """
    if query.incident is not None:
        centre = await catalog.incident(query.incident, viewer)
    else:
        assert query.service is not None
        services, _ = await catalog.services((query.service,))
        if not services:
            raise await unknown_service(store, query.service)
        centre = services[0]
    graph_filter = GraphFilter(
        labels=query.labels,
        rel_types=query.rel_types,
        before=query.before,
        after=query.after,
        visibilities=viewer.visibilities,
    )
    return await store.subgraph(
        [centre.id], depth=query.depth, graph_filter=graph_filter, max_nodes=query.max_nodes
    )
