"""How a change on a service can reach the affected services: the dependency path between them.

Pure: walks DEPENDS_ON edges already read from the store. A path is a chain of dependencies
(``upstream``), of dependents (``downstream``), or both up to a service both depend on
(``nearby``). A route that turns at a service depending on both (``checkout <- gateway ->
search``) is no path: a change on search cannot reach checkout along it (``unlinked``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.retrieval.paths import DEPENDS_ON, Route

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.investigation.results import Relation
    from precedent.model import Edge

__all__ = ["closeness", "linked_routes", "relation_of"]

_CLOSENESS: dict[Relation, int] = {"affected": 0, "upstream": 1, "downstream": 2, "nearby": 3, "unlinked": 4}


def relation_of(route: Route) -> Relation:
    """Where a route from an affected service ends (``Change.relation``).

    Dependencies first, then dependents (``checkout -> payments-api <- ledger``): both depend on
    the service where it turns, and a change on one reaches the other there (``nearby``).
    Dependents first (``checkout <- gateway -> search``): only gateway depends on both
    (``unlinked``).
    """
    if not route.steps:
        return "affected"
    directions = [forward for _, forward, _ in route.steps]
    if all(directions):
        return "upstream"
    if not any(directions):
        return "downstream"
    turn = directions.index(False)
    return "nearby" if not any(directions[turn:]) else "unlinked"


def closeness(relation: Relation) -> int:
    """How close a relation is, 0 for an affected service: ``upstream`` first, ``unlinked`` last."""
    return _CLOSENESS[relation]


def _order(route: Route) -> tuple[int, int, str, tuple[tuple[str, bool, str], ...]]:
    return (route.hops, closeness(relation_of(route)), route.origin, route.steps)


def _dependencies(start: str, forward: dict[str, list[str]], hops: int) -> dict[str, tuple[str, ...]]:
    """What ``start`` depends on within ``hops``, each with the shortest chain to it (``start`` first)."""
    chains: dict[str, tuple[str, ...]] = {start: (start,)}
    frontier = [start]
    for _ in range(hops):
        reached = []
        for node in frontier:
            for dependency in forward.get(node, ()):
                if dependency not in chains:
                    chains[dependency] = (*chains[node], dependency)
                    reached.append(dependency)
        frontier = reached
    return chains


def linked_routes(
    origins: Iterable[str], targets: Iterable[str], edges: Iterable[Edge], hops: int
) -> dict[str, Route]:
    """Per target, the shortest dependency path from an affected service, if one is within ``hops``.

    Ties go to the closest relation (``upstream``, ``downstream``, then ``nearby``), then to the
    smaller origin and ids, so the path said is the same on every run and store. A target with
    no such path is left out.

    Args:
        origins: The affected services' ids.
        targets: Service ids to reach.
        edges: DEPENDS_ON edges around them (other types are ignored).
        hops: The longest path kept.
    """
    forward: dict[str, list[str]] = {}
    for edge in sorted(edges, key=lambda e: (e.source, e.target)):
        if edge.type == DEPENDS_ON and edge.source != edge.target:
            forward.setdefault(edge.source, []).append(edge.target)
    ours = {origin: _dependencies(origin, forward, hops) for origin in sorted(set(origins))}
    found: dict[str, Route] = {}
    for target in targets:
        theirs = _dependencies(target, forward, hops)
        for origin, chains in ours.items():
            # Up from the origin to a service both depend on, then down to the target: an
            # upstream path turns at the target, a downstream one at the origin.
            for shared in chains.keys() & theirs.keys():
                nodes = chains[shared] + theirs[shared][::-1][1:]
                if len(nodes) - 1 > hops or len(set(nodes)) < len(nodes):
                    continue
                turn = len(chains[shared]) - 1
                steps = tuple((DEPENDS_ON, at < turn, node) for at, node in enumerate(nodes[1:]))
                route = Route(origin, steps)
                if target not in found or _order(route) < _order(found[target]):
                    found[target] = route
    return found
