"""Shortest service paths over DEPENDS_ON (either direction) and the graph path text built from them.

Pure: the caller fetches the service neighbourhood once per query; these functions walk it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.retrieval.results import GraphPath, PathStep

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from precedent.model import Edge

__all__ = ["Route", "incident_path", "service_routes", "team_path"]

DEPENDS_ON = "DEPENDS_ON"


@dataclass(frozen=True)
class Route:
    """How a service is reached from one of the query's services.

    Attributes:
        origin: The query's service the route starts at.
        steps: ``(edge_type, forward, service_id)`` per hop; empty for the origin itself.
    """

    origin: str
    steps: tuple[tuple[str, bool, str], ...]

    @property
    def hops(self) -> int:
        """Number of DEPENDS_ON edges walked."""
        return len(self.steps)


def service_routes(origins: Iterable[str], edges: Iterable[Edge], max_hops: int) -> dict[str, Route]:
    """Breadth-first shortest routes from the query's services over DEPENDS_ON, both directions.

    Ties between equally short routes go to the smaller origin and neighbour ids, so the path
    an explanation shows is the same on every run and store.

    Args:
        origins: The query's service ids (hop 0).
        edges: Edges of the service neighbourhood; other types are ignored.
        max_hops: Longest route kept.
    """
    adjacency: dict[str, list[tuple[str, bool]]] = {}
    for edge in edges:
        if edge.type != DEPENDS_ON or edge.source == edge.target:
            continue
        adjacency.setdefault(edge.source, []).append((edge.target, True))
        adjacency.setdefault(edge.target, []).append((edge.source, False))
    routes = {origin: Route(origin, ()) for origin in sorted(set(origins))}
    frontier = deque(routes)
    while frontier:
        current = frontier.popleft()
        route = routes[current]
        if route.hops >= max_hops:
            continue
        for neighbour, forward in sorted(adjacency.get(current, ()), key=lambda n: (n[0], not n[1])):
            if neighbour not in routes:
                routes[neighbour] = Route(route.origin, (*route.steps, (DEPENDS_ON, forward, neighbour)))
                frontier.append(neighbour)
    return routes


def incident_path(start: str, route: Route, candidate: str, names: Mapping[str, str]) -> GraphPath:
    """``INC-90 -AFFECTS-> checkout -DEPENDS_ON-> payments-db <-AFFECTS- INC-47``.

    Args:
        start: How to name the query (its reference).
        route: The route from a query service to a service the candidate affects.
        candidate: How to name the past incident.
        names: Display names by node id (ids are shown when missing).
    """
    steps = [PathStep("AFFECTS", True, names.get(route.origin, route.origin))]
    steps += [PathStep(t, forward, names.get(node, node)) for t, forward, node in route.steps]
    steps.append(PathStep("AFFECTS", False, candidate))
    return GraphPath(start, tuple(steps), "same_service" if route.hops == 0 else "dependency")


def team_path(start: str, via: tuple[str, str, str], candidate: str, names: Mapping[str, str]) -> GraphPath:
    """``INC-90 -AFFECTS-> checkout -OWNED_BY-> payments-team <-OWNED_BY- ledger <-AFFECTS- INC-47``.

    Args:
        start: How to name the query.
        via: ``(query service, team, candidate service)`` ids.
        candidate: How to name the past incident.
        names: Display names by node id.
    """
    query_service, team, candidate_service = via
    steps = (
        PathStep("AFFECTS", True, names.get(query_service, query_service)),
        PathStep("OWNED_BY", True, names.get(team, team)),
        PathStep("OWNED_BY", False, names.get(candidate_service, candidate_service)),
        PathStep("AFFECTS", False, candidate),
    )
    return GraphPath(start, steps, "same_team")
