"""Teams: the list of teams, and one team's members, services, on-call schedules, who is on call
now, its newest incidents and their open follow-ups (members and services also a page at a time)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.browse.incidents import IncidentFilters, list_incidents
from precedent.browse.lookup import display_name, find_team
from precedent.browse.paging import Page, check_limit, decode_typed_cursor, encode_cursor, page_of
from precedent.browse.people import person
from precedent.investigation import people_of
from precedent.investigation.precedents import incident_parts
from precedent.model import GraphFilter

if TYPE_CHECKING:
    from precedent.cursors import Key
    from precedent.investigation import FollowUp, LiveOnCallSource, OnCall, Person
    from precedent.model import Node, Viewer
    from precedent.retrieval import Catalog
    from precedent.store.base import GraphStore

__all__ = [
    "OwnedRef",
    "ScheduleRef",
    "TeamDetail",
    "TeamIncident",
    "TeamSummary",
    "get_team",
    "list_teams",
    "team_members",
    "team_services",
]

RECENT_INCIDENTS = 10
"""How many of a team's newest incidents its detail lists."""
FOLLOW_UP_INCIDENTS = 50
"""How many of a team's newest incidents its open follow-ups are read from: work left after an
incident stays open for months, so it is rarely among the newest ten alone."""


@dataclass(frozen=True)
class TeamSummary:
    """A team in a list, with how many members and services it has."""

    id: str
    name: str
    external_id: str | None
    members: int
    services: int


@dataclass(frozen=True)
class OwnedRef:
    """Something a team owns: a ``Service``, or another catalog entry (``CatalogEntry``), by ``label``.

    A reader links a service to its page; a catalog entry (a product, a queue) has none.
    """

    id: str
    name: str
    label: str


@dataclass(frozen=True)
class ScheduleRef:
    """An on-call schedule."""

    id: str
    name: str
    timezone: str | None


@dataclass(frozen=True)
class TeamIncident:
    """One of a team's incidents, with what it hit of what the team owns.

    Attributes:
        node: The Incident node.
        services: What the team owns (services and other catalog entries) that it affected, by
            name then id; empty when it named the team itself and nothing the team owns.
    """

    node: Node
    services: tuple[OwnedRef, ...]


@dataclass(frozen=True)
class TeamDetail:
    """One team: its members, what it owns, its schedules, who is on call and its recent incidents.

    Attributes:
        on_call: Who is on call on its schedules now, through the investigation's lookup.
        on_call_note: Why ``on_call`` may be incomplete (no entry covers now, the live call
            failed), else ``None``.
        recent_incidents: Its newest incidents the viewer may see (on the team or a service it
            owns, as ``/v1/incidents?team=`` lists them), newest first, each with what it hit
            of what the team owns.
        open_follow_ups: The follow-ups still open of its newest ``FOLLOW_UP_INCIDENTS``
            incidents, newest incident first.
    """

    id: str
    name: str
    external_id: str | None
    members: tuple[Person, ...]
    services: tuple[OwnedRef, ...]
    schedules: tuple[ScheduleRef, ...]
    on_call: tuple[OnCall, ...]
    on_call_note: str | None
    recent_incidents: tuple[TeamIncident, ...]
    open_follow_ups: tuple[FollowUp, ...]


def _external(node: Node) -> str | None:
    value = node.properties.get("external_id")
    return str(value) if value is not None else None


