"""Typed investigation results: what a responder reads in the first minutes of an incident.

Plain frozen dataclasses; ``codec`` turns them into JSON and back (that JSON is what is stored,
served over HTTP and printed by ``precedent investigate --json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from precedent.retrieval.results import ToldLesson
from precedent.retrieval.shortening import shortened

__all__ = [
    "Change",
    "ChangeKind",
    "Evidence",
    "FollowUp",
    "Hypothesis",
    "HypothesisKind",
    "IncidentBrief",
    "Investigation",
    "InvestigatedIncident",
    "MapState",
    "OnCall",
    "OnCallSource",
    "Person",
    "Precedent",
    "RelatedService",
    "ServiceContext",
    "SuspectedChange",
    "TeamInfo",
]

SUMMARY_LINE_CHARS = 160
"""The most of a change's summary a responder is shown (``Change.summary_line``)."""

ChangeKind = Literal["deploy", "config", "feature_flag", "infrastructure", "other"]
HypothesisKind = Literal["same_service", "change", "precedent", "dependency", "recurrence"]
EvidenceKind = Literal["change", "incident", "follow_up", "service"]
Relation = Literal["affected", "upstream", "downstream", "nearby", "unlinked"]
OnCallSource = Literal["synced", "export", "live"]


@dataclass(frozen=True)
class InvestigatedIncident:
    """The incident as the investigation saw it (as declared: name, what was said then, services)."""

    id: str | None
    reference: str | None
    name: str
    summary: str
    status: str | None
    severity: str | None
    incident_type: str | None
    declared_at: datetime | None
    visibility: Literal["public", "private"]
    url: str | None
    service_ids: tuple[str, ...]
    service_names: tuple[str, ...]
    unknown_services: tuple[str, ...]
    slack_channel_id: str | None = None
    """The incident's Slack channel in incident.io's workspace (absent until incident.io made it)."""
    services_meant: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each of ``unknown_services``, the services of the map it may have meant (none stored
    before they were suggested)."""

    @property
    def label(self) -> str:
        """How statements name it: its reference, else its id, else ``this incident``."""
        return self.reference or self.id or "this incident"

    @property
    def heading(self) -> str:
        """How a page, a list or a screen heads it: ``INC-123: its name``, or the name alone for one
        described (not in the map), which a heading "this incident: Checkout 500s" named as if it
        were the page's own subject."""
        return f"{self.label}: {self.name}" if self.reference or self.id else self.name


@dataclass(frozen=True)
class Person:
    """A user of the organisation."""

    id: str
    name: str
    email: str | None = None
    slack_user_id: str | None = None


@dataclass(frozen=True)
class TeamInfo:
    """A team owning an affected service, with its members."""

    id: str
    name: str
    members: tuple[Person, ...]


@dataclass(frozen=True)
class OnCall:
    """Who is on call for an owning team's schedule at the incident's declared time.

    Attributes:
        source: ``synced`` (the schedule entries the last sync stored), ``export`` (those of an
            imported export) or ``live`` (fetched from incident.io because the stored entries did
            not cover the incident's time).
        fetched_at: When that answer was read from incident.io (the last schedule sync, or the
            live call), so a reader can judge how fresh it is; for ``export``, the time its schedule
            entries file was written, as an export records no time of its own.
    """

    person: Person
    schedule_id: str
    schedule_name: str
    team: str | None
    start_at: datetime | None
    end_at: datetime | None
    source: OnCallSource
    fetched_at: datetime | None

    @property
    def provenance(self) -> str | None:
        """Where the entry came from when a reader must be told, in the words every surface uses.

        ``from an imported export, as of its file time 2026-03-02 09:30 UTC``: an export records
        no time of its own, so it is as fresh as its file. ``None`` for a sync's or a live answer.
        """
        if self.source != "export" or self.fetched_at is None:
            return None
        file_time = self.fetched_at.astimezone(UTC)
        return f"from an imported export, as of its file time {file_time:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class RelatedService:
    """A service within two DEPENDS_ON hops of an affected one.

    Attributes:
        relation: ``upstream`` when the affected service depends on it, ``downstream`` when it
            depends on the affected service.
        via: The affected service it was reached from.
    """

    id: str
    name: str
    hops: int
    relation: Literal["upstream", "downstream"]
    via: str


