"""Figures over incidents: how many per week, and the failures that keep coming back.

Both read the incidents through ``GraphStore.list_nodes`` (newest first, bounded by a time
window), so they cost what the window holds, never a scan of the whole map, and both count only
what the viewer may see.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from precedent.browse.hotspots import MAX_WEEKS, WeekCount, week_start
from precedent.browse.paging import check_limit
from precedent.errors import InvalidQuery
from precedent.model import GraphFilter, NodeLink, NodeListing
from precedent.retrieval.catalog import unknown_service
from precedent.retrieval.lessons import follow_up_summary
from precedent.store.listing import list_every_node

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.model import Node, Viewer
    from precedent.retrieval import Catalog
    from precedent.store import GraphStore

__all__ = ["RecurringPattern", "incidents_per_week", "recurring_patterns"]

MAX_RECURRING_INCIDENTS = 2000
"""The newest incidents a recurring-pattern search compares at most (pairwise, per service)."""


def _now() -> datetime:
    return datetime.now(UTC)


async def incidents_per_week(
    store: GraphStore,
    catalog: Catalog,
    viewer: Viewer,
    *,
    weeks: int = 12,
    service: str | None = None,
    now: Callable[[], datetime] = _now,
) -> list[WeekCount]:
    """Incidents declared per week over the last ``weeks`` weeks (this one included), oldest first.

    Args:
        store: The map.
        catalog: Resolves ``service``.
        viewer: Who is asking; only incidents it may see count.
        weeks: How many weeks (1 to ``MAX_WEEKS``); weeks without incidents count 0.
        service: Only incidents on this service (id, name, external id or alias).
        now: The clock.

    Raises:
        InvalidQuery: if ``weeks`` is out of range.
        NotFound: if ``service`` is not in the map.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidQuery(f"weeks must be between 1 and {MAX_WEEKS}; got {weeks}")
    link = None
    if service is not None:
        services, unknown = await catalog.services((service,))
        if unknown:
            raise await unknown_service(store, service, field="service")
        link = NodeLink("AFFECTS", frozenset(s.id for s in services))
    first = week_start(now()) - timedelta(weeks=weeks - 1)
    listing = NodeListing("Incident", after=first, visibilities=viewer.visibilities, linked=link)
    counts = Counter(
        week_start(n.occurred_at) for n in await list_every_node(store, listing) if n.occurred_at
    )
    return [WeekCount(first + timedelta(weeks=i), counts[first + timedelta(weeks=i)]) for i in range(weeks)]


@dataclass(frozen=True)
class RecurringPattern:
    """Similar incidents on one service: a failure that keeps coming back.

    Attributes:
        service: The service they all affected.
        incidents: The incidents, newest first.
        open_follow_ups: Their follow-ups with work left, the work that might stop the next one.
        similarity: The lowest similarity that joined two of them (cosine of their embeddings).
    """

    service: Node
    incidents: tuple[Node, ...]
    open_follow_ups: tuple[Node, ...]
    similarity: float


def _clusters(nodes: list[Node], threshold: float) -> list[tuple[list[int], float]]:
    """Groups of ``nodes`` joined by cosine ≥ ``threshold`` (single link), with the weakest join."""
    vectors = np.stack([n.embedding for n in nodes]).astype(np.float32)  # type: ignore[misc]
    similar = vectors @ vectors.T
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    weakest: dict[int, float] = {}
    for i, j in zip(*np.nonzero(np.triu(similar >= threshold, k=1)), strict=True):
        a, b = root(int(i)), root(int(j))
        score = float(similar[i, j])
        if a != b:
            parent[b] = a
            weakest[a] = min(weakest.get(a, 1.0), weakest.pop(b, 1.0), score)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(nodes)):
        groups[root(i)].append(i)
    return [(members, weakest.get(r, 1.0)) for r, members in groups.items() if len(members) > 1]


async def recurring_patterns(
    store: GraphStore,
    viewer: Viewer,
    *,
    days: int = 90,
    min_incidents: int = 2,
    min_similarity: float = 0.8,
    limit: int = 20,
    now: Callable[[], datetime] = _now,
) -> list[RecurringPattern]:
    """Recurring failures: per service, groups of similar incidents declared in the last ``days``.

    Compares at most the newest ``MAX_RECURRING_INCIDENTS`` incidents of the window, pairwise
    within each service they affected, by the cosine of their stored embeddings.

    Args:
        store: The map.
        viewer: Who is asking; only incidents (and follow-ups) it may see take part.
        days: The window (1 to 730).
        min_incidents: The fewest incidents a pattern holds (at least 2).
        min_similarity: The cosine at which two incidents count as the same failure.
        limit: How many patterns, largest first (then newest).
        now: The clock.

    Raises:
        InvalidQuery: if an argument is out of range.
    """
    check_limit(limit)
    if not 1 <= days <= 730 or min_incidents < 2 or not 0.0 < min_similarity <= 1.0:
        raise InvalidQuery("days must be 1 to 730, min_incidents at least 2 and min_similarity in (0, 1]")
    listing = NodeListing("Incident", after=now() - timedelta(days=days), visibilities=viewer.visibilities)
    window = await list_every_node(store, listing, MAX_RECURRING_INCIDENTS)
    embedded = {n.id: n for n in await store.get_nodes([n.id for n in window], with_embeddings=True)}
    affects = GraphFilter(labels=("Service",), rel_types=("AFFECTS",), direction="out")
    services = await store.neighbours_of([n.id for n in window], affects, per_node=20)
    by_service: dict[str, list[Node]] = defaultdict(list)
    service_nodes: dict[str, Node] = {}
    for incident in window:  # newest first, so each group is too
        full = embedded.get(incident.id)
        if full is None or full.embedding is None:
            continue
        for _, service in services[incident.id]:
            by_service[service.id].append(full)
            service_nodes[service.id] = service
    found: list[tuple[Node, list[Node], float]] = []
    for service_id, incidents in by_service.items():
        if len(incidents) >= min_incidents:
            for members, weakest in _clusters(incidents, min_similarity):
                if len(members) >= min_incidents:
                    group = [incidents[i].without_embedding() for i in sorted(members)]
                    found.append((service_nodes[service_id], group, weakest))
    found.sort(key=lambda f: (-len(f[1]), -(f[1][0].occurred_at or now()).timestamp(), f[0].id))
    found = found[:limit]
    work = GraphFilter(
        labels=("FollowUp",), rel_types=("HAS_FOLLOW_UP",), direction="out", visibilities=viewer.visibilities
    )
    follow_ups = await store.neighbours_of(list({n.id for _, group, _ in found for n in group}), work)
    return [
        RecurringPattern(
            service,
            tuple(group),
            tuple(f for n in group for _, f in follow_ups.get(n.id, []) if follow_up_summary(f).open),
            round(weakest, 4),
        )
        for service, group, weakest in found
    ]
