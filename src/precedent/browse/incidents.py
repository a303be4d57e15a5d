"""Incidents as lists and parts: the filtered, paged list and what hangs off one incident.

Every list here is paged (``limit``, ``cursor`` -> ``next_cursor``); an incident's parts are few
enough to read whole and cut after the cursor's key (``paging.page_of``), in their documented order.

``list_incidents`` answers the API's ``/v1/incidents``, a service's and a person's incident lists
and the web pages' alike: filters become one ``NodeListing`` the store pages through newest
first, a text query narrows it to the store's best lexical matches. The part readers
(``incident_updates`` and the rest) resolve the incident for the viewer first, so a private
incident's parts answer 404 to a viewer who may not see it, like the incident itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from precedent.browse.lookup import find_team
from precedent.browse.paging import Page, check_limit, cursor_time, page_of
from precedent.cursors import decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery
from precedent.model import GraphFilter, NodeLink, NodeListing, SearchFilter
from precedent.retrieval.catalog import unknown_service
from precedent.retrieval.lessons import follow_up_summary
from precedent.retrieval.search import incidents_named, without_references
from precedent.store.matching import match_key

if TYPE_CHECKING:
    from precedent.cursors import Key
    from precedent.model import ListingKey, Node, Viewer
    from precedent.retrieval import Catalog
    from precedent.retrieval.catalog import Named
    from precedent.store import GraphStore

__all__ = [
    "TEXT_MATCHES",
    "FollowUp",
    "IncidentFilters",
    "PostmortemDocument",
    "RelatedIncident",
    "incident_actions",
    "incident_follow_ups",
    "incident_postmortems",
    "incident_updates",
    "list_incidents",
    "related_incidents",
]

TEXT_MATCHES = 1000
"""How many of the store's best text matches a ``text`` filter lists (newest first)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEAD_ROLE = "Lead"  # incident.io's lead role is "Incident Lead"; the edge joins a person's roles


@dataclass(frozen=True)
class IncidentFilters:
    """What an incident list keeps; empty fields keep everything, the values of one field are ORed.

    Attributes:
        statuses: Status names (``Investigating``, ``Closed``...).
        status_categories: Status categories (``live``, ``closed``, ``triage``...).
        severities: Severity names (``SEV1``...). These four are matched to the map's names in any
            case.
        types: Incident type names.
        services: Affected services, by id, name, external id or alias.
        teams: Teams, by id or name: incidents affecting the team or a service it owns (with
            ``services`` too: the named services the teams own).
        lead: A user id: only incidents this person led.
        declared_after: Declared at or after this time.
        declared_before: Declared strictly before this time.
        text: Words to look for (the store's lexical search; its best ``TEXT_MATCHES``).
    """

    statuses: tuple[str, ...] = ()
    status_categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    lead: str | None = None
    declared_after: datetime | None = None
    declared_before: datetime | None = None
    text: str | None = None