@dataclass(frozen=True)
class IncidentBrief:
    """Another incident in the map, in one line."""

    id: str
    reference: str | None
    name: str
    status: str | None
    severity: str | None
    started_at: datetime | None
    active: bool
    service: str


@dataclass(frozen=True)
class ServiceContext:
    """One affected service: who owns it, who is on call, what is around it and what broke on it."""

    id: str
    name: str
    teams: tuple[TeamInfo, ...]
    on_call: tuple[OnCall, ...]
    upstream: tuple[RelatedService, ...]
    downstream: tuple[RelatedService, ...]
    recent_incidents: tuple[IncidentBrief, ...]
    active_incidents: tuple[IncidentBrief, ...]
    on_call_note: str | None = None
    """Why ``on_call`` may be incomplete (the live call to incident.io failed), else ``None``."""


@dataclass(frozen=True)
class Change:
    """A change to production near the incident, in time and in the graph.

    Attributes:
        relation: Where the changed service sits relative to the affected services, by the
            dependency path a change on it would take to one: ``affected``, ``upstream`` (a
            dependency), ``downstream`` (a dependent), ``nearby`` (it depends on a service an
            affected one depends on) or ``unlinked`` (no dependency path: it is reached only
            through a service that depends on both). Investigations stored before ``unlinked``
            say ``nearby`` for either.
        hops: DEPENDS_ON hops from the nearest affected service (0 for an affected service).
        via: The affected service it was reached from.
        minutes_before: How long before the declaration it started.
        source: ``api`` (recorded through Precedent) or ``catalog`` (incident.io's catalog).
        through: The services between ``via`` and the changed one on that path, nearest to
            ``via`` first (none within one hop, and in investigations stored before it).
    """

    id: str
    service_id: str | None
    service_name: str
    kind: ChangeKind
    summary: str | None
    version: str | None
    author: str | None
    started_at: datetime | None
    finished_at: datetime | None
    url: str | None
    commit_sha: str | None
    repository: str | None
    source: str
    relation: Relation
    hops: int
    via: str
    minutes_before: float | None
    through: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """``deploy of payments-api 1.4.2`` or the change's summary."""
        what = f"{self.kind.replace('_', ' ')} of {self.service_name}"
        return f"{what} {self.version}" if self.version else what

    @property
    def placement(self) -> str | None:
        """Where the changed service sits, in the words every surface uses; ``None`` when affected.

        ``upstream of checkout, 1 hop``, ``shares a dependency with checkout, 2 hops`` (``nearby``),
        or ``no dependency path to checkout (gateway depends on both)`` (``unlinked``; ``, 2 hops``
        when stored before ``through``): the CLI said "unlinked, 2 hop(s) from checkout" and the
        page "upstream via checkout" beside the MCP tool's wording.
        """
        if self.relation == "affected":
            return None
        hops = f"{self.hops} hop{'' if self.hops == 1 else 's'}"
        if self.relation == "unlinked":
            # "no dependency path to checkout, 2 hops" read as a path of two hops: name the service
            # depending on both, which is how it was reached, as its hypothesis does.
            if len(self.through) == 1:
                return f"no dependency path to {self.via} ({self.through[0]} depends on both)"
            return f"no dependency path to {self.via}, {hops}"
        if self.relation == "nearby":  # "nearby of checkout" said neither how nor where
            return f"shares a dependency with {self.via}, {hops}"
        return f"{self.relation} of {self.via}, {hops}"

    @property
    def summary_line(self) -> str | None:
        """The summary's first line, cut between words to ``SUMMARY_LINE_CHARS``: what a responder reads.

        The documented CI step sends a whole commit message as the summary; shown in full it
        pushed everything after it off the page, the table and the message. The API keeps it whole.
        """
        if not self.summary or not self.summary.strip():
            return None
        first = next(line for line in self.summary.strip().splitlines() if line.strip())
        return shortened(first, SUMMARY_LINE_CHARS)


@dataclass(frozen=True)
class SuspectedChange:
    """A change a past incident named as its suspected cause (``CAUSED_BY``): where, and what kind."""

    id: str
    service_name: str | None
    kind: ChangeKind


