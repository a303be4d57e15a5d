"""Services: the catalog list, one service's page, its incidents, dependencies, owners and on-call.

Each read takes the store and the ``Viewer`` (incidents the viewer may not see are never listed
or counted) and returns the frozen values below or ``investigation`` results reused as they are
(``IncidentBrief``, ``RelatedService``, ``TeamInfo``, ``OnCall``), so a service page and an
investigation describe a service alike.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from precedent.browse.lookup import display_name, find_team, service_node
from precedent.browse.paging import Page, check_limit, cursor_time, decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery
from precedent.investigation import IncidentBrief, OnCall, RelatedService, TeamInfo, people_of
from precedent.investigation.context import is_active
from precedent.model import GraphFilter

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from precedent.investigation import LiveOnCallSource
    from precedent.model import Edge, Node, Viewer
    from precedent.retrieval import Catalog
    from precedent.store.base import GraphStore

__all__ = [
    "MAX_DEPTH",
    "ServiceDetail",
    "ServiceFilter",
    "ServiceOnCall",
    "ServiceOwners",
    "ServiceSummary",
    "TeamRef",
    "dependencies",
    "get_service",
    "incident_brief",
    "list_services",
    "service_incidents",
    "service_on_call",
    "service_owners",
    "summarise",
]

MAX_DEPTH = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OPEN_SCAN = 500
"""How many of a service's newest incidents are read to count the open ones (incidents stay open
for hours or days, so an open one is among the newest of any service)."""


@dataclass(frozen=True)
class TeamRef:
    """A team named in passing (a service's owner, a user's team)."""

    id: str
    name: str


@dataclass(frozen=True)
class ServiceSummary:
    """A catalog service in a list.

    Attributes:
        attributes: The catalog's plain attributes (``Tier: 1`` as ``{"Tier": "1"}``).
        teams: Its owning teams, by name.
    """

    id: str
    name: str
    external_id: str | None
    aliases: tuple[str, ...]
    archived: bool
    attributes: dict[str, str]
    teams: tuple[TeamRef, ...]


@dataclass(frozen=True)
class ServiceFilter:
    """Which services a list shows (every condition must hold).

    Attributes:
        team: Owned by this team (id, name or external id).
        q: Name, external id or an alias containing this, ignoring case.
        attributes: Catalog attributes with these values (name and value ignoring case); a
            ``None`` value asks only that the service has the attribute.
        archived: Only archived (True) or only live (False) services; both when ``None``.
    """

    team: str | None = None
    q: str | None = None
    attributes: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)
    archived: bool | None = None

    @classmethod
    def from_parameters(
        cls,
        *,
        team: str | None = None,
        q: str | None = None,
        tier: str | None = None,
        attribute: Sequence[str] = (),
        archived: bool | None = None,
    ) -> ServiceFilter:
        """The filter asked for by ``GET /v1/services``'s parameters, as ``precedent services``'s flags.

        Args:
            team: Owned by this team (id, name or external id).
            q: Name, external id or an alias containing this.
            tier: The catalog's Tier attribute: one more ``attribute``.
            attribute: Catalog attributes as ``Name:value``, or a bare ``Name`` for a service that
                has the attribute at all; all must hold.
            archived: Only archived (True) or only live (False) services; both when ``None``.
        """
        pairs: list[tuple[str, str | None]] = [("tier", tier)] if tier is not None else []
        for value in attribute:
            name, sep, wanted = value.partition(":")
            pairs.append((name.strip(), wanted.strip() if sep else None))
        return cls(team=team, q=q, attributes=tuple(pairs), archived=archived)


@dataclass(frozen=True)
class ServiceDetail:
    """One service's page header: its catalog entry, owners and counts.

    Attributes:
        depends_on: Direct dependencies (services and catalog entries it DEPENDS_ON).
        dependents: Services that depend on it directly.
        open_incidents: Incidents on it still being worked on, that the viewer may see.
    """

    service: ServiceSummary
    depends_on: int
    dependents: int
    open_incidents: int


@dataclass(frozen=True)
class ServiceOwners:
    """A service's owning teams with their members."""

    service: TeamRef
    teams: tuple[TeamInfo, ...]


@dataclass(frozen=True)
class ServiceOnCall:
    """Who is on call for a service at ``at``, from its own and its owning teams' schedules."""

    service: TeamRef
    at: datetime
    on_call: tuple[OnCall, ...]


