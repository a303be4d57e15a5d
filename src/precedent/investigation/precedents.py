"""Similar past incidents as precedents, and the open follow-ups of past incidents.

One store call fetches the follow-ups and suspected changes (``CAUSED_BY``) of every incident
the investigation cites: the similar ones and the recent ones on the affected services. Another
(``still_open``) says which were not yet resolved at the declaration: no fix of theirs is known
to have worked. A precedent without a post-mortem comes with the cause and fix its responders
posted (``Lesson.from_updates``, read by the finder as for every reader of similar incidents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from precedent.investigation.changes import change_from_node
from precedent.investigation.context import is_active
from precedent.investigation.results import FollowUp, Precedent, SuspectedChange
from precedent.model import GraphFilter, stored_time
from precedent.retrieval.lessons import follow_up_summary

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from precedent.model import Node, Visibility
    from precedent.retrieval.results import SimilarIncident
    from precedent.store.base import GraphStore

__all__ = ["Parts", "incident_parts", "precedents_from", "still_open"]

_CHANGE_WORDS = re.compile(
    r"\b(deploy(ed|ment)?|release[ds]?|rolled? out|rollout|config(uration)? change|feature flag|"
    r"flag flip|migration|new version|upgrade[ds]?|rolled back|roll(ed)?back|revert(ed)?)\b",
    re.IGNORECASE,
)
# In a resolution, only undoing a change says a change caused it: "we deployed a configuration
# change to bypass the cache" is the fix, and says nothing of the cause.
_UNDO_WORDS = re.compile(r"\b(rolled back|roll(ed)?back|revert(ed)?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Parts:
    """Open follow-ups per past incident, and the incidents that name a suspected change.

    Attributes:
        follow_ups: Open follow-ups, by incident id.
        caused: Ids of the incidents that name a suspected change (``CAUSED_BY``).
        suspected: Those changes, with the service each changed, by incident id.
        services: The names of the services each affected, by incident id.
    """

    follow_ups: dict[str, tuple[FollowUp, ...]]
    caused: frozenset[str]
    suspected: Mapping[str, tuple[SuspectedChange, ...]] = field(default_factory=dict)
    services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


async def incident_parts(
    store: GraphStore,
    incidents: Sequence[Node | tuple[str, str | None]],
    visibilities: tuple[Visibility, ...],
    at: datetime | None = None,
) -> Parts:
    """Fetch open follow-ups and suspected changes (with the services they changed) in one call.

    Args:
        store: The knowledge map.
        incidents: ``(id, reference)`` pairs (or Incident nodes).
        visibilities: Which follow-ups may be shown (they share their incident's visibility).
        at: The declaration, when an investigation reads them: its follow-ups are those open
            then, so a replay names none raised or finished after it.
    """
    refs: dict[str, str | None] = {}
    for item in incidents:
        if isinstance(item, tuple):
            refs[item[0]] = item[1]
        else:
            ref = item.properties.get("reference")
            refs[item.id] = str(ref) if ref is not None else None
    if not refs:
        return Parts({}, frozenset())
    # Two hops: Incident -CAUSED_BY-> ChangeEvent -CHANGED-> Service says where the change was,
    # and Incident -HAS_FOLLOW_UP-> FollowUp -ASSIGNED_TO-> User whom an open follow-up is with.
    sub = await store.subgraph(
        list(refs),
        depth=2,
        graph_filter=GraphFilter(
            labels=("FollowUp", "ChangeEvent", "Service", "User"),
            rel_types=("HAS_FOLLOW_UP", "CAUSED_BY", "CHANGED", "ASSIGNED_TO", "AFFECTS"),
            direction="out",
            visibilities=visibilities,
        ),
        max_nodes=len(refs) * 30 + 100,
    )
    nodes = {n.id: n for n in sub.nodes}
    changed = {
        e.source: str(nodes[e.target].properties.get("name", e.target))
        for e in sorted(sub.edges, key=lambda e: (e.source, e.target))
        if e.type == "CHANGED" and e.target in nodes
    }
    assigned = {
        e.source: _person(nodes[e.target])
        for e in sorted(sub.edges, key=lambda e: (e.source, e.target))
        if e.type == "ASSIGNED_TO" and e.target in nodes
    }
    follow_ups: dict[str, list[FollowUp]] = {}
    caused: set[str] = set()
    suspected: dict[str, list[SuspectedChange]] = {}
    affected: dict[str, set[str]] = {}
    for edge in sub.edges:
        if edge.source not in refs or edge.target not in nodes:
            continue
        if edge.type == "AFFECTS":
            affected.setdefault(edge.source, set()).add(
                str(nodes[edge.target].properties.get("name", edge.target))
            )
            continue
        if edge.type == "CAUSED_BY":
            caused.add(edge.source)
            change = change_from_node(nodes[edge.target], None, changed.get(edge.target, ""), None, None)
            suspected.setdefault(edge.source, []).append(
                SuspectedChange(change.id, change.service_name or None, change.kind)
            )
            continue
        node = nodes[edge.target]
        summary = follow_up_summary(node)
        if edge.type == "HAS_FOLLOW_UP" and (summary.open if at is None else _open_at(node, at)):
            follow_ups.setdefault(edge.source, []).append(
                FollowUp(
                    node.id,
                    summary.title,
                    summary.status,
                    summary.priority,
                    summary.url,
                    edge.source,
                    refs[edge.source],
                    assigned.get(node.id),
                )
            )
    ordered = {k: tuple(sorted(v, key=lambda f: (f.title, f.id))) for k, v in follow_ups.items()}
    named = {k: tuple(sorted(v, key=lambda c: c.id)) for k, v in suspected.items()}
    services = {k: tuple(sorted(v)) for k, v in affected.items()}
    return Parts(ordered, frozenset(caused), named, services)


def _open_at(follow_up: Node, at: datetime) -> bool:
    """Whether ``follow_up`` was open at ``at``: raised by then and not yet finished.

    A replay of an incident declared months ago cited the follow-ups raised since as "still
    open" work to apply, and left out those finished since, which were open then.
    """
    if follow_up.occurred_at is not None and follow_up.occurred_at > at:
        return False
    completed = stored_time(follow_up.properties.get("completed_at"))
    if completed is not None:
        return completed > at
    return follow_up_summary(follow_up).open


def _person(node: Node) -> str:
    """A user by name, else email, else id: a follow-up's assignee as a responder would ask for them."""
    props = node.properties
    return str(props.get("name") or props.get("email") or node.id)


def precedents_from(
    similar: Sequence[SimilarIncident], parts: Parts, open_then: frozenset[str] = frozenset()
) -> tuple[Precedent, ...]:
    """Turn the finder's results into precedents, flagging those a change caused.

    A precedent counts as caused by a change when its incident names a suspected change
    (``CAUSED_BY``), its root cause speaks of one (a deploy, a config change, a rollback), or its
    resolution undid one (a rollback, a revert).

    Args:
        similar: The finder's results, best first.
        parts: Their follow-ups and suspected changes (``incident_parts``).
        open_then: Ids of those still open at the declaration (``still_open``): they have no
            resolution yet, so what later resolved them is left out (a replay shows no hindsight)
            and they are flagged ``open_at_declaration``. A lesson their updates told
            (``Lesson.from_updates``) is left out whole for them: it may be hindsight too.
    """
    out = []
    for result in similar:
        lesson = result.explanation.lesson
        open_at_declaration = result.incident_id in open_then
        told = lesson.from_updates and not open_at_declaration
        root_cause = lesson.root_cause if told or not lesson.from_updates else None
        resolution = None if open_at_declaration else lesson.resolution
        named = bool(root_cause and _CHANGE_WORDS.search(root_cause))
        undone = bool(resolution and _UNDO_WORDS.search(resolution))
        out.append(
            Precedent(
                incident_id=result.incident_id,
                reference=result.reference,
                name=result.name,
                score=round(result.score, 4),
                started_at=result.started_at,
                root_cause=root_cause,
                resolution=resolution,
                duration_seconds=lesson.duration_seconds,
                reasons=result.explanation.reasons(),
                path=str(result.explanation.path) if result.explanation.path else None,
                shared_services=result.explanation.shared_services,
                follow_ups=parts.follow_ups.get(result.incident_id, ()),
                open_follow_ups=len(parts.follow_ups.get(result.incident_id, ())),
                caused_by_change=result.incident_id in parts.caused or named or undone,
                open_at_declaration=open_at_declaration,
                from_updates=told,
                suspected_changes=tuple(parts.suspected.get(result.incident_id, ())),
                closeness=_closeness(result),
                services=parts.services.get(result.incident_id, ()),
            )
        )
    return tuple(out)


def _closeness(result: SimilarIncident) -> float | None:
    """Its semantic value (0 to 1), whatever weight the ranking gives it; None if not measured."""
    values = [c.value for c in result.explanation.contributions if c.signal == "semantic"]
    return round(values[0], 4) if values else None


async def still_open(store: GraphStore, incident_ids: Sequence[str], at: datetime) -> frozenset[str]:
    """Those of ``incident_ids`` still open at ``at`` (``context.is_active``), from one store call."""
    if not incident_ids:
        return frozenset()
    return frozenset(n.id for n in await store.get_nodes(incident_ids) if is_active(n, at))
