"""Turns store results into networkx graphs for notebooks and graph algorithms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.model import Edge, Node

__all__ = ["to_networkx"]


def to_networkx(nodes: Iterable[Node], edges: Iterable[Edge]) -> nx.MultiDiGraph:
    """Build a MultiDiGraph: node attributes are the node's fields, edges are keyed by type.

    Embeddings are left out; they are large and graph algorithms do not need them.
    """
    graph = nx.MultiDiGraph()
    for node in nodes:
        graph.add_node(
            node.id,
            label=node.label,
            occurred_at=node.occurred_at.isoformat() if node.occurred_at else None,
            visibility=node.visibility,
            text=node.text,
            **dict(node.properties),
        )
    for edge in edges:
        if edge.source in graph and edge.target in graph:
            graph.add_edge(edge.source, edge.target, key=edge.type, type=edge.type, **dict(edge.properties))
    return graph
