"""Lessons of past incidents without a post-mortem, read from their status updates: one store call.

``lessons.said_in_updates`` reads the cause and fix from an incident's updates; this fetches the
updates (and the affected services' names it ignores) for many incidents at once, and gives
similar-incident results their lesson by ``lessons.with_updates``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.model import GraphFilter
from precedent.retrieval.lessons import said_in_updates, with_updates

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Node, Visibility
    from precedent.retrieval.results import SimilarIncident
    from precedent.store.base import GraphStore

__all__ = ["told_in_updates", "with_told"]

# Far more updates than an incident gets; only a malformed map would reach it.
_UPDATES_PER_INCIDENT = 200


async def told_in_updates(
    store: GraphStore, incident_ids: Sequence[str], visibilities: tuple[Visibility, ...]
) -> dict[str, tuple[str | None, str | None]]:
    """``(cause, fix)`` each incident's responders posted (``lessons.said_in_updates``), in one call.

    Many incidents never get a post-mortem, yet the update posted when the cause was identified
    says what it was: without it, a past incident that is the same failure again showed no cause
    and no fix.
    """
    if not incident_ids:
        return {}
    sub = await store.subgraph(
        list(incident_ids),
        depth=1,
        graph_filter=GraphFilter(
            labels=("IncidentUpdate", "Service"),
            rel_types=("HAS_UPDATE", "AFFECTS"),
            direction="out",
            visibilities=visibilities,
        ),
        max_nodes=len(incident_ids) * (_UPDATES_PER_INCIDENT + 1),
    )
    nodes = {n.id: n for n in sub.nodes}
    parts: dict[tuple[str, str], list[Node]] = {}
    for edge in sub.edges:
        if edge.source in nodes and edge.target in nodes:
            parts.setdefault((edge.source, edge.type), []).append(nodes[edge.target])
    wanted = set(incident_ids)
    return {
        node.id: said_in_updates(
            node,
            parts.get((node.id, "HAS_UPDATE"), ()),
            [str(s.properties.get("name", "")) for s in parts.get((node.id, "AFFECTS"), ())],
        )
        for node in sub.nodes
        if node.id in wanted and node.label == "Incident"
    }


async def with_told(
    store: GraphStore, results: Sequence[SimilarIncident], visibilities: tuple[Visibility, ...]
) -> tuple[SimilarIncident, ...]:
    """``results`` with each lesson no post-mortem wrote up read from its updates (``with_updates``).

    One store call, and only when some result has no written-up root cause or resolution.
    """
    unwritten = [
        r.incident_id
        for r in results
        if not (r.explanation.lesson.root_cause or r.explanation.lesson.resolution)
    ]
    told = await told_in_updates(store, unwritten, visibilities)
    return tuple(
        replace(
            r,
            explanation=replace(
                r.explanation, lesson=with_updates(r.explanation.lesson, told[r.incident_id])
            ),
        )
        if r.incident_id in told
        else r
        for r in results
    )
