"""Changes to production near an incident: on the affected services and within two DEPENDS_ON hops,
each with the dependency path a change on its service takes to an affected one (if any).

Reads ``ChangeEvent -CHANGED-> Service`` whatever recorded it (incident.io's catalog, or
``ingest.changes`` through the API or the CLI), so both kinds are used alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from precedent.investigation.context import MAX_HOPS, surroundings
from precedent.investigation.linked import linked_recent, shifted
from precedent.investigation.reach import closeness, linked_routes, relation_of
from precedent.investigation.results import Change, ChangeKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precedent.investigation.context import Surroundings
    from precedent.model import Node, Visibility
    from precedent.retrieval.paths import Route
    from precedent.store.base import GraphStore

__all__ = ["DEFAULT_WINDOW", "change_from_node", "changes_for_service", "changes_near"]

DEFAULT_WINDOW = timedelta(hours=24)
PER_SERVICE = 50
_FURTHEST = 4  # hops a dependency path is looked for before a change is said to have none

_KINDS: dict[str, ChangeKind] = {
    "deploy": "deploy",
    "deployment": "deploy",
    "release": "deploy",
    "config": "config",
    "configuration": "config",
    "feature_flag": "feature_flag",
    "flag": "feature_flag",
    "infrastructure": "infrastructure",
    "infra": "infrastructure",
}


def _text(props: Mapping[str, object], key: str) -> str | None:
    value = props.get(key)
    return str(value) if value is not None and str(value) else None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def change_from_node(
    node: Node,
    service_id: str | None,
    service_name: str,
    route: Route | None,
    at: datetime | None,
    via: str | None = None,
) -> Change:
    """Read a ChangeEvent node as a ``Change`` relative to an incident declared at ``at``.

    Args:
        node: The ChangeEvent.
        service_id: The changed service's id, when linked.
        service_name: Its name (the node's own ``service_name`` wins when recorded).
        route: How the changed service is reached from an affected one, if it is.
        at: The declaration time (``minutes_before`` is measured to it).
        via: The affected service's name the route starts at.
    """
    props = node.properties
    minutes = (at - node.occurred_at).total_seconds() / 60 if at and node.occurred_at else None
    return Change(
        id=node.id,
        service_id=service_id,
        service_name=_text(props, "service_name") or service_name,
        kind=_KINDS.get(str(props.get("kind", "")).lower(), "other"),
        summary=_text(props, "summary"),
        version=_text(props, "version"),
        author=_text(props, "author"),
        started_at=node.occurred_at,
        finished_at=_time(_text(props, "finished_at")),
        url=_text(props, "url"),
        commit_sha=_text(props, "commit_sha"),
        repository=_text(props, "repository"),
        source=_text(props, "source") or "catalog",
        relation=relation_of(route) if route else "affected",
        hops=route.hops if route else 0,
        via=via or service_name,
        minutes_before=round(minutes, 1) if minutes is not None else None,
    )


async def changes_near(
    store: GraphStore,
    around: Surroundings,
    *,
    at: datetime,
    window: timedelta = DEFAULT_WINDOW,
    visibilities: tuple[Visibility, ...] = ("public",),
) -> tuple[Change, ...]:
    """Changes on the affected services and those within two hops, in ``[at - window, at]``, newest first.

    Each is placed by the shortest dependency path from an affected service to its service
    (``reach.linked_routes``), up to four hops for one reached within two only through a service
    depending on both (one more store call), which is ``unlinked`` when there is none. A change
    that reached several services (one deploy linked twice) is listed once, at the closest.
    """
    if not around.routes:
        return ()
    found = await linked_recent(
        store,
        sorted(around.routes),
        label="ChangeEvent",
        edge_type="CHANGED",
        before=shifted(at, timedelta(seconds=1)),  # a change stamped at the declaration second counts
        after=shifted(at, -window),
        per_anchor=PER_SERVICE,
        visibilities=visibilities,
    )
    origins = sorted(service for service, route in around.routes.items() if not route.steps)
    changed = [service for service, nodes in found.items() if nodes]
    routes = linked_routes(origins, changed, around.edges, MAX_HOPS)
    names = dict(around.names)
    if beyond := [service for service in changed if service not in routes]:
        # Within two hops only through a service depending on both: before saying there is no
        # path, look for one up to four hops (from both ends, so two hops each way).
        wider = await surroundings(store, [*origins, *beyond])
        routes |= linked_routes(origins, beyond, wider.edges, _FURTHEST)
        names = wider.names | names
    best: dict[str, Change] = {}
    for service_id, nodes in found.items():
        # No path: the route it was found by, which says which service depends on both.
        route = routes.get(service_id, around.routes[service_id])
        through = tuple(names.get(node, node) for _, _, node in route.steps[:-1])
        for node in nodes:
            name = around.name(service_id)
            change = change_from_node(node, service_id, name, route, at, around.name(route.origin))
            change = replace(change, through=through)
            current = best.get(node.id)
            if current is None or _change_order(change) < _change_order(current):
                best[node.id] = change
    return tuple(sorted(best.values(), key=lambda c: (c.minutes_before or 0.0, c.id)))


def _change_order(change: Change) -> tuple[bool, int, int]:
    return (change.relation == "unlinked", change.hops, closeness(change.relation))


async def changes_for_service(
    store: GraphStore,
    service: Node,
    *,
    before: datetime | None = None,
    after: datetime | None = None,
    limit: int = 50,
) -> tuple[Change, ...]:
    """Changes recorded on one service (linked to it in the map), newest first.

    Args:
        store: The knowledge map.
        service: The Service node.
        before: Only changes that started strictly before this.
        after: Only changes that started at or after this.
        limit: At most this many.
    """
    name = str(service.properties.get("name", service.id))
    found = await linked_recent(
        store,
        [service.id],
        label="ChangeEvent",
        edge_type="CHANGED",
        before=before,
        after=after,
        per_anchor=limit,
        visibilities=("public", "private"),
    )
    return tuple(change_from_node(n, service.id, name, None, None) for n in found[service.id])
