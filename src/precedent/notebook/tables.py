"""Shaping the map's answers into pandas DataFrames, one row per thing, for notebooks.

Pure functions over plain rows and domain results: ``map.Map`` reads, these shape. pandas is
imported only here and only when a table is asked for, since the service does not depend on it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from precedent.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import pandas as pd

    from precedent.investigation import Change
    from precedent.responses import SimilarResponse

__all__ = [
    "CHANGE_COLUMNS",
    "FOLLOW_UP_COLUMNS",
    "INCIDENT_COLUMNS",
    "SERVICE_COLUMNS",
    "SIMILAR_COLUMNS",
    "changes_frame",
    "frame",
    "similar_frame",
]

INCIDENT_COLUMNS = (
    "id",
    "reference",
    "name",
    "status",
    "status_category",
    "severity",
    "type",
    "started_at",
    "resolved_at",
    "duration_minutes",
    "services",
    "related",
    "caused_by",
    "follow_ups",
    "open_follow_ups",
    "visibility",
)
"""``related``: incidents people linked it to (ids); ``caused_by``: changes named as its cause (ids)."""

SERVICE_COLUMNS = ("id", "name", "owners", "depends_on", "dependants", "incidents", "open_follow_ups")
FOLLOW_UP_COLUMNS = ("id", "incident_id", "reference", "title", "status", "priority", "open", "services")
CHANGE_COLUMNS = (
    "id",
    "service",
    "kind",
    "summary",
    "version",
    "author",
    "started_at",
    "finished_at",
    "source",
    "url",
)
SIMILAR_COLUMNS = (
    "rank",
    "incident_id",
    "reference",
    "name",
    "score",
    "started_at",
    "top_signals",
    "matched_terms",
    "shared_services",
    "path",
    "root_cause",
    "from_updates",
    "open_follow_ups",
)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # the service does not need pandas; notebooks do
        raise ConfigError(
            "tables need pandas: install the notebook extra (pip install 'precedent[notebooks]', "
            "or uv run --extra notebooks ...)"
        ) from exc
    return pandas


def frame(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, sort_by: str | None = None
) -> pd.DataFrame:
    """A DataFrame with exactly ``columns`` (empty but typed when there are no rows).

    Args:
        rows: One mapping per row.
        columns: The columns, in order.
        sort_by: Sort by this column (stable, missing values last).

    Raises:
        ConfigError: if pandas is not installed.
    """
    table = _pandas().DataFrame(list(rows), columns=list(columns))
    if sort_by is not None:
        table = table.sort_values(sort_by, kind="stable", na_position="last")
    return table.reset_index(drop=True)


def changes_frame(changes: Sequence[Change]) -> pd.DataFrame:
    """Changes to production, one row each, in the order given."""
    rows = []
    for change in changes:
        fields = asdict(change)
        rows.append({**fields, "service": change.service_name})
    return frame(rows, CHANGE_COLUMNS)


def similar_frame(answer: SimilarResponse, *, signals: int = 3) -> pd.DataFrame:
    """Similar incidents as a table: the strongest ``signals`` of each score, its path and lesson."""
    rows = []
    for rank, result in enumerate(answer.results, start=1):
        why = result.explanation
        strongest = sorted(why.contributions.items(), key=lambda kv: -kv[1].points)[:signals]
        rows.append(
            {
                "rank": rank,
                "incident_id": result.incident_id,
                "reference": result.reference,
                "name": result.name,
                "score": result.score,
                "started_at": result.started_at,
                "top_signals": ", ".join(f"{name} {c.points:.2f}" for name, c in strongest if c.points > 0),
                "matched_terms": ", ".join(why.matched_terms),
                "shared_services": ", ".join(why.shared_services),
                "path": why.path,
                "root_cause": why.lesson.root_cause,
                "from_updates": why.lesson.from_updates,
                "open_follow_ups": why.lesson.open_follow_ups,
            }
        )
    return frame(rows, SIMILAR_COLUMNS)
