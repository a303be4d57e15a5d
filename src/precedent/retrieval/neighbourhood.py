"""The k-hop neighbourhood of an incident or a service, as stable JSON for people and tools.

One ``subgraph`` call with label, relationship, time and visibility filters and a node cap; the
output is sorted (nodes by id, edges by source, type, target) so two runs diff clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.model import GraphFilter

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.model import Node, Subgraph, Visibility
    from precedent.retrieval.catalog import Catalog
    from precedent.retrieval.formatting import JSONValue
    from precedent.store.base import GraphStore

__all__ = ["NeighbourhoodQuery", "find_neighbourhood", "neighbourhood_json"]


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
        include_private: Whether the caller may see private incidents and their parts.
    """

    incident: str | None = None
    service: str | None = None
    depth: int = 2
    labels: tuple[str, ...] = ()
    rel_types: tuple[str, ...] = ()
    before: datetime | None = None
    after: datetime | None = None
    max_nodes: int = 200
    include_private: bool = False

    def __post_init__(self) -> None:
        if (self.incident is None) == (self.service is None):
            raise ValueError("name exactly one centre: an incident or a service")
        if self.depth < 0 or self.max_nodes < 1:
            raise ValueError("depth must be >= 0 and max_nodes >= 1")


async def find_neighbourhood(store: GraphStore, catalog: Catalog, query: NeighbourhoodQuery) -> Subgraph:
    """Resolve the centre and walk its neighbourhood.

    Raises:
        NotFound: if the centre is not in the map, or is private and the caller may not see it.
    """
    visibilities: tuple[Visibility, ...] = ("public", "private") if query.include_private else ("public",)
    if query.incident is not None:
        centre = await catalog.incident(query.incident)
        if centre.visibility not in visibilities:
            raise NotFound("incident", query.incident)
    else:
        assert query.service is not None
        services, _ = await catalog.services((query.service,))
        if not services:
            raise NotFound("service", query.service)
        centre = services[0]
    graph_filter = GraphFilter(
        labels=query.labels,
        rel_types=query.rel_types,
        before=query.before,
        after=query.after,
        visibilities=visibilities,
    )
    return await store.subgraph(
        [centre.id], depth=query.depth, graph_filter=graph_filter, max_nodes=query.max_nodes
    )


def _node_json(node: Node) -> dict[str, JSONValue]:
    properties: dict[str, JSONValue] = {k: _value(v) for k, v in sorted(node.properties.items())}
    properties["visibility"] = node.visibility
    if node.occurred_at is not None:
        properties["occurred_at"] = node.occurred_at.isoformat()
    return {"id": node.id, "labels": [node.label], "properties": properties}


def _value(value: object) -> JSONValue:
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def neighbourhood_json(subgraph: Subgraph) -> dict[str, JSONValue]:
    """Render a neighbourhood as ``{"nodes": [...], "edges": [...], "truncated": bool}``.

    Nodes are ``{"id", "labels", "properties"}`` sorted by id; edges are
    ``{"source", "target", "type", "properties"}`` sorted by (source, type, target).
    """
    nodes: list[JSONValue] = [_node_json(n) for n in sorted(subgraph.nodes, key=lambda n: n.id)]
    edges: list[JSONValue] = [
        {
            "source": e.source,
            "target": e.target,
            "type": e.type,
            "properties": {k: _value(v) for k, v in sorted(e.properties.items())},
        }
        for e in sorted(subgraph.edges, key=lambda e: (e.source, e.type, e.target))
    ]
    return {"nodes": nodes, "edges": edges, "truncated": subgraph.truncated}
