"""Turns similar-incident results into plain JSON values (for ``--json``, batch files and the API).

Querying and formatting stay apart: ranking returns typed results; this only renders them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.retrieval.query import PosedQuery
    from precedent.retrieval.results import Explanation, Lesson, SimilarIncident, SimilarResults

__all__ = ["JSONValue", "explanation_json", "query_json", "result_json", "results_json"]

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None

_DIGITS = 4  # enough to tell scores apart, few enough to keep diffs of outputs stable


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def query_json(query: PosedQuery) -> dict[str, JSONValue]:
    """The query as it was posed: what ranking actually saw."""
    return {
        "incident_id": query.incident_id,
        "reference": query.reference,
        "name": query.name,
        "text": query.text,
        "services": list(query.service_names),
        "unknown_services": list(query.unknown_services),
        "severity": query.severity,
        "type": query.incident_type,
        "declared_at": _time(query.declared_at),
        "before": _time(query.before),
    }


def _lesson_json(lesson: Lesson) -> dict[str, JSONValue]:
    return {
        "root_cause": lesson.root_cause,
        "resolution": lesson.resolution,
        "learnings": lesson.learnings,
        "duration_seconds": lesson.duration_seconds,
        "severity": lesson.severity,
        "type": lesson.incident_type,
        "follow_ups": [
            {"title": f.title, "status": f.status, "priority": f.priority, "open": f.open, "url": f.url}
            for f in lesson.follow_ups
        ],
        "open_follow_ups": lesson.open_follow_ups,
    }


def explanation_json(explanation: Explanation) -> dict[str, JSONValue]:
    """Signal contributions, matched terms, the graph path and the lesson."""
    return {
        "contributions": {
            c.signal: {
                "value": round(c.value, _DIGITS),
                "weight": c.weight,
                "points": round(c.points, _DIGITS),
            }
            for c in explanation.contributions
        },
        "matched_terms": list(explanation.matched_terms),
        "shared_services": list(explanation.shared_services),
        "path": str(explanation.path) if explanation.path else None,
        "path_kind": explanation.path.kind if explanation.path else None,
        "lesson": _lesson_json(explanation.lesson),
    }


def result_json(result: SimilarIncident) -> dict[str, JSONValue]:
    """One result: ids, name, score and explanation."""
    return {
        "incident_id": result.incident_id,
        "reference": result.reference,
        "name": result.name,
        "score": round(result.score, _DIGITS),
        "started_at": _time(result.started_at),
        "explanation": explanation_json(result.explanation),
    }


def results_json(results: SimilarResults) -> dict[str, JSONValue]:
    """``{"query": {...}, "results": [{"incident_id", "reference", "name", "score", "explanation"}]}``."""
    return {"query": query_json(results.query), "results": [result_json(r) for r in results.results]}
