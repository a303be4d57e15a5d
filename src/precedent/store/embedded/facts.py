"""What ranking needs of a set of candidate incidents, read from the in-memory state.

The Neo4j store answers the same question in one query (``store/neo4j/facts.py``); the contract
suite checks they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import IncidentFacts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
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


class _Shape:
    """How nodes appear in the facts: whole, or brief (``incident_facts(properties=...)``)."""

    def __init__(self, keys: Sequence[str] | None) -> None:
        self._keys = keys
        self._linked: dict[str, Node] = {}  # each linked node briefed once: services recur

    def incident(self, node: Node) -> Node:
        return node if self._keys is None else node.brief(self._keys)

    def linked(self, nodes: tuple[Node, ...]) -> tuple[Node, ...]:
        if self._keys is None:
            return nodes
        briefed = []
        for node in nodes:
            found = self._linked.get(node.id)
            if found is None:
                found = self._linked[node.id] = node.brief()
            briefed.append(found)
        return tuple(briefed)


def _lessons(
    state: GraphState, node: Node, visibilities: tuple[Visibility, ...], per_list: int
) -> tuple[tuple[Node, ...], tuple[Node, ...]]:
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
    return chunks, follow_ups


def incident_facts(
    state: GraphState,
    ids: Sequence[str],
    *,
    visibilities: tuple[Visibility, ...],
    before: datetime | None,
    lessons: bool,
    per_list: int,
    properties: Sequence[str] | None,
    cosines: Callable[[list[str]], Mapping[str, float]] | None,
) -> dict[str, IncidentFacts]:
    """Facts about the visible incidents among ``ids``; see ``GraphStore.incident_facts``.

    Arguments are checked by the caller; ``cosines`` scores the found incidents' embeddings
    against the query's (None: no query vector).
    """
    nodes: dict[str, Node] = {}
    for node_id in ids:
        node = state.nodes.get(node_id)
        if node is None or node_id in nodes or node.label != "Incident":
            continue
        if node.visibility not in visibilities:
            continue
        if before is not None and (node.occurred_at is None or node.occurred_at >= before):
            continue
        nodes[node_id] = node
    scores = {} if cosines is None else cosines(list(nodes))
    shape = _Shape(properties)
    owners_of: dict[str, tuple[Node, ...]] = {}  # a busy service is affected by many candidates

    def owners(service: Node) -> tuple[Node, ...]:
        found = owners_of.get(service.id)
        if found is None:
            teams = _by_id(_out(state, service.id, "OWNED_BY", "Team"), per_list)
            found = owners_of[service.id] = shape.linked(teams)
        return found

    found = {}
    for node_id, node in nodes.items():
        affected, related = _links(state, node_id, visibilities, before)
        chunks, follow_ups = _lessons(state, node, visibilities, per_list) if lessons else ((), ())
        kept = affected[:per_list]
        found[node_id] = IncidentFacts(
            node=shape.incident(node),
            cosine=scores.get(node_id),
            affected=shape.linked(kept),
            owners={s.id: owners(s) for s in kept if s.label == "Service"},
            related=related[:per_list],
            chunks=shape.linked(chunks),
            follow_ups=shape.linked(follow_ups),
        )
    return found


def _links(
    state: GraphState, node_id: str, visibilities: tuple[Visibility, ...], before: datetime | None
) -> tuple[tuple[Node, ...], tuple[str, ...]]:
    """The services and teams an incident affects, and its related incidents, each in id order.

    One pass over its edges for both: this runs for each of a query's few hundred candidates.
    """
    nodes = state.nodes
    affected: dict[str, Node] = {}
    ends: list[str] = []
    for edge in state.outgoing.get(node_id, {}).values():
        if edge.type == "AFFECTS":
            target = nodes[edge.target]
            if target.label in ("Service", "Team"):
                affected[target.id] = target
        elif edge.type == "RELATED_TO":
            ends.append(edge.target)
    ends += [e.source for e in state.incoming.get(node_id, {}).values() if e.type == "RELATED_TO"]
    related = set()
    for end in ends:
        other = nodes[end]
        if other.id == node_id or other.label != "Incident" or other.visibility not in visibilities:
            continue
        # As in a graph walk, an undated incident passes the cutoff.
        if before is None or other.occurred_at is None or other.occurred_at < before:
            related.add(other.id)
    ordered = tuple(affected[i] for i in sorted(affected)) if len(affected) > 1 else tuple(affected.values())
    return ordered, tuple(sorted(related))