async def list_teams(
    store: GraphStore,
    viewer: Viewer,
    *,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[TeamSummary]:
    """Teams by name (then id), optionally those whose name contains ``q``, one page at a time.

    Raises:
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    wanted = q.strip().casefold() if q else None
    query = ("teams", wanted, viewer.visibilities)
    after = decode_typed_cursor(cursor, str, str, query=query)
    keyed = [
        ((display_name(n).casefold(), n.id), n)
        async for n in store.scan_nodes(["Team"])
        if viewer.can_see(n) and (wanted is None or wanted in display_name(n).casefold())
    ]
    keyed.sort(key=lambda item: item[0])
    keyed = [(k, n) for k, n in keyed if after is None or k > after]
    page = keyed[: limit + 1]
    nodes = [n for _, n in page[:limit]]
    linked = await store.neighbours_of(
        [n.id for n in nodes],
        GraphFilter(labels=("User", "Service"), rel_types=("MEMBER_OF", "OWNED_BY"), direction="in"),
        per_node=100_000,
    )
    items = tuple(
        TeamSummary(
            n.id,
            display_name(n),
            _external(n),
            sum(1 for e, _ in linked[n.id] if e.type == "MEMBER_OF"),
            sum(1 for e, _ in linked[n.id] if e.type == "OWNED_BY"),
        )
        for n in nodes
    )
    return Page(items, encode_cursor(page[limit - 1][0], query=query) if len(page) > limit else None)


@dataclass(frozen=True)
class _Activity:
    """A team's newest incidents, the ids of what each affected, and their open follow-ups."""

    recent: tuple[Node, ...]
    affected: dict[str, frozenset[str]]
    follow_ups: tuple[FollowUp, ...]


async def _activity(store: GraphStore, catalog: Catalog, viewer: Viewer, team_id: str) -> _Activity:
    """The team's newest incidents with what they affected, and the open follow-ups of its newest
    ``FOLLOW_UP_INCIDENTS``."""
    newest = await list_incidents(
        store, catalog, viewer, IncidentFilters(teams=(team_id,)), limit=FOLLOW_UP_INCIDENTS
    )
    recent = newest.items[:RECENT_INCIDENTS]
    affects = GraphFilter(
        labels=("Service", "CatalogEntry"),
        rel_types=("AFFECTS",),
        direction="out",
        visibilities=viewer.visibilities,
    )
    parts, affected = await asyncio.gather(
        incident_parts(store, newest.items, viewer.visibilities),
        store.neighbours_of([n.id for n in recent], affects),
    )
    follow_ups = tuple(f for n in newest.items for f in parts.follow_ups.get(n.id, ()))
    return _Activity(
        recent, {i: frozenset(n.id for _, n in pairs) for i, pairs in affected.items()}, follow_ups
    )


async def get_team(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    key: str,
    *,
    live: LiveOnCallSource | None = None,
    now: datetime | None = None,
) -> TeamDetail:
    """A team by id, name, external id or incident.io team id: members, services, schedules, who is
    on call now, its newest incidents and their open follow-ups.

    Members and services are ordered by name, then id.

    Args:
        store: The knowledge map.
        catalog: Knows the map's names (the incident listing asks it).
        viewer: Who is asking: private incidents and their follow-ups only when it may see them.
        key: The team.
        live: Asks incident.io for schedules the synced entries do not cover now.
        now: The time on-call is read at (default: the wall clock).

    Raises:
        NotFound: if no team has that key.
    """
    team = await find_team(store, key)
    now = now or datetime.now(UTC)
    # Independent reads: on Neo4j each is a round trip, so they wait for each other no longer.
    pairs, people, activity = await asyncio.gather(
        store.neighbours(
            team.id,
            GraphFilter(
                labels=("User", "Service", "CatalogEntry", "Schedule"),
                rel_types=("MEMBER_OF", "OWNED_BY", "HAS_SCHEDULE"),
                visibilities=viewer.visibilities,
            ),
        ),
        people_of(store, [team.id], at=now, now=now, live=live),
        _activity(store, catalog, viewer, team.id),
    )
    members = sorted(
        (person(n) for e, n in pairs if e.type == "MEMBER_OF" and n.label == "User"),
        key=lambda p: (p.name.casefold(), p.id),
    )
    services = sorted(
        (
            OwnedRef(n.id, display_name(n), n.label)
            for e, n in pairs
            if e.type == "OWNED_BY" and n.label in {"Service", "CatalogEntry"}
        ),
        key=lambda t: (t.name.casefold(), t.id),
    )
    # A schedule belongs to a team either way round: the team's attribute, or the schedule's owner.
    schedules = {
        n.id: ScheduleRef(
            n.id, display_name(n), str(n.properties["timezone"]) if "timezone" in n.properties else None
        )
        for _, n in pairs
        if n.label == "Schedule"
    }
    recent = tuple(
        TeamIncident(n, tuple(s for s in services if s.id in activity.affected[n.id]))
        for n in activity.recent
    )
    return TeamDetail(
        team.id,
        display_name(team),
        _external(team),
        tuple(members),
        tuple(services),
        tuple(sorted(schedules.values(), key=lambda s: (s.name.casefold(), s.id))),
        people.on_call.get(team.id, ()),
        people.notes.get(team.id),
        recent,
        activity.follow_ups,
    )


def _by_name(name: str, node_id: str) -> Key:
    return (name.casefold(), node_id)


async def _team_links(
    store: GraphStore, viewer: Viewer, key: str, labels: tuple[str, ...], edge: str
) -> tuple[str, list[Node]]:
    """The team's id (what its lists' cursors are bound to, however it was named) and its links."""
    team = await find_team(store, key)
    pairs = await store.neighbours(
        team.id,
        GraphFilter(labels=labels, rel_types=(edge,), visibilities=viewer.visibilities),
    )
    return team.id, [n for _, n in pairs]


async def team_members(
    store: GraphStore, viewer: Viewer, key: str, *, limit: int = 50, cursor: str | None = None
) -> Page[Person]:
    """A page of a team's members, by name then id (the team by id, name or external id).

    Raises:
        NotFound: if no team has that key.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    team_id, members = await _team_links(store, viewer, key, ("User",), "MEMBER_OF")
    ordered = sorted((person(n) for n in members), key=lambda p: _by_name(p.name, p.id))
    query = ("team_members", team_id, viewer.visibilities)
    return page_of(
        ordered, lambda p: _by_name(p.name, p.id), (str, str), limit=limit, cursor=cursor, query=query
    )


async def team_services(
    store: GraphStore, viewer: Viewer, key: str, *, limit: int = 50, cursor: str | None = None
) -> Page[OwnedRef]:
    """A page of what a team owns (services and other catalog entries), by name then id.

    Raises:
        NotFound: if no team has that key.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    team_id, owned = await _team_links(store, viewer, key, ("Service", "CatalogEntry"), "OWNED_BY")
    ordered = sorted(
        (OwnedRef(n.id, display_name(n), n.label) for n in owned), key=lambda t: _by_name(t.name, t.id)
    )
    query = ("team_services", team_id, viewer.visibilities)
    return page_of(
        ordered, lambda t: _by_name(t.name, t.id), (str, str), limit=limit, cursor=cursor, query=query
    )
