"""Graph walks over the in-memory state: a node's neighbours and breadth-first subgraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import Edge, GraphFilter, Node, Subgraph
from precedent.store.embedded.filters import graph_allows, to_micros

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from precedent.store.embedded.state import GraphState

__all__ = ["neighbours", "subgraph"]

_ANY = GraphFilter()
# Below this many incoming edges a plain walk is cheaper than keeping an index per edge type.
_FEW = 64


def _edges_at(state: GraphState, node_id: str, graph_filter: GraphFilter) -> Iterator[tuple[Edge, str]]:
    """Yield each edge at ``node_id`` the filter's types and direction allow, with the far end."""
    types = graph_filter.rel_types
    if graph_filter.direction in ("out", "both"):
        for edge in state.outgoing.get(node_id, {}).values():
            if not types or edge.type in types:
                yield edge, edge.target
    if graph_filter.direction in ("in", "both"):
        incoming = state.incoming.get(node_id, {})
        if types and len(incoming) > _FEW:
            # A busy service: read only the wanted types' edges from their index.
            edges: Iterable[Edge] = (e for t in types for e in state.incoming_of_type(node_id, t))
        else:
            edges = incoming.values()
        for edge in edges:
            # A self-loop was already yielded as an outgoing edge.
            if (not types or edge.type in types) and not (
                graph_filter.direction == "both" and edge.source == node_id
            ):
                yield edge, edge.source


def neighbours(state: GraphState, node_id: str, graph_filter: GraphFilter | None) -> list[tuple[Edge, Node]]:
    """Return the allowed edges at ``node_id`` with their far node, by (type, far id)."""
    graph_filter = graph_filter or _ANY
    found = []
    for edge, other_id in _edges_at(state, node_id, graph_filter):
        other = state.nodes[other_id]
        if graph_allows(other, graph_filter):
            found.append((edge, other))
    # Source and target break the tie between A-[T]->B and B-[T]->A.
    found.sort(key=lambda pair: (pair[0].type, pair[1].id, pair[0].source, pair[0].target))
    return found


def _cut(state: GraphState, layer: list[str], room: int, ranks: Mapping[str, int]) -> list[str]:
    """The ``room`` nodes of ``layer`` kept under the cap (``GraphStore.subgraph``), by id."""
    unranked = max(ranks.values(), default=0) + 1

    def key(node_id: str) -> tuple[int, int, int, str]:
        node = state.nodes[node_id]
        when = node.occurred_at
        newest = (0, -to_micros(when)) if when is not None else (1, 0)
        return (ranks.get(node.label, unranked), *newest, node_id)

    return sorted(sorted(layer, key=key)[: max(room, 0)])


def subgraph(
    state: GraphState,
    seeds: Sequence[str],
    depth: int,
    graph_filter: GraphFilter | None,
    max_nodes: int,
    label_ranks: Mapping[str, int],
) -> Subgraph:
    """Return the ``depth``-hop neighbourhood of the existing ``seeds``, by hop then id.

    Seeds are kept and walked from whatever the filter says; later hops only reach nodes it
    allows, and walk on from none with a stop label. When more nodes are reachable than
    ``max_nodes`` the walk stops there, keeps the best ranked labels and the newest first, and
    says ``truncated``.
    """
    graph_filter = graph_filter or _ANY
    layer = sorted({seed for seed in seeds if seed in state.nodes})
    kept: list[str] = []
    seen: set[str] = set()
    truncated = False
    hop = 0
    while layer:
        room = max_nodes - len(kept)
        if len(layer) > room:
            kept.extend(_cut(state, layer, room, label_ranks))
            truncated = True
            break
        kept.extend(layer)
        seen.update(layer)
        if hop == depth:
            break
        reached = set()
        for node_id in layer:
            if hop and state.nodes[node_id].label in graph_filter.stop_labels:
                continue
            for _, other_id in _edges_at(state, node_id, graph_filter):
                if other_id not in seen and graph_allows(state.nodes[other_id], graph_filter):
                    reached.add(other_id)
        layer = sorted(reached)
        hop += 1
    members = set(kept)
    edges = [
        edge
        for node_id in kept
        for edge in state.outgoing.get(node_id, {}).values()
        if edge.target in members and (not graph_filter.rel_types or edge.type in graph_filter.rel_types)
    ]
    edges.sort(key=lambda e: (e.source, e.type, e.target))
    return Subgraph(tuple(state.nodes[n] for n in kept), tuple(edges), truncated)
