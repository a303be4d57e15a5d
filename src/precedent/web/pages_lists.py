"""The lists a responder guesses the address of, or reaches from the home page's counts.

``/ui/incidents`` is ``GET /v1/incidents`` as a page (the same ``list_incidents`` read, filters,
cursor, response model and viewer) with the services each incident affected; ``/ui/services`` is
``GET /v1/services`` with how many incidents each had in the home page's hotspot window;
``/ui/teams`` is ``GET /v1/teams``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from precedent.browse import (
    HOTSPOT_WEEKS,
    MAX_LIMIT,
    IncidentFilters,
    incidents_per_service,
    list_incidents,
    list_services,
    list_teams,
)
from precedent.browse.lookup import display_name
from precedent.errors import InvalidQuery, NotFound
from precedent.investigation.context import ACTIVE_CATEGORIES
from precedent.model import GraphFilter, Viewer
from precedent.responses import IncidentPageResponse, ServiceListResponse, TeamListResponse
from precedent.retrieval import Catalog
from precedent.store import GraphStore
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["LIST_PAGES", "PLACE_LOST"]

INCIDENTS_PER_PAGE = 25
# The API's words for a cursor it refuses ("pass the previous page's next_cursor unchanged") ask a
# reader for what only a program holds: a page says what happened to the link, and the page links
# back to the first page under it.
PLACE_LOST = (
    "This link's place in the list does not fit it: it was made for other filters or for another "
    "sign-in, or was cut short. Start again from the {first}."
)


def _refusal(refused: InvalidQuery | NotFound, first: str) -> str:
    """What a list page says of a filter or cursor the list refused."""
    return PLACE_LOST.format(first=first) if refused.field == "cursor" else str(refused)


def _address(path: str, cursor: str | None = None, **kept: str) -> str:
    """A page of a list: the same filters (several values comma-separated), the API's cursor."""
    query = {**{k: v for k, v in kept.items() if v}, **({"cursor": cursor} if cursor else {})}
    # Commas kept as typed, so the address reads as the API's (``status=Triage,Fixing``).
    return f"{path}?{urlencode(query, safe=',')}" if query else path


def _values(given: list[str] | None) -> tuple[str, ...]:
    """A filter's values, as the API takes them (``status=a,b``) or as a form's ticked boxes send
    them (``status=a&status=b``): each once, in the order given, blanks dropped."""
    parts = (part.strip() for value in given or () for part in value.split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


async def _open_statuses(store: GraphStore) -> tuple[str, ...]:
    """The statuses of an incident still being worked on (as the incident page's "still open"),
    in the order incidents go through them: a handful of nodes, read each time as ``names`` does."""
    ranked: list[tuple[float, str]] = []
    async for status in store.scan_nodes(["IncidentStatus"]):
        name, rank = str(status.properties.get("name") or ""), status.properties.get("rank")
        if name and str(status.properties.get("category", "")).lower() in ACTIVE_CATEGORIES:
            ranked.append((float(rank) if isinstance(rank, int | float) else 0.0, name))
    return tuple(name for _, name in sorted(ranked))


@get("/incidents", name="web:incidents")
async def incidents_page(
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    service: FromQuery[list[str] | None] = None,
    status: FromQuery[list[str] | None] = None,
    team: FromQuery[list[str] | None] = None,
    cursor: FromQuery[str | None] = None,
) -> Template:
    """Incidents newest declared first, by services, statuses and teams, a page at a time.

    Several statuses or services are any of them, as in the API: ``status=Triage,Investigating``,
    or the form's ticked boxes. A team (a team page's link) keeps the incidents on it or on what
    it owns. A filter the list refuses (a status the map does not know, a service it does not
    hold, a stale cursor) is this page saying why, a 400, its form kept to correct, as the search
    page does.
    """
    services, statuses, teams = _values(service), _values(status), _values(team)
    kept = {"service": ",".join(services), "status": ",".join(statuses), "team": ",".join(teams)}
    open_statuses = await _open_statuses(store)
    showing_open = {s.casefold() for s in statuses} == {s.casefold() for s in open_statuses}
    form: dict[str, Any] = {
        **kept,
        "chosen": statuses,
        # What responders ask for most: the boxes of the statuses still being worked on, ticked.
        "open_ones": None
        if showing_open or not open_statuses
        else _address("/ui/incidents", **{**kept, "status": ",".join(open_statuses)}),
        # Kept by the form (a hidden field), said above it, and a way to drop it.
        "any_team": _address("/ui/incidents", service=kept["service"], status=kept["status"]),
        # In the order an incident goes through them (the map ranks them so), open ones first.
        "statuses": tuple(reversed(await catalog.names("IncidentStatus"))),
        # Back to the first page from a later one, or from a cursor the list refused.
        "newest_page": _address("/ui/incidents", **kept) if cursor else None,
    }
    filters = IncidentFilters(statuses=statuses, services=services, teams=teams)
    try:
        found = await list_incidents(
            store, catalog, viewer, filters, limit=INCIDENTS_PER_PAGE, cursor=cursor or None
        )
    except (InvalidQuery, NotFound) as refused:
        return page(
            "incidents.html",
            session,
            status_code=400,
            title="Incidents",
            **form,
            refused=_refusal(refused, "newest incidents"),
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
        first_page=not cursor,
        next_page=listed.next_cursor and _address("/ui/incidents", listed.next_cursor, **kept),
    )


async def _catalog_list(
    session: PageSession,
    template: str,
    path: str,
    cursor: str | None,
    read: Callable[[str | None], Awaitable[tuple[dict[str, Any], str | None]]],
    **shown: Any,
) -> Template:
    """A page of the catalog's services or teams: ``read`` gives a page's context and next cursor.

    A cursor the list refuses (an old bookmark, a copied address cut short) is this page saying
    why, a 400, with the way back to its first page.
    """
    first_page = _address(path) if cursor else None
    try:
        listed, next_cursor = await read(cursor or None)
    except InvalidQuery as refused:
        return page(
            template,
            session,
            status_code=400,
            first_page=first_page,
            refused=_refusal(refused, "first page"),
            **shown,
        )
    return page(
        template,
        session,
        refused=None,
        first_page=first_page,
        next_page=next_cursor and _address(path, next_cursor),
        **listed,
        **shown,
    )


@get("/services", name="web:services")
async def services_page(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The catalog's services by name, their owners and their incidents in the hotspot window."""

    async def read(at: str | None) -> tuple[dict[str, Any], str | None]:
        listed = ServiceListResponse.from_page(await list_services(store, viewer, limit=MAX_LIMIT, cursor=at))
        counts = await incidents_per_service(store, viewer, weeks=HOTSPOT_WEEKS)
        return {"services": listed.items, "incidents": counts}, listed.next_cursor

    return await _catalog_list(
        session, "services.html", "/ui/services", cursor, read, title="Services", weeks=HOTSPOT_WEEKS
    )


@get("/teams", name="web:teams")
async def teams_page(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The teams by name, with how many members and services each has; each links to its page."""

    async def read(at: str | None) -> tuple[dict[str, Any], str | None]:
        listed = TeamListResponse.from_page(await list_teams(store, viewer, limit=MAX_LIMIT, cursor=at))
        return {"teams": listed.items}, listed.next_cursor

    return await _catalog_list(session, "teams.html", "/ui/teams", cursor, read, title="Teams")


LIST_PAGES = [incidents_page, services_page, teams_page]
