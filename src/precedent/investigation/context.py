"""What surrounds the affected services: owners, on-call, dependencies, and incidents on and near them.

Asks the store, through ``GraphStore`` only, in a fixed number of calls whatever the number of
services: one walk over DEPENDS_ON, one over ownership and schedules, one for incidents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from precedent.errors import SourceError
from precedent.ingest.files import SCHEDULES_FILE_TIME_KEY
from precedent.ingest.sync import CHECKPOINT_KEY
from precedent.investigation.linked import linked_recent, shifted
from precedent.investigation.results import (
    IncidentBrief,
    OnCall,
    OnCallSource,
    Person,
    RelatedService,
    ServiceContext,
    TeamInfo,
)
from precedent.model import GraphFilter, stored_time
from precedent.retrieval.paths import Route, service_routes

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from precedent.model import Edge, Node, Visibility
    from precedent.store.base import GraphStore

__all__ = [
    "ACTIVE_CATEGORIES",
    "Gathered",
    "LiveOnCallSource",
    "LiveShift",
    "ServicePeople",
    "Surroundings",
    "gather_services",
    "is_active",
    "people_of",
    "surroundings",
]

log = logging.getLogger("precedent.investigation")

ACTIVE_CATEGORIES = frozenset({"triage", "live", "active", "paused"})
"""Status categories of an incident that is still being worked on."""

MAX_HOPS = 2
RECENT_DAYS = 30
# Written by a sync, and by an import (the export's time): when the on-call entries were read.
SCHEDULES_CHECKPOINT = CHECKPOINT_KEY.format(resource="schedules")


@dataclass(frozen=True)
class LiveShift:
    """Who an on-call source says is on call for a schedule at a time.

    Attributes:
        fetched_at: When the source read it from incident.io (a cached answer is older than now);
            ``None`` means just now.
    """

    schedule_id: str
    person: Person
    start_at: datetime | None
    end_at: datetime | None
    fetched_at: datetime | None = None


@runtime_checkable  # litestar checks each injected value against its declared type
class LiveOnCallSource(Protocol):
    """Asks incident.io who is on call, for schedules whose synced entries do not cover a time."""

    async def on_call(self, schedule_ids: Sequence[str], at: datetime) -> list[LiveShift]:
        """Return the shifts covering ``at`` for ``schedule_ids``.

        Raises:
            SourceError: if incident.io could not answer in time; the caller keeps what is synced.
        """


@dataclass(frozen=True)
class Surroundings:
    """Services within two DEPENDS_ON hops (either way) of the affected ones.

    Attributes:
        routes: Shortest route from the nearest affected service, per service id (hop 0 included).
        names: Display name per service id.
        edges: The DEPENDS_ON edges among them (for per-service upstream/downstream).
    """

    routes: dict[str, Route]
    names: dict[str, str]
    edges: tuple[Edge, ...]

    def name(self, service_id: str) -> str:
        """Display name of a service (its id when unnamed)."""
        return self.names.get(service_id, service_id)


@dataclass(frozen=True)
class Gathered:
    """The affected services' contexts, what surrounds them, and incidents on every nearby service.

    Attributes:
        nearby_incidents: Service id -> incidents on it in the last 30 days, newest first (every
            service within two hops, the affected ones included).
    """

    services: tuple[ServiceContext, ...]
    around: Surroundings
    nearby_incidents: dict[str, tuple[IncidentBrief, ...]]


def _name(node: Node) -> str:
    return str(node.properties.get("name", node.id))


def is_active(incident: Node, at: datetime) -> bool:
    """Whether ``incident`` was still being worked on at ``at`` (started, not yet resolved)."""
    if incident.occurred_at is None or incident.occurred_at > at:
        return False
    resolved = stored_time(incident.properties.get("resolved_at"))
    if resolved is not None:
        return resolved > at
    category = str(incident.properties.get("status_category", "")).lower()
    return category in ACTIVE_CATEGORIES


async def surroundings(store: GraphStore, service_ids: Sequence[str]) -> Surroundings:
    """Walk DEPENDS_ON both ways, two hops, from the affected services (one store call)."""
    if not service_ids:
        return Surroundings({}, {}, ())
    sub = await store.subgraph(
        list(service_ids),
        depth=MAX_HOPS,
        graph_filter=GraphFilter(labels=("Service",), rel_types=("DEPENDS_ON",)),
        max_nodes=500,
    )
    names = {n.id: _name(n) for n in sub.nodes}
    edges = tuple(e for e in sub.edges if e.type == "DEPENDS_ON")
    return Surroundings(service_routes(service_ids, edges, MAX_HOPS), names, edges)


def _directed(origin: str, edges: Iterable[Edge], forward: bool) -> dict[str, int]:
    """Services reached from ``origin`` following DEPENDS_ON one way only, with their hop counts."""
    adjacency: dict[str, list[str]] = {}
    for edge in edges:
        start, end = (edge.source, edge.target) if forward else (edge.target, edge.source)
        adjacency.setdefault(start, []).append(end)
    hops = {origin: 0}
    frontier = [origin]
    for depth in range(1, MAX_HOPS + 1):
        frontier = sorted({n for f in frontier for n in adjacency.get(f, ()) if n not in hops})
        hops.update(dict.fromkeys(frontier, depth))
    del hops[origin]
    return hops


def _related(service_id: str, around: Surroundings, forward: bool) -> tuple[RelatedService, ...]:
    hops = _directed(service_id, around.edges, forward)
    return tuple(
        RelatedService(
            other, around.name(other), h, "upstream" if forward else "downstream", around.name(service_id)
        )
        for other, h in sorted(hops.items(), key=lambda item: (item[1], around.name(item[0]), item[0]))
    )


def _brief(node: Node, service: str, at: datetime) -> IncidentBrief:
    props = node.properties
    return IncidentBrief(
        id=node.id,
        reference=str(props["reference"]) if "reference" in props else None,
        name=_name(node),
        status=str(props["status"]) if "status" in props else None,
        severity=str(props["severity"]) if "severity" in props else None,
        started_at=node.occurred_at,
        active=is_active(node, at),
        service=service,
    )


def _person(node: Node) -> Person:
    props = node.properties
    return Person(
        node.id,
        _name(node),
        str(props["email"]) if "email" in props else None,
        str(props["slack_user_id"]) if "slack_user_id" in props else None,
    )


@dataclass(frozen=True)
class _People:
    teams: dict[str, tuple[TeamInfo, ...]]
    on_call: dict[str, tuple[OnCall, ...]]
    uncovered: dict[str, list[tuple[str, str, str | None]]]  # service -> (schedule id, name, team)


async def _people(
    store: GraphStore, service_ids: Sequence[str], at: datetime, as_of: tuple[datetime | None, OnCallSource]
) -> _People:
    """Owning teams with members, and who is on call at ``at`` on their (or the service's) schedules."""
    sub = await store.subgraph(
        list(service_ids),
        depth=3,
        graph_filter=GraphFilter(
            labels=("Team", "User", "Schedule"),
            rel_types=("OWNED_BY", "MEMBER_OF", "HAS_SCHEDULE", "ON_CALL"),
        ),
        max_nodes=3000,
    )
    nodes = {n.id: n for n in sub.nodes}
    edges = sub.edges
    teams_of: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    schedules_of: dict[str, list[str]] = {}  # team or service -> schedules
    shifts: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.type == "OWNED_BY" and edge.source in service_ids:
            teams_of.setdefault(edge.source, []).append(edge.target)
        elif edge.type == "MEMBER_OF":
            members.setdefault(edge.target, []).append(edge.source)
        elif edge.type == "HAS_SCHEDULE":
            schedules_of.setdefault(edge.source, []).append(edge.target)
        elif edge.type == "OWNED_BY" and nodes.get(edge.source) and nodes[edge.source].label == "Schedule":
            schedules_of.setdefault(edge.target, []).append(edge.source)
        elif edge.type == "ON_CALL":
            shifts.setdefault(edge.source, []).append(edge)
    teams: dict[str, tuple[TeamInfo, ...]] = {}
    on_call: dict[str, tuple[OnCall, ...]] = {}
    uncovered: dict[str, list[tuple[str, str, str | None]]] = {}
    for service in service_ids:
        owned = sorted(set(teams_of.get(service, ())))
        teams[service] = tuple(
            TeamInfo(
                team,
                _name(nodes[team]) if team in nodes else team,
                tuple(
                    sorted(
                        (_person(nodes[u]) for u in set(members.get(team, ())) if u in nodes), key=_by_name
                    )
                ),
            )
            for team in owned
        )
        entries: list[OnCall] = []
        seen: set[str] = set()
        for owner in [service, *owned]:
            # A team asked about itself (a team's page) is the team its schedules are on call for.
            is_team = owner in nodes and nodes[owner].label == "Team"
            team_name = _name(nodes[owner]) if is_team else None
            for schedule in sorted(set(schedules_of.get(owner, ()))):
                if schedule in seen or schedule not in nodes:
                    continue
                seen.add(schedule)
                covering = [e for e in shifts.get(schedule, []) if _covers(e, at) and e.target in nodes]
                if not covering:
                    uncovered.setdefault(service, []).append((schedule, _name(nodes[schedule]), team_name))
                for edge in sorted(covering, key=lambda e: e.target):
                    entries.append(
                        OnCall(
                            _person(nodes[edge.target]),
                            schedule,
                            _name(nodes[schedule]),
                            team_name,
                            stored_time(edge.properties.get("start_at")),
                            stored_time(edge.properties.get("end_at")),
                            as_of[1],
                            as_of[0],
                        )
                    )
        on_call[service] = tuple(entries)
    return _People(teams, on_call, uncovered)


def _by_name(person: Person) -> tuple[str, str]:
    return (person.name.casefold(), person.id)


def _covers(edge: Edge, at: datetime) -> bool:
    start, end = stored_time(edge.properties.get("start_at")), stored_time(edge.properties.get("end_at"))
    return (start is None or start <= at) and (end is None or at < end)


@dataclass(frozen=True)
class _OnCallAnswer:
    by_service: dict[str, tuple[OnCall, ...]]
    note: str | None = None


async def _live(
    source: LiveOnCallSource | None, people: _People, at: datetime, now: datetime
) -> _OnCallAnswer:
    """Fill schedules the synced entries do not cover from the live source, when there is one.

    A failing live source never fails the investigation: the synced answer stays, with a note.
    """
    if not people.uncovered:
        return _OnCallAnswer(people.on_call)
    if source is None:
        # "nobody found on call" read as nobody being on call: the map's entries end, say so.
        names = sorted({name for gaps in people.uncovered.values() for _, name, _ in gaps})
        return _OnCallAnswer(
            people.on_call,
            f"no schedule entry the map holds covers this time ({', '.join(names)}); "
            "with an incident.io API key it is asked live",
        )
    wanted = sorted({s for gaps in people.uncovered.values() for s, _, _ in gaps})
    try:
        shifts = await source.on_call(wanted, at)
    except SourceError as exc:
        log.warning("live on-call unavailable schedules=%d error=%s", len(wanted), exc)
        return _OnCallAnswer(
            people.on_call,
            f"incident.io could not be asked who is on call ({exc}); showing synced entries only",
        )
    by_schedule: dict[str, list[LiveShift]] = {}
    for shift in shifts:
        by_schedule.setdefault(shift.schedule_id, []).append(shift)
    filled = dict(people.on_call)
    for service, gaps in people.uncovered.items():
        extra = [
            OnCall(s.person, schedule, name, team, s.start_at, s.end_at, "live", s.fetched_at or now)
            for schedule, name, team in gaps
            for s in by_schedule.get(schedule, [])
        ]
        filled[service] = (*filled.get(service, ()), *extra)
    return _OnCallAnswer(filled)


@dataclass(frozen=True)
class ServicePeople:
    """Per service id: its owning teams (with members), and who is on call for it at a time."""

    teams: dict[str, tuple[TeamInfo, ...]]
    on_call: dict[str, tuple[OnCall, ...]]
    # Why a service's on-call may be incomplete (the live source failed), per service id.
    notes: dict[str, str] = field(default_factory=dict)


async def people_of(
    store: GraphStore,
    service_ids: Sequence[str],
    *,
    at: datetime,
    now: datetime,
    live: LiveOnCallSource | None = None,
) -> ServicePeople:
    """The one on-call lookup: owning teams with members, and who is on call at ``at``.

    Reads the synced schedule entries of the services' own and their owning teams' schedules,
    and asks ``live`` for the schedules those entries do not cover. Investigations, the service
    pages and the team pages all ask here, so all answer alike.

    Args:
        store: The knowledge map.
        service_ids: Services in the map; a team's id gives who is on call on its own schedules
            (and no owning teams).
        at: The time to read on-call at (an incident's declaration, or now).
        now: The wall clock, for the freshness of live answers.
        live: Asks incident.io when the synced entries do not cover ``at``.
    """
    if not service_ids:
        return ServicePeople({}, {})
    checkpoint = await store.get_meta(SCHEDULES_CHECKPOINT)
    # The entries last stored came from an imported export when the checkpoint is its file time.
    imported = checkpoint is not None and checkpoint == await store.get_meta(SCHEDULES_FILE_TIME_KEY)
    source: OnCallSource = "export" if imported else "synced"
    people = await _people(store, service_ids, at, (stored_time(checkpoint), source))
    answer = await _live(live, people, at, now)
    notes = {s: answer.note for s in people.uncovered} if answer.note else {}
    return ServicePeople(people.teams, answer.by_service, notes)


async def gather_services(
    store: GraphStore,
    service_ids: Sequence[str],
    *,
    at: datetime,
    now: datetime,
    visibilities: tuple[Visibility, ...],
    live: LiveOnCallSource | None = None,
) -> Gathered:
    """Build the context of each affected service at the declared time ``at``.

    Args:
        store: The knowledge map.
        service_ids: The affected services (in the map).
        at: When the incident was declared: on-call, "recent" and "active" are read at this time.
        now: The wall clock, for the freshness of live on-call answers.
        visibilities: Which incidents may be cited.
        live: Asks incident.io for on-call when the synced schedule entries do not cover ``at``.

    Returns:
        One context per affected service (in the given order), what surrounds them, and the
        incidents on every nearby service.
    """
    around = await surroundings(store, service_ids)
    people = await people_of(store, service_ids, at=at, now=now, live=live)
    nearby = sorted(around.routes)
    incidents = await linked_recent(
        store,
        nearby,
        label="Incident",
        edge_type="AFFECTS",
        before=at,
        after=shifted(at, -timedelta(days=RECENT_DAYS)),
        per_anchor=50,
        visibilities=visibilities,
    )
    briefs = {s: tuple(_brief(n, around.name(s), at) for n in found) for s, found in incidents.items()}
    contexts = []
    for service in service_ids:
        upstream = _related(service, around, forward=True)
        name = around.name(service)
        recent = briefs.get(service, ())
        # Once each, where it is nearest: an incident on the service and on what it depends on (an
        # app and its database, as most are declared) is on the service, not listed twice.
        active: dict[str, IncidentBrief] = {}
        for brief in (*recent, *(b for dep in upstream for b in briefs.get(dep.id, ()))):
            if brief.active:
                active.setdefault(brief.id, brief)
        contexts.append(
            ServiceContext(
                id=service,
                name=name,
                teams=people.teams.get(service, ()),
                on_call=people.on_call.get(service, ()),
                upstream=upstream,
                downstream=_related(service, around, forward=False),
                recent_incidents=recent,
                active_incidents=tuple(active.values()),
                on_call_note=people.notes.get(service),
            )
        )
    return Gathered(tuple(contexts), around, briefs)
