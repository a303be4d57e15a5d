"""Search and graph filters as predicates over one node, plus the time encoding they share.

``vectors`` applies the same rules as array masks; the predicates here serve text search and
graph walks, which already visit candidates one by one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precedent.model import GraphFilter, Node, SearchFilter

__all__ = ["graph_allows", "search_allows", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Return ``moment`` as integer microseconds since the Unix epoch.

    Raises:
        ValueError: if ``moment`` is naive (it could mean any zone).
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} must be timezone-aware")
    return (moment - _EPOCH) // _MICROSECOND


def search_allows(node: Node, search_filter: SearchFilter) -> bool:
    """Whether ``search_filter`` lets a vector or text search return ``node``."""
    if search_filter.labels and node.label not in search_filter.labels:
        return False
    if node.visibility not in search_filter.visibilities or node.id in search_filter.exclude_ids:
        return False
    if search_filter.before is None and search_filter.after is None:
        return True
    if node.occurred_at is None:
        # A time-bounded search cannot vouch for undated nodes, so it leaves them out.
        return False
    if search_filter.before is not None and node.occurred_at >= search_filter.before:
        return False
    return search_filter.after is None or node.occurred_at >= search_filter.after


def graph_allows(node: Node, graph_filter: GraphFilter) -> bool:
    """Whether a walk under ``graph_filter`` may reach ``node``."""
    if graph_filter.labels and node.label not in graph_filter.labels:
        return False
    if node.visibility not in graph_filter.visibilities:
        return False
    if node.occurred_at is None:
        # Walks pass undated nodes (services, teams) so time bounds only prune dated events.
        return True
    if graph_filter.before is not None and node.occurred_at >= graph_filter.before:
        return False
    return graph_filter.after is None or node.occurred_at >= graph_filter.after
