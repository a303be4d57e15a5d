"""Typed similar-incident results: scores, the reasons behind them and what each past incident teaches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.retrieval.fusion import Contribution, SignalName
    from precedent.retrieval.query import PosedQuery

__all__ = [
    "FROM_UPDATES",
    "Explanation",
    "FollowUpSummary",
    "GraphPath",
    "Lesson",
    "PathStep",
    "SimilarIncident",
    "SimilarResults",
    "ToldLesson",
]


FROM_UPDATES = "as its status updates said; no post-mortem"
"""Said of a lesson no post-mortem wrote up: it is what the responders believed then."""


class _Told(Protocol):
    @property
    def root_cause(self) -> str | None: ...

    @property
    def from_updates(self) -> bool: ...


class ToldLesson:
    """How a lesson's root cause and resolution are introduced, one wording for every reader.

    Mixed into each shape a lesson takes (the ranking's ``Lesson``, an investigation's
    ``Precedent``, the API's ``LessonResponse``), which hold ``root_cause`` and ``from_updates``.
    """

    @property
    def cause_said(self: _Told) -> str:
        """How its root cause is introduced, saying where one no post-mortem wrote up came from."""
        return f"root cause ({FROM_UPDATES})" if self.from_updates else "root cause"

    @property
    def fix_said(self: _Told) -> str:
        """How its resolution is introduced: it says where it came from when no root cause shown does."""
        told = self.from_updates and not self.root_cause
        return f"resolved by ({FROM_UPDATES})" if told else "resolved by"


@dataclass(frozen=True)
class PathStep:
    """One edge of a path and the node it reaches, read left to right.

    Attributes:
        edge_type: The relationship type.
        forward: True when the edge points left to right (``-TYPE->``), False for ``<-TYPE-``.
        node: The name of the node reached (its id when it has no name).
    """

    edge_type: str
    forward: bool
    node: str


@dataclass(frozen=True)
class GraphPath:
    """A path in the map from the query incident to a past incident."""

    start: str
    steps: tuple[PathStep, ...]
    kind: Literal["same_service", "dependency", "same_team"]

    @property
    def hops(self) -> int:
        """Service-to-service edges on the path (0 when both affect the same service)."""
        return max(0, len(self.steps) - 2)

    def __str__(self) -> str:
        parts = [self.start]
        for step in self.steps:
            arrow = f"-{step.edge_type}->" if step.forward else f"<-{step.edge_type}-"
            parts += [arrow, step.node]
        return " ".join(parts)


@dataclass(frozen=True)
class FollowUpSummary:
    """A follow-up of a past incident; ``open`` flags work that was never finished."""

    title: str
    status: str | None
    priority: str | None
    open: bool
    url: str | None


@dataclass(frozen=True)
class Lesson(ToldLesson):
    """What a past incident teaches, taken from its post-mortem and follow-ups.

    Without a post-mortem naming a root cause or a resolution, they are read from the status
    updates posted when the cause was identified and when it was fixed (``from_updates``;
    ``lessons.with_updates``).
    """

    root_cause: str | None
    resolution: str | None
    learnings: str | None
    duration_seconds: int | None
    severity: str | None
    incident_type: str | None
    follow_ups: tuple[FollowUpSummary, ...]
    from_updates: bool = False

    @property
    def open_follow_ups(self) -> int:
        """How many follow-ups are still open."""
        return sum(1 for f in self.follow_ups if f.open)


# What each signal means to a responder: its rank twin ("lexical_rank") is the same reason, and
# a ranking's words ("lexical", "semantic") told them nothing they could check.
_SAID: dict[SignalName, str] = {
    "semantic": "similar in meaning",
    "semantic_rank": "similar in meaning",
    "lexical": "shares words",
    "lexical_rank": "shares words",
    "same_service": "same service",
    "shares_service": "same service",
    "dependency_path": "linked through a service dependency",
    "same_team": "same owning team",
    "same_type": "same incident type",
    "same_severity": "same severity",
    "recency": "recent",
    "recurrence": "recurs on the same services",
}
_SHOWN_TERMS = 5


@dataclass(frozen=True)
class Explanation:
    """Why a past incident ranked where it did.

    Attributes:
        contributions: ``weight * value`` per signal, in ``fusion.SIGNALS`` order.
        matched_terms: Query terms (stop words removed) the incident's text also contains.
        shared_services: Names of services both affect.
        path: The shortest service path linking the two incidents, if any.
        lesson: Root cause, resolution, follow-ups of the past incident.
    """

    contributions: tuple[Contribution, ...]
    matched_terms: tuple[str, ...]
    shared_services: tuple[str, ...]
    path: GraphPath | None
    lesson: Lesson

    def top_reasons(self, n: int = 3) -> tuple[Contribution, ...]:
        """The ``n`` largest non-zero contributions, largest first (ties in signal order)."""
        ranked = sorted(
            (c for c in self.contributions if c.points > 0),
            key=lambda c: -c.points,
        )
        return tuple(ranked[:n])

    def reasons(self, n: int = 3) -> tuple[str, ...]:
        """The ``n`` strongest reasons in a responder's words, strongest first, each said once.

        ``shares words: pool, timeout`` and ``same service: payments-api`` name what is shared.
        """
        said: list[str] = []
        for contribution in self.top_reasons(len(self.contributions)):
            words = _SAID[contribution.signal]
            if words == "shares words" and self.matched_terms:
                words += ": " + ", ".join(self.matched_terms[:_SHOWN_TERMS])
            elif words == "same service" and self.shared_services:
                words += ": " + ", ".join(self.shared_services)
            if words not in said:
                said.append(words)
        return tuple(said[:n])


@dataclass(frozen=True)
class SimilarIncident:
    """One similar past incident."""

    incident_id: str
    reference: str | None
    name: str
    score: float
    started_at: datetime | None
    explanation: Explanation


@dataclass(frozen=True)
class SimilarResults:
    """The answer to one query: the query as posed and the ranked results."""

    query: PosedQuery
    results: tuple[SimilarIncident, ...]
