"""A service's context now, and recent changes to production, outside of any one incident.

Reuses the investigation's gathering (``context.gather_services``, ``changes.changes_near``) with
"now" as the time, so an agent asking about a service sees what an investigation would show.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery, NotFound
from precedent.ingest.changes import pending_changes
from precedent.investigation.changes import DEFAULT_WINDOW, change_from_node, changes_near
from precedent.investigation.context import Surroundings, gather_services
from precedent.model import GraphFilter
from precedent.retrieval.catalog import unknown_service
from precedent.retrieval.paths import Route

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.context import LiveOnCallSource
    from precedent.investigation.results import Change, ServiceContext
    from precedent.model import Node, Viewer
    from precedent.retrieval.catalog import Catalog
    from precedent.store.base import GraphStore

__all__ = ["SERVICE_CHANGES_WINDOW", "ServiceSnapshot", "recent_changes", "service_snapshot"]

SERVICE_CHANGES_WINDOW = timedelta(days=7)
"""The changes a service is shown with now, on its page and by ``precedent service``: the last week's."""


@dataclass(frozen=True)
class ServiceSnapshot:
    """A service as it stands at ``at``: owners, on-call, dependencies, incidents and nearby changes."""

    context: ServiceContext
    changes: tuple[Change, ...]
    at: datetime
    window: timedelta


async def _service(store: GraphStore, catalog: Catalog, key: str) -> Node:
    """Return the service named ``key`` (id, name, external id or alias).

    Raises:
        NotFound: if no service matches (suggesting those the caller may have meant).
    """
    services, _ = await catalog.services((key,))
    if not services:
        raise await unknown_service(store, key)
    return services[0]


async def service_snapshot(
    store: GraphStore,
    catalog: Catalog,
    key: str,
    *,
    viewer: Viewer,
    at: datetime,
    window: timedelta = DEFAULT_WINDOW,
    live: LiveOnCallSource | None = None,
) -> ServiceSnapshot:
    """Gather a service's context at ``at`` and the changes within two hops in ``[at - window, at]``.

    ``live`` asks incident.io who is on call when the synced schedule entries do not cover ``at``,
    as the on-call route and the team page do: without it, the service page said nobody was.

    Raises:
        NotFound: if no service matches ``key``.
    """
    service = await _service(store, catalog, key)
    gathered = await gather_services(
        store, [service.id], at=at, now=at, visibilities=viewer.visibilities, live=live
    )
    changes = await changes_near(
        store, gathered.around, at=at, window=window, visibilities=viewer.visibilities
    )
    return ServiceSnapshot(gathered.services[0], changes, at, window)


async def recent_changes(
    store: GraphStore,
    catalog: Catalog,
    *,
    service: str | None,
    since: datetime,
    until: datetime,
    viewer: Viewer,
    limit: int = 50,
) -> tuple[Change, ...]:
    """Changes in ``[since, until]``, newest first: on one service (by any of its names) or across the map.

    Raises:
        NotFound: if ``service`` names no service, nor one changes were recorded for.
        InvalidQuery: if ``since`` or ``until`` has no time zone.
        ValueError: if ``since`` is not before ``until``.
    """
    for name, bound in (("until", until), ("since", since)):
        if bound.tzinfo is None:
            raise InvalidQuery.no_time_zone(name, bound)
    if since >= until:
        raise ValueError("since must be before until")
    if service is not None:
        try:
            node = await _service(store, catalog, service)
        except NotFound:
            # A service CI deploys before the catalog has it: its changes wait for it under the
            # name recorded, as GET /v1/services/{name}/changes and `precedent changes list` show.
            pending = await pending_changes(store, service)
            if not pending:
                raise
            return tuple(
                change_from_node(n, None, service, None, until)
                for n in pending
                if n.occurred_at is not None and since <= n.occurred_at <= until and viewer.can_see(n)
            )[:limit]
        name = str(node.properties.get("name", node.id))
        own = Surroundings({node.id: Route(node.id, ())}, {node.id: name}, ())
        found = await changes_near(
            store, own, at=until, window=until - since, visibilities=viewer.visibilities
        )
        return tuple(sorted(found, key=_newest_first))[:limit]
    # Across the map: ChangeEvents are few beside incidents and parts; one ordered scan reads them.
    found_nodes: list[Node] = []
    scan = store.scan_nodes(["ChangeEvent"])
    async with contextlib.aclosing(scan) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            at = node.occurred_at
            if at is not None and since <= at <= until and viewer.can_see(node):
                found_nodes.append(node)
    found_nodes.sort(key=lambda n: (-(n.occurred_at.timestamp() if n.occurred_at else 0.0), n.id))
    del found_nodes[limit:]
    services = await _changed_services(store, [n.id for n in found_nodes])
    changes = []
    for node in found_nodes:
        service_id, service_name = services.get(node.id, (None, ""))
        changes.append(change_from_node(node, service_id, service_name, None, until))
    return tuple(changes)


async def _changed_services(store: GraphStore, change_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Change id -> (service id, service name) over CHANGED, in one walk."""
    if not change_ids:
        return {}
    sub = await store.subgraph(
        change_ids,
        depth=1,
        graph_filter=GraphFilter(labels=("Service",), rel_types=("CHANGED",), direction="out"),
        max_nodes=len(change_ids) * 4,
    )
    names = {n.id: str(n.properties.get("name", n.id)) for n in sub.nodes if n.label == "Service"}
    return {e.source: (e.target, names[e.target]) for e in sub.edges if e.target in names}


def _newest_first(change: Change) -> tuple[float, str]:
    return (-(change.started_at.timestamp() if change.started_at else 0.0), change.id)