def _cursor(node: Node, query: object) -> str:
    assert node.occurred_at is not None  # listings hold dated nodes only
    return encode_cursor(((node.occurred_at - _EPOCH) // timedelta(microseconds=1), node.id), query=query)


def _start(cursor: str | None, query: object) -> ListingKey | None:
    key = decode_typed_cursor(cursor, int, str, query=query)
    return None if key is None else (cursor_time(int(key[0])), str(key[1]))


async def _link(
    store: GraphStore, catalog: Catalog, filters: IncidentFilters
) -> tuple[NodeLink | None, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The link a listed incident must have, and the ids of the services and teams it was named by.

    The ids, not the names as typed, are what a cursor is bound to: ``service=Payments-API`` on
    the next page is the same list as ``service=payments-api`` (or its id, or an alias).
    """
    if filters.lead is not None:
        if filters.services or filters.teams:
            raise InvalidQuery("filter by lead, or by service and team, not both")
        return NodeLink("ROLE_HELD_BY", frozenset({filters.lead}), ("role", _LEAD_ROLE)), ((), ())
    anchors: set[str] | None = None
    service_ids: set[str] = set()
    team_ids: set[str] = set()
    if filters.services:
        services, unknown = await catalog.services(filters.services)
        if unknown:
            raise await unknown_service(store, unknown[0], field="service")
        service_ids = {s.id for s in services}
        anchors = set(service_ids)
    if filters.teams:
        owned_by_teams: set[str] = set()
        for key in filters.teams:
            team = await find_team(store, key, field="team")
            team_ids.add(team.id)
            owned = GraphFilter(labels=("Service", "CatalogEntry"), rel_types=("OWNED_BY",), direction="in")
            owned_by_teams |= {team.id, *(node.id for _, node in await store.neighbours(team.id, owned))}
        # Both given: the named services the teams own.
        anchors = owned_by_teams if anchors is None else anchors & owned_by_teams
    link = None if anchors is None else NodeLink("AFFECTS", frozenset(anchors))
    return link, (tuple(sorted(service_ids)), tuple(sorted(team_ids)))


async def _named(
    catalog: Catalog,
    label: Named,
    field: str,
    given: tuple[str, ...],
    prop: Literal["name", "category"] = "name",
) -> tuple[str, ...]:
    return tuple([name for value in given if (name := await catalog.known(label, field, value, prop))])


async def list_incidents(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    filters: IncidentFilters,
    *,
    limit: int = 25,
    cursor: str | None = None,
) -> Page[Node]:
    """One page of the incidents ``filters`` keep that ``viewer`` may see, newest declared first.

    Args:
        store: The map.
        catalog: Resolves service names.
        viewer: Who is asking (private incidents only when it may see them).
        filters: What to keep.
        limit: Page size (1 to 100).
        cursor: The previous page's ``next_cursor``; ``None`` for the first page.

    Raises:
        InvalidQuery: for a bad limit, cursor or time bound, a lead with a service or team, or a
            status, status category, severity or type the map does not know.
        NotFound: for a service or team that does not exist.
    """
    check_limit(limit)
    for name, bound in (
        ("declared_after", filters.declared_after),
        ("declared_before", filters.declared_before),
    ):
        if bound is not None and bound.tzinfo is None:
            raise InvalidQuery(f"{name} needs a time zone, e.g. 2026-03-01T10:00:00Z")
    # As the map names them, in any case: `severity=critical` lists the Critical ones, and a value
    # the map does not know is a 400 naming those it does, never an empty list read as "none".
    properties = (
        ("status", await _named(catalog, "IncidentStatus", "status", filters.statuses)),
        (
            "status_category",
            await _named(catalog, "IncidentStatus", "status_category", filters.status_categories, "category"),
        ),
        ("severity", await _named(catalog, "Severity", "severity", filters.severities)),
        ("incident_type", await _named(catalog, "IncidentType", "type", filters.types)),
    )
    linked, named_ids = await _link(store, catalog, filters)
    listing = NodeListing(
        "Incident",
        equals=tuple((name, values) for name, values in properties if values),
        before=filters.declared_before,
        after=filters.declared_after,
        visibilities=viewer.visibilities,
        linked=linked,
    )
    if filters.text is not None and filters.text.strip():
        search_filter = SearchFilter(labels=("Incident",), visibilities=viewer.visibilities)
        words = without_references(filters.text)
        hits = await store.text_search(words, k=TEXT_MATCHES, search_filter=search_filter) if words else []
        # ?q=INC-194 lists INC-194: its reference is not in the text the words are matched in.
        named = await incidents_named(store, filters.text, search_filter)
        listing = replace(listing, among=frozenset([*(hit.node_id for hit in hits), *named]))
    # The filters as resolved, so the same list asked another way pages on: services and teams
    # by id, statuses, severities and types by the map's names, in any order (``severity=minor``
    # then ``severity=Minor``). The words as the search reads them, in any case and spacing
    # (``q=Pool`` then ``q=pool``): other words are another list, as their matches differ.
    resolved = tuple((name, tuple(sorted(set(values)))) for name, values in properties)
    bounds = (filters.declared_after, filters.declared_before)
    text = match_key(filters.text or "") or None
    query = ("incidents", resolved, named_ids, filters.lead, bounds, text, viewer.visibilities)
    # One more than the page says whether another page follows, without a count.
    found = await store.list_nodes(listing, limit=limit + 1, start_after=_start(cursor, query))
    items = tuple(found[:limit])
    return Page(items, _cursor(items[-1], query) if len(found) > limit else None)


async def _parts(
    store: GraphStore, catalog: Catalog, viewer: Viewer, key: str, edge_type: str, label: str
) -> tuple[Node, list[Node]]:
    incident = await catalog.incident(key, viewer)
    allowed = GraphFilter(
        labels=(label,), rel_types=(edge_type,), direction="out", visibilities=viewer.visibilities
    )
    return incident, [node for _, node in await store.neighbours(incident.id, allowed)]


def _oldest_first(nodes: list[Node]) -> list[Node]:
    return sorted(nodes, key=_oldest_key)


# Sort keys as cursors hold them: (undated?, microseconds, id), so undated parts come last.
_TIME_KINDS: tuple[type[str] | type[int], ...] = (int, int, str)


def _oldest_key(node: Node) -> Key:
    return (int(node.occurred_at is None), _micros(node), node.id)


async def incident_updates(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Node, Page[Node]]:
    """Incident ``key`` (id or reference) and a page of its status updates, oldest first.

    Raises:
        NotFound: if the incident does not exist or the viewer may not see it.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    incident, updates = await _parts(store, catalog, viewer, key, "HAS_UPDATE", "IncidentUpdate")
    query = ("updates", incident.id, viewer.visibilities)
    return incident, page_of(
        _oldest_first(updates), _oldest_key, _TIME_KINDS, limit=limit, cursor=cursor, query=query
    )


async def incident_actions(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Node, Page[Node]]:
    """Incident ``key`` and a page of the actions taken during it, oldest first.

    Raises:
        NotFound: if the incident does not exist or the viewer may not see it.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    incident, actions = await _parts(store, catalog, viewer, key, "HAS_ACTION", "Action")
    query = ("actions", incident.id, viewer.visibilities)
    return incident, page_of(
        _oldest_first(actions), _oldest_key, _TIME_KINDS, limit=limit, cursor=cursor, query=query
    )


@dataclass(frozen=True)
class FollowUp:
    """A follow-up and whether work is left on it."""

    node: Node
    open: bool


def _follow_up_key(follow_up: FollowUp) -> Key:
    return (int(not follow_up.open), *_oldest_key(follow_up.node))


async def incident_follow_ups(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Node, Page[FollowUp], int]:
    """Incident ``key``, a page of its follow-ups (open ones first, each group oldest first), and
    how many of all its follow-ups are open.

    Raises:
        NotFound: if the incident does not exist or the viewer may not see it.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    incident, nodes = await _parts(store, catalog, viewer, key, "HAS_FOLLOW_UP", "FollowUp")
    follow_ups = sorted((FollowUp(n, follow_up_summary(n).open) for n in nodes), key=_follow_up_key)
    query = ("follow_ups", incident.id, viewer.visibilities)
    page = page_of(follow_ups, _follow_up_key, (int, *_TIME_KINDS), limit=limit, cursor=cursor, query=query)
    return incident, page, sum(f.open for f in follow_ups)


@dataclass(frozen=True)
class PostmortemDocument:
    """A post-mortem and its sections in document order."""

    document: Node
    sections: tuple[Node, ...]


def _position(chunk: Node) -> tuple[int, str]:
    position = chunk.properties.get("position")
    return (position if isinstance(position, int) else 0, chunk.id)


async def incident_postmortems(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[Node, Page[PostmortemDocument]]:
    """Incident ``key`` and a page of its post-mortems (oldest first) with all their sections.

    Raises:
        NotFound: if the incident does not exist or the viewer may not see it.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    incident, documents = await _parts(store, catalog, viewer, key, "HAS_POSTMORTEM", "Postmortem")
    query = ("postmortems", incident.id, viewer.visibilities)
    page = page_of(
        _oldest_first(documents), _oldest_key, _TIME_KINDS, limit=limit, cursor=cursor, query=query
    )
    chunks = GraphFilter(
        labels=("PostmortemChunk",),
        rel_types=("HAS_CHUNK",),
        direction="out",
        visibilities=viewer.visibilities,
    )
    sections = await store.neighbours_of([d.id for d in page.items], chunks, per_node=1000)
    items = tuple(
        PostmortemDocument(d, tuple(sorted((n for _, n in sections[d.id]), key=_position)))
        for d in page.items
    )
    return incident, Page(items, page.next_cursor)


@dataclass(frozen=True)
class RelatedIncident:
    """An incident linked to another in incident.io, and how.

    Attributes:
        incident: The linked incident.
        kind: The link's kind (``related``, ``caused_by``, ``duplicate``...), if given.
        direction: ``out`` when the asked incident made the link, ``in`` when the other did.
    """

    incident: Node
    kind: str | None
    direction: Literal["out", "in"]


def _newest_key(related: RelatedIncident) -> Key:
    node = related.incident
    return (int(node.occurred_at is None), -_micros(node), node.id)


async def related_incidents(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Node, Page[RelatedIncident]]:
    """Incident ``key`` and a page of the incidents linked to it (either way) the viewer may see,
    newest first.

    Raises:
        NotFound: if the incident does not exist or the viewer may not see it.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    incident = await catalog.incident(key, viewer)
    links = GraphFilter(labels=("Incident",), rel_types=("RELATED_TO",), visibilities=viewer.visibilities)
    related = []
    for edge, node in await store.neighbours(incident.id, links):
        kind = edge.properties.get("kind")
        direction: Literal["out", "in"] = "out" if edge.source == incident.id else "in"
        related.append(RelatedIncident(node, kind if isinstance(kind, str) else None, direction))
    ordered = sorted(related, key=_newest_key)
    query = ("related", incident.id, viewer.visibilities)
    return incident, page_of(ordered, _newest_key, _TIME_KINDS, limit=limit, cursor=cursor, query=query)


def _micros(node: Node) -> int:
    return 0 if node.occurred_at is None else (node.occurred_at - _EPOCH) // timedelta(microseconds=1)
