"""Similar past incidents with their explanations and lessons."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from precedent.responses.base import ResponseModel
from precedent.retrieval.results import ToldLesson

if TYPE_CHECKING:
    from precedent.retrieval import (
        Explanation,
        FollowUpSummary,
        Lesson,
        PosedQuery,
        SimilarIncident,
        SimilarResults,
    )

__all__ = [
    "ContributionResponse",
    "ExplanationResponse",
    "FollowUpResponse",
    "LessonResponse",
    "PosedQueryResponse",
    "SimilarIncidentResponse",
    "SimilarResponse",
    "score_text",
]

_DIGITS = 4  # enough to tell scores apart, few enough to keep diffs of outputs stable


def score_text(score: float) -> str:
    """A similar incident's ranking score as every surface writes it for people: ``0.651``.

    Three decimals, as the CLI's table, the pages and the demo write it; the MCP tool's text
    wrote the response's four (``0.6513``). The responses keep four for machines.
    """
    return f"{score:.3f}"


class ContributionResponse(ResponseModel):
    """One signal's part in a score: ``points = weight * value``."""

    value: float = Field(description="the signal, in [0, 1]")
    weight: float
    points: float


class FollowUpResponse(ResponseModel):
    """A follow-up of a past incident; ``open`` flags work that was never finished."""

    title: str
    status: str | None
    priority: str | None
    open: bool
    url: str | None

    @classmethod
    def from_summary(cls, follow_up: FollowUpSummary) -> FollowUpResponse:
        """Render a follow-up summary."""
        return cls(
            title=follow_up.title,
            status=follow_up.status,
            priority=follow_up.priority,
            open=follow_up.open,
            url=follow_up.url,
        )


class LessonResponse(ToldLesson, ResponseModel):
    """What a past incident teaches: root cause, resolution, duration, follow-ups.

    From its post-mortem; without one naming a root cause or resolution, from its status updates
    (``from_updates``), as an investigation's precedents read it.
    """

    root_cause: str | None
    resolution: str | None
    learnings: str | None
    duration_seconds: int | None
    severity: str | None
    type: str | None
    follow_ups: list[FollowUpResponse]
    open_follow_ups: int
    from_updates: bool = Field(
        default=False,
        description="no post-mortem names a root cause or resolution: they were read from the status "
        "updates posted when it was identified and fixed (what its responders believed then)",
    )

    @classmethod
    def from_lesson(cls, lesson: Lesson) -> LessonResponse:
        """Render a lesson."""
        return cls(
            root_cause=lesson.root_cause,
            resolution=lesson.resolution,
            learnings=lesson.learnings,
            duration_seconds=lesson.duration_seconds,
            severity=lesson.severity,
            type=lesson.incident_type,
            follow_ups=[FollowUpResponse.from_summary(f) for f in lesson.follow_ups],
            open_follow_ups=lesson.open_follow_ups,
            from_updates=lesson.from_updates,
        )


class ExplanationResponse(ResponseModel):
    """Why a past incident ranked where it did."""

    reasons: list[str] = Field(
        description="the strongest reasons in words, e.g. 'shares words: pool, timeout', 'similar in meaning'"
    )
    contributions: dict[str, ContributionResponse] = Field(description="per signal, in signal order")
    matched_terms: list[str]
    shared_services: list[str]
    path: str | None = Field(description="the map path linking the two incidents, e.g. INC-9 -AFFECTS-> db")
    path_kind: Literal["same_service", "dependency", "same_team"] | None
    lesson: LessonResponse

    @classmethod
    def from_explanation(cls, explanation: Explanation) -> ExplanationResponse:
        """Render an explanation."""
        return cls(
            reasons=list(explanation.reasons()),
            contributions={
                c.signal: ContributionResponse(
                    value=round(c.value, _DIGITS), weight=c.weight, points=round(c.points, _DIGITS)
                )
                for c in explanation.contributions
            },
            matched_terms=list(explanation.matched_terms),
            shared_services=list(explanation.shared_services),
            path=str(explanation.path) if explanation.path else None,
            path_kind=explanation.path.kind if explanation.path else None,
            lesson=LessonResponse.from_lesson(explanation.lesson),
        )


class SimilarIncidentResponse(ResponseModel):
    """One similar past incident, with its score and explanation."""

    incident_id: str
    reference: str | None
    name: str
    score: float
    started_at: datetime | None
    explanation: ExplanationResponse

    @classmethod
    def from_result(cls, result: SimilarIncident) -> SimilarIncidentResponse:
        """Render one result."""
        return cls(
            incident_id=result.incident_id,
            reference=result.reference,
            name=result.name,
            score=round(result.score, _DIGITS),
            started_at=result.started_at,
            explanation=ExplanationResponse.from_explanation(result.explanation),
        )


class PosedQueryResponse(ResponseModel):
    """The query as ranking saw it: the incident as it looked when declared."""

    incident_id: str | None
    reference: str | None
    name: str
    text: str
    services: list[str]
    unknown_services: list[str] = Field(description="services named that the map does not hold")
    services_meant: dict[str, list[str]] = Field(
        default_factory=dict,
        description="for each of unknown_services, up to three services of the map it may have meant "
        "(as a 404 for one service suggests them; empty when no name is like it)",
    )
    severity: str | None
    type: str | None
    declared_at: datetime | None
    before: datetime | None = Field(description="only incidents that started earlier were eligible")

    @classmethod
    def from_query(cls, query: PosedQuery) -> PosedQueryResponse:
        """Render a posed query."""
        return cls(
            incident_id=query.incident_id,
            reference=query.reference,
            name=query.name,
            text=query.text,
            services=list(query.service_names),
            unknown_services=list(query.unknown_services),
            services_meant={key: list(meant) for key, meant in query.services_meant.items()},
            severity=query.severity,
            type=query.incident_type,
            declared_at=query.declared_at,
            before=query.before,
        )


class SimilarResponse(ResponseModel):
    """Similar past incidents, best first, with the query as ranking saw it."""

    query: PosedQueryResponse
    results: list[SimilarIncidentResponse]

    @classmethod
    def from_results(cls, results: SimilarResults) -> SimilarResponse:
        """Render a ranking."""
        return cls(
            query=PosedQueryResponse.from_query(results.query),
            results=[SimilarIncidentResponse.from_result(r) for r in results.results],
        )
