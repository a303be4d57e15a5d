"""What ranking needs of a set of candidate incidents, read from the in-memory state.

The Neo4j store answers the same question in one query (``store/neo4j/facts.py``); the contract
suite checks they agree.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from precedent.model import IncidentFacts

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from precedent.model import Node, Visibility
    from precedent.store.embedded.state import GraphState

__all__ = ["incident_facts"]


def _out(state: GraphState, node_id: str, edge_type: str, *labels: str) -> Iterator[Node]:
    for edge in state.outgoing.get(node_id, {}).values():
        if edge.type == edge_type and state.nodes[edge.target].label in labels:
            yield state.nodes[edge.target]


def _by_id(nodes: Iterator[Node], per_list: int) -> tuple[Node, ...]:
    return tuple(sorted({n.id: n for n in nodes}.values(), key=lambda n: n.id)[:per_list])


def _related(
    state: GraphState,
    node_id: str,
    visibilities: tuple[Visibility, ...],
    before: datetime | None,
    per_list: int,
) -> tuple[str, ...]:
    ends = [e.target for e in state.outgoing.get(node_id, {}).values() if e.type == "RELATED_TO"]
    ends += [e.source for e in state.incoming.get(node_id, {}).values() if e.type == "RELATED_TO"]
    found = set()
    for end in ends:
        other = state.nodes[end]
        if other.id == node_id or other.label != "Incident" or other.visibility not in visibilities:
            continue
        # As in a graph walk, an undated incident passes the cutoff.
        if before is None or other.occurred_at is None or other.occurred_at < before:
            found.add(other.id)
    return tuple(sorted(found)[:per_list])


def _facts(
    state: GraphState,
    node: Node,
    visibilities: tuple[Visibility, ...],
    before: datetime | None,
    lessons: bool,
    per_list: int,
) -> IncidentFacts:
    affected = _by_id(_out(state, node.id, "AFFECTS", "Service", "Team"), per_list)
    chunks: tuple[Node, ...] = ()
    follow_ups: tuple[Node, ...] = ()
    if lessons:
        postmortems = (
            p for p in _out(state, node.id, "HAS_POSTMORTEM", "Postmortem") if p.visibility in visibilities
        )
        chunks = _by_id(
            (
                c
                for p in postmortems
                for c in _out(state, p.id, "HAS_CHUNK", "PostmortemChunk")
                if c.visibility in visibilities
            ),
            per_list,
        )
        follow_ups = _by_id(
            (f for f in _out(state, node.id, "HAS_FOLLOW_UP", "FollowUp") if f.visibility in visibilities),
            per_list,
        )
    return IncidentFacts(
        node=node,
        cosine=None,
        affected=affected,
        owners={
            s.id: _by_id(_out(state, s.id, "OWNED_BY", "Team"), per_list)
            for s in affected
            if s.label == "Service"
        },
        related=_related(state, node.id, visibilities, before, per_list),
        chunks=chunks,
        follow_ups=follow_ups,
    )


class _Brief:
    """Brief facts (``GraphStore.incident_facts(properties=...)``), each linked node briefed once."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = keys
        self._linked: dict[str, Node] = {}

    def _nodes(self, nodes: tuple[Node, ...]) -> tuple[Node, ...]:
        briefed = []
        for node in nodes:
            found = self._linked.get(node.id)
            if found is None:
                found = self._linked[node.id] = node.brief()
            briefed.append(found)
        return tuple(briefed)

    def facts(self, facts: IncidentFacts) -> IncidentFacts:
        return dataclasses.replace(
            facts,
            node=facts.node.brief(self._keys),
            affected=self._nodes(facts.affected),
            owners={service: self._nodes(teams) for service, teams in facts.owners.items()},
            chunks=self._nodes(facts.chunks),
            follow_ups=self._nodes(facts.follow_ups),
        )


def incident_facts(
    state: GraphState,
    ids: Sequence[str],
    *,
    visibilities: tuple[Visibility, ...],
    before: datetime | None,
    lessons: bool,
    per_list: int,
    properties: Sequence[str] | None,
) -> dict[str, IncidentFacts]:
    """Facts (without cosines) about the visible incidents among ``ids``; see ``GraphStore``.

    Arguments are checked by the caller, which adds the cosines from its vector index.
    """
    found: dict[str, IncidentFacts] = {}
    brief = None if properties is None else _Brief(properties)
    for node_id in ids:
        node = state.nodes.get(node_id)
        if (
            node is None
            or node_id in found
            or node.label != "Incident"
            or node.visibility not in visibilities
        ):
            continue
        if before is not None and (node.occurred_at is None or node.occurred_at >= before):
            continue
        facts = _facts(state, node, visibilities, before, lessons, per_list)
        found[node_id] = facts if brief is None else brief.facts(facts)
    return found