@dataclass(frozen=True)
class FollowUp:
    """An open follow-up from a past incident."""

    id: str
    title: str
    status: str | None
    priority: str | None
    url: str | None
    incident_id: str
    incident_reference: str | None
    # Whom it is assigned to (``ASSIGNED_TO``), by name: a responder finding the fix unfinished
    # asks its owner how far it got. None when unassigned, and in investigations stored before it.
    assignee: str | None = None

    @property
    def said(self) -> str:
        """Its title, and whom it is assigned to when anyone is: ``Add a pool alert (Ana Ruiz)``."""
        return f"{self.title} ({self.assignee})" if self.assignee else self.title

    @property
    def why(self) -> str:
        """Why a hypothesis cites it: ``still open, assigned to Ana Ruiz`` or ``still open, unassigned``."""
        return f"still open, assigned to {self.assignee}" if self.assignee else "still open, unassigned"


@dataclass(frozen=True)
class Precedent(ToldLesson):
    """A similar past incident and what it teaches."""

    incident_id: str
    reference: str | None
    name: str
    score: float
    started_at: datetime | None
    root_cause: str | None
    resolution: str | None
    duration_seconds: int | None
    reasons: tuple[str, ...]
    path: str | None
    shared_services: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]
    open_follow_ups: int
    caused_by_change: bool
    # Not yet resolved when the investigated incident was declared: ``resolution`` is left out
    # (hindsight), and its responders may know more. False in investigations stored before it.
    open_at_declaration: bool = False
    # Its root cause or resolution was read from the status updates its responders posted (it
    # has no post-mortem saying so): shown, but a weaker lesson than a written-up one.
    from_updates: bool = False
    # The changes it named as its suspected cause, so a change hypothesis cites it only for a
    # change like one of them. Empty in investigations stored before it.
    suspected_changes: tuple[SuspectedChange, ...] = ()
    # How close in meaning it is on a fixed scale: the finder's semantic value (the cosine
    # rescaled from its floor, 0 to 1). ``score`` only orders one list: the best of unrelated
    # incidents scores as the best of close ones. None in investigations stored before it.
    closeness: float | None = None
    # The services it affected, by name: one sharing none with the investigated incident says
    # where it was. Empty in investigations stored before it.
    services: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Its reference, else its id."""
        return self.reference or self.incident_id


@dataclass(frozen=True)
class Evidence:
    """One thing a hypothesis rests on, cited by id."""

    kind: EvidenceKind
    id: str
    name: str
    why: str


@dataclass(frozen=True)
class Hypothesis:
    """A likely cause, with how confident Precedent is (0 to 1) and what it rests on.

    Attributes:
        advice: What to do, as the statement ends (its last clause, without the full stop), or
            empty when it gives no advice of its own. A form with no room for the whole statement
            (the Slack summary's line) shortens what comes before it and keeps it: a responder
            reading one line needs the action more than the whole cause.
    """

    statement: str
    confidence: float
    kind: HypothesisKind
    evidence: tuple[Evidence, ...]
    advice: str = ""

    def __post_init__(self) -> None:
        if not self.statement.removesuffix(".").endswith(self.advice):
            raise ValueError(f"a hypothesis's advice ends its statement: {self.advice!r} does not")


@dataclass(frozen=True)
class MapState:
    """What the map held when the investigation was built."""

    incidents: int
    changes: int
    services: int
    last_sync: str | None


@dataclass(frozen=True)
class Investigation:
    """The first look at an incident: hypotheses, precedents, owners, on-call and recent changes."""

    id: str
    incident: InvestigatedIncident
    hypotheses: tuple[Hypothesis, ...]
    similar: tuple[Precedent, ...]
    services: tuple[ServiceContext, ...]
    changes: tuple[Change, ...]
    follow_ups: tuple[FollowUp, ...]
    summary_markdown: str
    built_at: datetime
    build_ms: float
    map_state: MapState
    change_window_hours: float

    @property
    def cited_incidents(self) -> frozenset[str]:
        """The other incidents it names: precedents, incidents on the services, evidence, follow-ups.

        What its reader learns of other incidents (names, causes, fixes) comes from these, so
        they decide who may read it (``persist.save``).
        """
        briefs = [b for s in self.services for b in (*s.recent_incidents, *s.active_incidents)]
        follow_ups = [*self.follow_ups, *(f for p in self.similar for f in p.follow_ups)]
        cited = {
            *(p.incident_id for p in self.similar),
            *(b.id for b in briefs),
            *(e.id for h in self.hypotheses for e in h.evidence if e.kind == "incident"),
            *(f.incident_id for f in follow_ups),
        }
        return frozenset(cited - {self.incident.id})