def _attributes(node: Node) -> dict[str, str]:
    raw = node.properties.get("attributes")
    pairs = raw if isinstance(raw, list) else []
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = str(pair).partition(": ")
        if sep:
            found.setdefault(name, value)
    return found


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def summarise(node: Node, teams: Sequence[TeamRef] = ()) -> ServiceSummary:
    """A Service node as a list item."""
    props = node.properties
    return ServiceSummary(
        id=node.id,
        name=display_name(node),
        external_id=str(props["external_id"]) if "external_id" in props else None,
        aliases=_strings(props.get("aliases")),
        archived=bool(props.get("archived", False)),
        attributes=_attributes(node),
        teams=tuple(teams),
    )


def incident_brief(node: Node, service: str, now: datetime) -> IncidentBrief:
    """An Incident node in one line, as investigations show it."""
    props = node.properties
    return IncidentBrief(
        id=node.id,
        reference=str(props["reference"]) if "reference" in props else None,
        name=display_name(node),
        status=str(props["status"]) if "status" in props else None,
        severity=str(props["severity"]) if "severity" in props else None,
        started_at=node.occurred_at,
        active=is_active(node, now),
        service=service,
    )


def _matches(node: Node, filters: ServiceFilter, owned: set[str] | None) -> bool:
    if owned is not None and node.id not in owned:
        return False
    if filters.archived is not None and bool(node.properties.get("archived", False)) != filters.archived:
        return False
    if filters.q:
        wanted = filters.q.strip().casefold()
        names = [
            display_name(node),
            str(node.properties.get("external_id", "")),
            *_strings(node.properties.get("aliases")),
        ]
        if not any(wanted in n.casefold() for n in names):
            return False
    if filters.attributes:
        held = {k.casefold(): v.casefold() for k, v in _attributes(node).items()}
        for name, value in filters.attributes:
            found = held.get(name.strip().casefold())
            if found is None or (value is not None and found != value.strip().casefold()):
                return False
    return True


def _after(key: tuple[str | int | float, ...], cursor: tuple[str | int | float, ...] | None) -> bool:
    return cursor is None or key > cursor


async def _owners(store: GraphStore, ids: Sequence[str]) -> dict[str, tuple[TeamRef, ...]]:
    found = await store.neighbours_of(
        list(ids),
        GraphFilter(labels=("Team",), rel_types=("OWNED_BY",), direction="out"),
        per_node=100,
    )
    return {
        sid: tuple(sorted((TeamRef(n.id, display_name(n)) for _, n in pairs), key=lambda t: (t.name, t.id)))
        for sid, pairs in found.items()
    }


