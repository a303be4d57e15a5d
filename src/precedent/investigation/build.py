"""Build an investigation: pose the incident, gather what surrounds it, rank hypotheses, summarise.

Everything the build needs comes in as explicit collaborators (the store, the finder, the
catalog, a clock, an optional live on-call source), so tests pass fakes and the API and CLI share
one finder and catalog for the process's life.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.investigation.changes import DEFAULT_WINDOW, changes_near
from precedent.investigation.context import Gathered, LiveOnCallSource, gather_services
from precedent.investigation.precedents import incident_parts, precedents_from, still_open
from precedent.investigation.ranking import rank_hypotheses
from precedent.investigation.results import Change, FollowUp, InvestigatedIncident, Investigation, MapState
from precedent.investigation.summary import summary_markdown
from precedent.investigation.summary_links import SITE
from precedent.metrics import INVESTIGATION_BUILD_SECONDS
from precedent.model import PUBLIC_VIEWER
from precedent.retrieval.query import DescribedQuery, SimilarOptions, SimilarQuery

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.links import Links
    from precedent.model import Node, Viewer, Visibility
    from precedent.retrieval.catalog import Catalog
    from precedent.retrieval.query import PosedQuery
    from precedent.retrieval.similar import SimilarIncidentFinder
    from precedent.store.base import GraphStore

__all__ = [
    "CHANGE_WINDOW_DEFAULT_HOURS",
    "CHANGE_WINDOW_DESCRIPTION",
    "CHANGE_WINDOW_MAX_HOURS",
    "change_window",
    "SIMILAR_PRECEDENTS_MAX",
    "Collaborators",
    "InvestigationOptions",
    "build_investigation",
    "investigation_id",
]

SIMILAR_PRECEDENTS_MAX = 50
"""The most similar past incidents an investigation gathers, on every surface (the API's and the
MCP tool's ``similar``, the CLI's ``--similar``): the MCP tool had 20, the API 50."""

CHANGE_WINDOW_MAX_HOURS = 720
"""The longest change window an investigation reads (30 days; any length above 0 up to it), on
every surface (the API's and the MCP tools' ``change_window_hours``, the CLI's ``--window-hours``):
the API also refused one under 0.1 hours, which the MCP tool and the CLI took."""

CHANGE_WINDOW_DEFAULT_HOURS = DEFAULT_WINDOW / timedelta(hours=1)
"""A change window's hours when none is given (24), on every surface."""

CHANGE_WINDOW_DESCRIPTION = (
    f"changes read this far back, in hours (above 0, at most {CHANGE_WINDOW_MAX_HOURS})"
)
"""How every surface describes a change window's hours (the API's ``change_window_hours``, the MCP
tools' ``get_investigation`` and ``service_context``): the tools said "how far before the
declaration to read changes" and "how far back to read changes near the service"."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Collaborators:
    """What an investigation is built from; one set per process.

    Attributes:
        store: The knowledge map.
        finder: Finds similar past incidents (shares ``catalog``'s lookups when built together).
        catalog: Resolves ``INC-123`` and service names.
        clock: The wall clock (injected by tests).
        live_on_call: Asks incident.io who is on call when synced schedules do not cover the time.
        links: Where the web pages are, or ``None`` for an investigation that will not be stored
            (its summary links to no page). A stored summary's links are site-relative; the
            surfaces showing it put their base in front (``summary_links.shown_summary``).
    """

    store: GraphStore
    finder: SimilarIncidentFinder
    catalog: Catalog
    clock: Callable[[], datetime] = field(default=_utc_now)
    live_on_call: LiveOnCallSource | None = None
    links: Links | None = None


@dataclass(frozen=True)
class InvestigationOptions:
    """How much to gather.

    Attributes:
        similar: How many similar past incidents.
        change_window: How far before the declaration changes are read.

    Raises:
        InvalidQuery: if ``similar`` is not from 1 to ``SIMILAR_PRECEDENTS_MAX``, or the window
            not above 0 and at most ``CHANGE_WINDOW_MAX_HOURS``, naming the field at fault.
    """

    similar: int = 5
    change_window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        # In the words every surface refuses a word given for either in, as every window's hours
        # and whole number: get_investigation said "the change window must be more than 0" where
        # service_context said "change_window_hours must be a number of hours above 0".
        if not 1 <= self.similar <= SIMILAR_PRECEDENTS_MAX:
            raise InvalidQuery.number_out_of_range("similar", self.similar, 1, SIMILAR_PRECEDENTS_MAX)
        if not timedelta(0) < self.change_window <= timedelta(hours=CHANGE_WINDOW_MAX_HOURS):
            hours = self.change_window / timedelta(hours=1)
            raise InvalidQuery.hours_out_of_range(
                "change_window_hours", _hours_as_sent(hours), CHANGE_WINDOW_MAX_HOURS
            )


def _hours_as_sent(hours: float) -> str:
    """``hours`` written as a caller wrote it: ``1000000``, ``0.05``, ``1e+30``.

    ``:g`` keeps six digits, so a refusal echoed a sent 1000000 as ``1e+06``, a number the caller
    never wrote; a whole number is written whole, any other as Python's shortest exact form.
    """
    return str(int(hours)) if hours.is_integer() and abs(hours) < 1e16 else repr(hours)


def change_window(hours: float) -> timedelta:
    """``hours`` (a body field, a flag or a tool argument) as an investigation's change window.

    Raises:
        InvalidQuery: unless above 0 and at most ``CHANGE_WINDOW_MAX_HOURS`` (NaN and infinity
            neither), checked before the window is built: ``timedelta(hours=1e30)`` overflows, and
            every surface answered that OverflowError as a crash (a 500, a traceback).
    """
    if not 0 < hours <= CHANGE_WINDOW_MAX_HOURS:
        raise InvalidQuery.hours_out_of_range(
            "change_window_hours", _hours_as_sent(hours), CHANGE_WINDOW_MAX_HOURS
        )
    return timedelta(hours=hours)


def investigation_id(subject: str, built_at: datetime) -> str:
    """``inv:<descending time>:<subject>``: ids sort newest first, so listing can stop early."""
    descending = 10**13 - int(built_at.timestamp() * 1000)
    return f"inv:{descending:013d}:{subject}"


def _subject(posed: PosedQuery) -> str:
    if posed.incident_id:
        return posed.incident_id
    digest = hashlib.sha256(f"{posed.name}\x1f{','.join(posed.service_ids)}".encode()).hexdigest()
    return f"query-{digest[:12]}"


async def _resolve(
    query: SimilarQuery, collaborators: Collaborators, viewer: Viewer
) -> tuple[Node | None, tuple[Visibility, ...]]:
    if isinstance(query, DescribedQuery):
        # A described incident may be shared anywhere; cite only what everyone may see.
        return None, ("public",)
    # The catalog says "not found", not "forbidden", to a viewer who may not see the incident.
    node = await collaborators.catalog.incident(query.incident, viewer)
    return node, viewer.visibilities_about(node.visibility)


def _incident(posed: PosedQuery, node: Node | None, at: datetime) -> InvestigatedIncident:
    props = node.properties if node else {}
    return InvestigatedIncident(
        id=posed.incident_id,
        reference=posed.reference,
        name=posed.name,
        # What was known at the declaration, never the final write-up, status nor a later
        # escalation (a replay shows no hindsight); the severity is the one ranking used.
        summary=posed.declared_summary,
        status=posed.declared_status,
        severity=posed.severity,
        incident_type=posed.incident_type,
        declared_at=posed.declared_at or at,
        visibility=node.visibility if node else "public",
        url=str(props["url"]) if "url" in props else None,
        service_ids=posed.service_ids,
        service_names=posed.service_names,
        unknown_services=posed.unknown_services,
        services_meant=dict(posed.services_meant),
        slack_channel_id=str(props["slack_channel_id"]) if "slack_channel_id" in props else None,
    )


async def _map_state(store: GraphStore, cite: tuple[Visibility, ...]) -> MapState:
    # Counted as the investigation cites: a public one's reader may not learn how many private
    # incidents the map holds.
    stats, last_sync = await asyncio.gather(
        store.stats(visibilities=cite), store.get_meta("sync:incidents:checkpoint")
    )
    by_label = stats.nodes_by_label
    return MapState(
        by_label.get("Incident", 0), by_label.get("ChangeEvent", 0), by_label.get("Service", 0), last_sync
    )


async def build_investigation(
    query: SimilarQuery,
    collaborators: Collaborators,
    viewer: Viewer,
    options: InvestigationOptions | None = None,
) -> Investigation:
    """Build the first look at an incident in the map (``IncidentQuery``) or described (``DescribedQuery``).

    Args:
        query: The incident.
        collaborators: The store, finder, catalog, clock and live on-call source.
        viewer: Who is asking: a private incident is investigated only for a viewer who may see
            it, and a public incident's investigation never cites a private one.
        options: How many precedents, how wide a change window.

    Returns:
        The investigation (not stored; see ``persist.save``).

    Raises:
        NotFound: if the incident is not in the map, or the viewer may not see it.
    """
    options = options or InvestigationOptions()
    started = time.perf_counter()
    store, now = collaborators.store, collaborators.clock()
    node, cite = await _resolve(query, collaborators, viewer)
    # A described incident may be shared anywhere: its precedents are the public ones.
    similar_options = SimilarOptions(limit=options.similar, viewer=viewer if node else PUBLIC_VIEWER)
    posed = await collaborators.finder.pose(query, similar_options)
    at = posed.declared_at or now
    if isinstance(query, DescribedQuery) and posed.before is None:
        posed = _with_cutoff(posed, at)

    async def around() -> tuple[Gathered, tuple[Change, ...]]:
        gathered = await gather_services(
            store, posed.service_ids, at=at, now=now, visibilities=cite, live=collaborators.live_on_call
        )
        changes = await changes_near(
            store, gathered.around, at=at, window=options.change_window, visibilities=cite
        )
        return gathered, changes

    similar, (gathered, changes), map_state = await asyncio.gather(
        collaborators.finder.find_posed(posed, options.similar), around(), _map_state(store, cite)
    )
    recent_on_affected = [b for s in gathered.services for b in s.recent_incidents]
    parts, unresolved = await asyncio.gather(
        incident_parts(
            store,
            [(r.incident_id, r.reference) for r in similar.results]
            + [(b.id, b.reference) for b in recent_on_affected],
            cite,
            at,
        ),
        still_open(store, [r.incident_id for r in similar.results], at),
    )
    precedents = precedents_from(similar.results, parts, unresolved)
    incident = _incident(posed, node, at)
    hypotheses = rank_hypotheses(
        incident, changes, precedents, gathered.services, gathered.nearby_incidents, unresolved
    )
    follow_ups: dict[str, FollowUp] = {}
    for incident_id in [p.incident_id for p in precedents] + [b.id for b in recent_on_affected]:
        for follow_up in parts.follow_ups.get(incident_id, ()):
            follow_ups.setdefault(follow_up.id, follow_up)
    built_at = collaborators.clock()
    new_id = investigation_id(_subject(posed), built_at)
    # Site-relative: each surface showing it puts the base its reader reaches now in front
    # (``summary_links``); an absolute base went dead after a restart on another address.
    links = SITE if collaborators.links else None
    summary = summary_markdown(
        incident,
        hypotheses,
        precedents,
        gathered.services,
        changes,
        page=links.investigation(new_id) if links else None,
        incident_page=links.incident if links else None,
        team_page=links.team if links else None,
    )
    build_seconds = time.perf_counter() - started
    INVESTIGATION_BUILD_SECONDS.observe(build_seconds)
    return Investigation(
        id=new_id,
        incident=incident,
        hypotheses=hypotheses,
        similar=precedents,
        services=gathered.services,
        changes=changes,
        follow_ups=tuple(follow_ups.values()),
        summary_markdown=summary,
        built_at=built_at,
        build_ms=round(build_seconds * 1000, 1),
        map_state=map_state,
        change_window_hours=options.change_window.total_seconds() / 3600,
    )


def _with_cutoff(posed: PosedQuery, at: datetime) -> PosedQuery:
    # A described incident without a declared time is happening now: only the past may answer.
    return replace(posed, before=at)
