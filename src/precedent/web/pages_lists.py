"""The lists a responder guesses the address of, or reaches from the home page's counts.

``/ui/incidents`` is ``GET /v1/incidents`` as a page (the same ``list_incidents`` read, filters,
cursor, response model and viewer) with the services each incident affected; ``/ui/services`` is
``GET /v1/services`` with how many incidents each had in the home page's hotspot window.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from precedent.browse import MAX_LIMIT, IncidentFilters, hotspots, list_incidents, list_services
from precedent.browse.lookup import display_name
from precedent.errors import InvalidQuery, NotFound
from precedent.model import GraphFilter, Viewer
from precedent.responses import IncidentPageResponse, ServiceListResponse
from precedent.retrieval import Catalog
from precedent.store import GraphStore
from precedent.web.pages_home import HOTSPOT_WEEKS
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["LIST_PAGES"]

INCIDENTS_PER_PAGE = 25


def _next(path: str, cursor: str | None, **kept: str) -> str | None:
    """The next page's address: the same filters, the API's cursor."""
    if cursor is None:
        return None
    return f"{path}?{urlencode({**{k: v for k, v in kept.items() if v}, 'cursor': cursor})}"


@get("/incidents", name="web:incidents")
async def incidents_page(
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    service: FromQuery[str] = "",
    status: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    """Incidents newest declared first, by service and status, a page at a time.

    A filter the list refuses (a status the map does not know, a service it does not hold, a
    stale cursor) is this page saying why, a 400, its form kept to correct, as the search page does.
    """
    service, status = service.strip(), status.strip()
    form: dict[str, Any] = {
        "service": service,
        "status": status,
        "statuses": await catalog.names("IncidentStatus"),
    }
    filters = IncidentFilters(statuses=(status,) if status else (), services=(service,) if service else ())
    try:
        found = await list_incidents(
            store, catalog, viewer, filters, limit=INCIDENTS_PER_PAGE, cursor=cursor or None
        )
    except (InvalidQuery, NotFound) as refused:
        return page(
            "incidents.html", session, status_code=400, title="Incidents", **form, refused=str(refused)
        )
    listed = IncidentPageResponse.from_page(found)
    affects = GraphFilter(
        labels=("Service",), rel_types=("AFFECTS",), direction="out", visibilities=viewer.visibilities
    )
    affected = await store.neighbours_of([n.id for n in listed.items], affects)
    return page(
        "incidents.html",
        session,
        title="Incidents",
        **form,
        refused=None,
        incidents=[(n, sorted(display_name(s) for _, s in affected.get(n.id, []))) for n in listed.items],
        first_page=cursor is None,
        next_page=_next("/ui/incidents", listed.next_cursor, service=service, status=status),
    )


async def _incidents_per_service(store: GraphStore, viewer: Viewer) -> dict[str, int]:
    """Incidents per service in the hotspot window (services without one are left out)."""
    counts: dict[str, int] = {}
    cursor = None
    while True:
        ranked = await hotspots(store, viewer, weeks=HOTSPOT_WEEKS, limit=MAX_LIMIT, cursor=cursor)
        counts.update((h.service_id, h.incidents) for h in ranked.items)
        if (cursor := ranked.next_cursor) is None:
            return counts


@get("/services", name="web:services")
async def services_page(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The catalog's services by name, their owners and their incidents in the hotspot window."""
    listed = ServiceListResponse.from_page(await list_services(store, viewer, limit=MAX_LIMIT, cursor=cursor))
    return page(
        "services.html",
        session,
        title="Services",
        services=listed.items,
        incidents=await _incidents_per_service(store, viewer),
        weeks=HOTSPOT_WEEKS,
        next_page=_next("/ui/services", listed.next_cursor),
    )


LIST_PAGES = [incidents_page, services_page]