async def list_services(
    store: GraphStore,
    viewer: Viewer,
    *,
    filters: ServiceFilter | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[ServiceSummary]:
    """The catalog's services by name (then id), filtered, one page at a time.

    Args:
        store: The knowledge map.
        viewer: Who is asking.
        filters: Which services to show (all by default).
        limit: Page size (1..100).
        cursor: The previous page's ``next_cursor``.

    Raises:
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
        NotFound: if ``filters.team`` names no team.
    """
    filters = filters or ServiceFilter()
    check_limit(limit)
    owned: set[str] | None = None
    team_id: str | None = None
    if filters.team is not None:
        team_id = (await find_team(store, filters.team, field="team")).id
        pairs = await store.neighbours(
            team_id, GraphFilter(labels=("Service",), rel_types=("OWNED_BY",), direction="in")
        )
        owned = {node.id for _, node in pairs}
    # Bound to the filters as matched, so the same list asked another way pages on: the team by
    # id (its name, external id or id alike), the words and attributes in any case.
    # (name, None) asks only that the attribute is there: it sorts apart from any value.
    attributes = sorted(
        ((k.strip().casefold(), v if v is None else v.strip().casefold()) for k, v in filters.attributes),
        key=lambda kv: (kv[0], kv[1] is not None, kv[1] or ""),
    )
    words = filters.q.strip().casefold() if filters.q else None
    query = ("services", team_id, words, attributes, filters.archived, viewer.visibilities)
    after = decode_typed_cursor(cursor, str, str, query=query)
    keyed = [
        ((display_name(n).casefold(), n.id), n)
        async for n in store.scan_nodes(["Service"])
        if viewer.can_see(n) and _matches(n, filters, owned)
    ]
    keyed = sorted(((k, n) for k, n in keyed if _after(k, after)), key=lambda item: item[0])
    page = keyed[: limit + 1]
    nodes = [n for _, n in page[:limit]]
    owners = await _owners(store, [n.id for n in nodes])
    items = tuple(summarise(n, owners.get(n.id, ())) for n in nodes)
    more = len(page) > limit
    return Page(items, encode_cursor(page[limit - 1][0], query=query) if more else None)


async def get_service(
    store: GraphStore, viewer: Viewer, key: str, *, now: datetime | None = None
) -> ServiceDetail:
    """A service by id, name, external id or alias, with its owners and counts.

    Raises:
        NotFound: if no service has that key.
    """
    node = await service_node(store, key)
    now = now or datetime.now(UTC)
    pairs = await store.neighbours(node.id, GraphFilter(rel_types=("DEPENDS_ON", "OWNED_BY")))
    depends_on = sum(1 for e, _ in pairs if e.type == "DEPENDS_ON" and e.source == node.id)
    dependents = sum(1 for e, _ in pairs if e.type == "DEPENDS_ON" and e.target == node.id)
    teams = sorted(
        (TeamRef(n.id, display_name(n)) for e, n in pairs if e.type == "OWNED_BY" and n.label == "Team"),
        key=lambda t: (t.name, t.id),
    )
    recent = await store.linked_recent(
        [node.id],
        label="Incident",
        edge_type="AFFECTS",
        per_anchor=_OPEN_SCAN,
        visibilities=viewer.visibilities,
    )
    open_count = sum(1 for n in recent.get(node.id, []) if is_active(n, now))
    return ServiceDetail(summarise(node, teams), depends_on, dependents, open_count)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


_OPEN = ("open", "active")


async def _known_status(catalog: Catalog, status: str | None) -> str | None:
    """``status`` folded for matching: ``open``, or a status name or category the map knows.

    Raises:
        InvalidQuery: for one the map does not know (when it knows any), naming those it does:
            an unknown status matched nothing, and an empty page read as "no such incidents".
    """
    if status is None or not status.strip():
        return None
    wanted = status.strip().casefold()
    if wanted in _OPEN:
        return wanted
    known = (*await catalog.names("IncidentStatus"), *await catalog.names("IncidentStatus", "category"))
    if not known or wanted in {name.casefold() for name in known}:
        return wanted
    raise InvalidQuery(
        f"unknown status {status!r}: the map knows {', '.join(repr(k) for k in dict.fromkeys(known))}, "
        "and 'open' for incidents still being worked on; use one of them, or leave status out",
        field="status",
    )


def _status_matches(node: Node, wanted: str | None, now: datetime) -> bool:
    if wanted is None:
        return True
    if wanted in _OPEN:
        return is_active(node, now)
    held = {str(node.properties.get(k, "")).casefold() for k in ("status", "status_category")}
    return wanted in held


async def service_incidents(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Page[IncidentBrief]:
    """Incidents that affected a service, newest first (then id), one page at a time.

    Args:
        store: The knowledge map.
        catalog: Knows the map's status names and categories.
        viewer: Who is asking: private incidents only when it may see them.
        key: The service, by id, name, external id or alias.
        status: Only incidents with this status name or category (``closed``, ``live``...), in
            any case; ``open`` (or ``active``) for those still being worked on.
        limit: Page size (1..100).
        cursor: The previous page's ``next_cursor``.
        now: The time ``active`` is judged at (default: the wall clock).

    Raises:
        NotFound: if no service has that key.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid, or ``status`` is not one the map knows.
    """
    check_limit(limit)
    node = await service_node(store, key)
    query = ("service_incidents", node.id, status, viewer.visibilities)
    after = decode_typed_cursor(cursor, int, str, query=query)
    wanted = await _known_status(catalog, status)
    now = now or datetime.now(UTC)
    position = (int(after[0]), str(after[1])) if after else None
    kept: list[Node] = []
    newest = _newest_after(store, viewer, node.id, position, batch=limit + 1)
    async with contextlib.aclosing(newest) as incidents:
        async for incident in incidents:
            if _status_matches(incident, wanted, now):
                kept.append(incident)
                if len(kept) > limit:
                    break
    name = display_name(node)
    items = tuple(incident_brief(n, name, now) for n in kept[:limit])
    return Page(
        items, encode_cursor(_incident_key(kept[limit - 1]), query=query) if len(kept) > limit else None
    )


def _incident_key(node: Node) -> tuple[int, str]:
    assert node.occurred_at is not None  # only dated incidents are listed
    return (-_micros(node.occurred_at), node.id)


async def _newest_after(
    store: GraphStore, viewer: Viewer, service_id: str, position: tuple[int, str] | None, *, batch: int
) -> AsyncGenerator[Node, None]:
    """The service's dated incidents after ``position`` (a key of ``_incident_key``), newest first.

    Keyset over (-start, id): each read asks for the incidents before the last one's start
    (plus a microsecond, for those that started at the same instant), and the batch doubles each
    time, so a sparse status filter over a busy service costs a few reads, not one per page.
    """
    before = cursor_time(1 - position[0]) if position else None
    while True:
        found = (
            await store.linked_recent(
                [service_id],
                label="Incident",
                edge_type="AFFECTS",
                before=before,
                per_anchor=batch,
                visibilities=viewer.visibilities,
            )
        )[service_id]
        dated = [n for n in found if n.occurred_at is not None]
        for node in dated:
            key = _incident_key(node)
            if position is None or key > position:
                position = key
                yield node
        if len(found) < batch or not dated:
            return
        last = dated[-1].occurred_at
        assert last is not None
        before = last + timedelta(microseconds=1)
        batch *= 2


def _hops(origin: str, edges: Sequence[Edge], forward: bool, depth: int) -> dict[str, tuple[int, str]]:
    """Nodes reached from ``origin`` along DEPENDS_ON one way: hop count and the node one hop nearer."""
    adjacency: dict[str, list[str]] = {}
    for edge in edges:
        start, end = (edge.source, edge.target) if forward else (edge.target, edge.source)
        adjacency.setdefault(start, []).append(end)
    reached: dict[str, tuple[int, str]] = {}
    frontier = [origin]
    seen = {origin}
    for hop in range(1, depth + 1):
        following: list[str] = []
        for current in frontier:
            for nxt in sorted(adjacency.get(current, ())):
                if nxt not in seen:
                    seen.add(nxt)
                    reached[nxt] = (hop, current)
                    following.append(nxt)
        frontier = following
    return reached


async def dependencies(
    store: GraphStore,
    key: str,
    *,
    direction: Literal["upstream", "downstream"],
    depth: int = 1,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[RelatedService]:
    """What a service depends on (``upstream``) or what depends on it (``downstream``), by hops then name.

    Follows DEPENDS_ON up to ``depth`` hops one way; ``via`` names the service one hop nearer.

    Raises:
        NotFound: if no service has that key.
        InvalidQuery: if ``depth`` is not 1..3, or ``limit`` or ``cursor`` is invalid.
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidQuery(f"depth must be between 1 and {MAX_DEPTH}; got {depth}")
    check_limit(limit)
    node = await service_node(store, key)
    query = ("dependencies", node.id, direction, depth)
    after = decode_typed_cursor(cursor, int, str, str, query=query)
    forward = direction == "upstream"
    sub = await store.subgraph(
        [node.id],
        depth=depth,
        graph_filter=GraphFilter(
            labels=("Service", "CatalogEntry"),
            rel_types=("DEPENDS_ON",),
            direction="out" if forward else "in",
        ),
        max_nodes=5000,
    )
    names = {n.id: display_name(n) for n in sub.nodes}
    reached = _hops(node.id, [e for e in sub.edges if e.type == "DEPENDS_ON"], forward, depth)
    keyed = sorted(
        (
            (hop, names.get(other, other).casefold(), other),
            RelatedService(other, names.get(other, other), hop, direction, names.get(via, via)),
        )
        for other, (hop, via) in reached.items()
    )
    keyed = [(k, r) for k, r in keyed if after is None or k > after]
    page = keyed[: limit + 1]
    items = tuple(r for _, r in page[:limit])
    return Page(items, encode_cursor(page[limit - 1][0], query=query) if len(page) > limit else None)


async def service_owners(store: GraphStore, key: str) -> ServiceOwners:
    """A service's owning teams with their members (by name).

    Raises:
        NotFound: if no service has that key.
    """
    node = await service_node(store, key)
    now = datetime.now(UTC)
    people = await people_of(store, [node.id], at=now, now=now)
    return ServiceOwners(TeamRef(node.id, display_name(node)), people.teams.get(node.id, ()))


async def service_on_call(
    store: GraphStore,
    key: str,
    *,
    at: datetime | None = None,
    live: LiveOnCallSource | None = None,
) -> ServiceOnCall:
    """Who is on call for a service at ``at`` (now by default), through the investigation's lookup.

    Args:
        store: The knowledge map.
        key: The service, by id, name, external id or alias.
        at: When (timezone-aware); now when omitted.
        live: Asks incident.io for schedules the synced entries do not cover.

    Raises:
        NotFound: if no service has that key.
    """
    node = await service_node(store, key)
    now = datetime.now(UTC)
    when = at or now
    people = await people_of(store, [node.id], at=when, now=now, live=live)
    return ServiceOnCall(TeamRef(node.id, display_name(node)), when, people.on_call.get(node.id, ()))
