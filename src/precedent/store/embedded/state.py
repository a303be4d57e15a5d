"""The embedded store's in-memory state and the one function that changes it, ``apply``.

Live writes and log replay both go through ``apply``, so a reopened store is the same state the
writes built. Nodes are kept without embeddings; those live in the ``VectorIndex`` matrix.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from precedent.model import EdgeKey
from precedent.store.embedded.link_order import LinkOrder
from precedent.store.embedded.listing import TimeOrder
from precedent.store.embedded.ops import (
    DeleteEdges,
    DeleteNodes,
    SetDimensions,
    SetMeta,
    UpsertEdges,
    UpsertNodes,
)
from precedent.store.embedded.text import TextIndex, analyze
from precedent.store.embedded.vectors import VectorIndex

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Edge, Node
    from precedent.store.embedded.ops import Op

__all__ = ["GraphState"]


@dataclass
class GraphState:
    """Nodes (indexed by label), edges (indexed both ways), counts, metadata, search indexes, time orders."""

    nodes: dict[str, Node] = field(default_factory=dict)
    # Label -> ids, so a question about services or teams reads those, not every incident part.
    by_label: dict[str, set[str]] = field(default_factory=dict)
    outgoing: dict[str, dict[EdgeKey, Edge]] = field(default_factory=dict)
    incoming: dict[str, dict[EdgeKey, Edge]] = field(default_factory=dict)
    label_counts: Counter[str] = field(default_factory=Counter)
    type_counts: Counter[str] = field(default_factory=Counter)
    meta: dict[str, str] = field(default_factory=dict)
    vectors: VectorIndex | None = None
    text: TextIndex = field(default_factory=TextIndex)
    order: TimeOrder = field(default_factory=TimeOrder)
    links: LinkOrder = field(default_factory=LinkOrder)

    @property
    def dimensions(self) -> int | None:
        """The embedding length, once known."""
        return self.vectors.dimensions if self.vectors is not None else None

    def edge(self, key: EdgeKey) -> Edge | None:
        """Return the edge with ``key``, if any."""
        return self.outgoing.get(key.source, {}).get(key)

    def incoming_of_type(self, target: str, edge_type: str) -> list[Edge]:
        """The ``edge_type`` edges into ``target``, newest source first (read from ``links``)."""
        incoming = self.incoming.get(target, {})
        sources = self.links.sources(self, target, edge_type)
        return [incoming[EdgeKey(source, edge_type, target)] for source in sources]

    def analyze(self, nodes: Sequence[Node]) -> list[tuple[list[str], list[str]]]:
        """Return each node's index terms and those of the node it replaces.

        Read-only, so a writer can run it in a worker thread before ``apply``.
        """
        analyzed = []
        for node in nodes:
            previous = self.nodes.get(node.id)
            old = analyze(previous.text) if previous is not None and previous.text else []
            analyzed.append((analyze(node.text) if node.text else [], old))
        return analyzed

    def apply(self, op: Op, analyzed: Sequence[tuple[list[str], list[str]]] | None = None) -> None:
        """Apply one operation; ``analyzed`` may carry ``analyze`` of an ``UpsertNodes``' nodes."""
        match op:
            case UpsertNodes(nodes):
                if analyzed is None:
                    analyzed = self.analyze(nodes)
                for node, (terms, previous) in zip(nodes, analyzed, strict=True):
                    self._put_node(node, terms, previous)
                self._put_vectors([node for node in nodes if node.embedding is not None])
            case UpsertEdges(edges):
                for edge in edges:
                    self._put_edge(edge)
            case DeleteNodes(ids):
                for node_id in ids:
                    self._delete_node(node_id)
            case DeleteEdges(keys):
                for key in keys:
                    self._delete_edge(key)
            case SetMeta(key, value):
                self.meta[key] = value
            case SetDimensions(dimensions):
                self._set_dimensions(dimensions)

    def _put_node(self, node: Node, terms: list[str], previous_terms: list[str]) -> None:
        previous = self.nodes.get(node.id)
        if previous is not None:
            self.label_counts[previous.label] -= 1
            if not self.label_counts[previous.label]:
                del self.label_counts[previous.label]
            self.by_label[previous.label].discard(node.id)
        self.nodes[node.id] = node.without_embedding()
        self.order.put(node, previous)
        if previous is not None and previous.occurred_at != node.occurred_at:
            self.links.redate(node, self.outgoing.get(node.id, {}).values())
        self.label_counts[node.label] += 1
        self.by_label.setdefault(node.label, set()).add(node.id)
        self.text.put(node.id, terms, previous_terms)
        # Embedded nodes are put in the vector index as one block after the loop.
        if node.embedding is None and self.vectors is not None:
            self.vectors.remove(node.id)

    def _put_vectors(self, embedded: list[Node]) -> None:
        if not embedded:
            return
        if self.vectors is None:
            first = embedded[0].embedding
            assert first is not None
            self.vectors = VectorIndex(len(first))
        self.vectors.put(embedded)

    def _put_edge(self, edge: Edge) -> None:
        if edge.source not in self.nodes or edge.target not in self.nodes:
            return
        key = edge.key
        if self.edge(key) is None:
            self.type_counts[edge.type] += 1
            self.links.link(edge, self.nodes[edge.source])
        self.outgoing.setdefault(edge.source, {})[key] = edge
        self.incoming.setdefault(edge.target, {})[key] = edge

    def _delete_edge(self, key: EdgeKey) -> None:
        outgoing = self.outgoing.get(key.source)
        if outgoing is None or outgoing.pop(key, None) is None:
            return
        if not outgoing:
            del self.outgoing[key.source]
        incoming = self.incoming[key.target]
        del incoming[key]
        if not incoming:
            del self.incoming[key.target]
        self.links.unlink(key.type, key.source, key.target)
        self.type_counts[key.type] -= 1
        if not self.type_counts[key.type]:
            del self.type_counts[key.type]

    def _delete_node(self, node_id: str) -> None:
        node = self.nodes.pop(node_id, None)
        if node is None:
            return
        self.order.remove(node)
        touching = [*self.outgoing.get(node_id, {}), *self.incoming.get(node_id, {})]
        for key in touching:
            self._delete_edge(key)
        self.label_counts[node.label] -= 1
        if not self.label_counts[node.label]:
            del self.label_counts[node.label]
        self.by_label[node.label].discard(node_id)
        self.text.remove(node_id, analyze(node.text) if node.text else [])
        if self.vectors is not None:
            self.vectors.remove(node_id)

    def _set_dimensions(self, dimensions: int) -> None:
        # Callers only change the dimension while no embedding is stored (see validation).
        if self.vectors is None or self.vectors.dimensions != dimensions:
            self.vectors = VectorIndex(dimensions)
