"""Lessons of past incidents without a post-mortem, read from their status updates: two store calls.

``lessons.said_in_updates`` reads the cause and fix from an incident's updates; this fetches the
incidents, and their updates and affected services' names (which it ignores), for many incidents
at once, and gives similar-incident results their lesson by ``lessons.with_updates``.
"""

from __future__ import annotations

import asyncio
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

# An incident's affected services (AFFECTS sorts before HAS_UPDATE, so they come first) and its
# updates: far more than an incident gets; only a malformed map would reach it, and then only that
# incident's latest updates are left out (by id), never another incident's.
_NEIGHBOURS_PER_INCIDENT = 250


async def told_in_updates(
    store: GraphStore, incident_ids: Sequence[str], visibilities: tuple[Visibility, ...]
) -> dict[str, tuple[str | None, str | None]]:
    """``(cause, fix)`` each incident's responders posted (``lessons.said_in_updates``), in two calls at once.

    Many incidents never get a post-mortem, yet the update posted when the cause was identified
    says what it was: without it, a past incident that is the same failure again showed no cause
    and no fix.
    """
    if not incident_ids:
        return {}
    incidents, linked = await asyncio.gather(
        store.get_nodes(list(incident_ids)),
        store.neighbours_of(
            list(incident_ids),
            GraphFilter(
                labels=("IncidentUpdate", "Service"),
                rel_types=("HAS_UPDATE", "AFFECTS"),
                direction="out",
                visibilities=visibilities,
            ),
            per_node=_NEIGHBOURS_PER_INCIDENT,
        ),
    )
    told = {}
    for incident in incidents:
        if incident.label != "Incident":
            continue
        parts: dict[str, list[Node]] = {}
        for edge, node in linked.get(incident.id, ()):
            parts.setdefault(edge.type, []).append(node)
        names = [str(s.properties.get("name", "")) for s in parts.get("AFFECTS", ())]
        told[incident.id] = said_in_updates(incident, parts.get("HAS_UPDATE", ()), names)
    return told


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
