"""Checks a batch before it is logged, so a batch either lands whole or not at all; checks filters.

Labels and relationship types must be in ``graph_schema/``; properties must be flat; every
embedding must be a finite float32 vector of the store's dimension. A read naming a label or type
the schema does not know is an error too, as on Neo4j, rather than a silently empty answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, get_args

import numpy as np

from precedent.errors import SchemaError
from precedent.graph_schema import load_schema
from precedent.model import Edge, Node, Visibility, clean_properties

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from precedent.model import Property, Vector

__all__ = [
    "check_dimensions",
    "check_edge_types",
    "check_labels",
    "check_property_names",
    "prepare_edges",
    "prepare_nodes",
]

_VISIBILITIES = frozenset(get_args(Visibility))
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def prepare_nodes(nodes: Sequence[Node], dimensions: int | None) -> tuple[Node, ...]:
    """Return the nodes with clean properties and float32 embeddings.

    Args:
        nodes: The caller's batch.
        dimensions: The store's embedding length, or None if no length is fixed yet (the
            batch's first embedding then fixes it).

    Raises:
        SchemaError: if a label, visibility, property or embedding is not allowed.
    """
    schema = load_schema()
    prepared = []
    # The same id twice in a batch is one node, the last one, as if upserted in turn.
    for node in {node.id: node for node in nodes}.values():
        schema.check_label(node.label)
        if node.visibility not in _VISIBILITIES:
            raise SchemaError(f"node {node.id}: visibility must be 'public' or 'private'")
        embedding = None
        if node.embedding is not None:
            embedding = _vector(node.id, node.embedding, dimensions)
            dimensions = len(embedding)
        properties = _properties(f"node {node.id}", node.properties)
        prepared.append(
            Node(node.id, node.label, properties, node.occurred_at, node.visibility, node.text, embedding)
        )
    return tuple(prepared)


def prepare_edges(edges: Sequence[Edge]) -> tuple[Edge, ...]:
    """Return the edges with clean properties.

    Raises:
        SchemaError: if a relationship type or property is not allowed.
    """
    schema = load_schema()
    prepared = []
    for edge in edges:
        schema.check_edge_type(edge.type)
        properties = _properties(f"edge {edge.source}-{edge.type}->{edge.target}", edge.properties)
        prepared.append(Edge(edge.source, edge.type, edge.target, properties))
    return tuple(prepared)


def check_labels(labels: Iterable[str]) -> None:
    """Raise ``SchemaError`` naming the first label not in ``graph_schema/`` (and the allowed ones)."""
    schema = load_schema()
    for label in labels:
        schema.check_label(label)


def check_edge_types(types: Iterable[str]) -> None:
    """Raise ``SchemaError`` naming the first relationship type not in ``graph_schema/``."""
    schema = load_schema()
    for edge_type in types:
        schema.check_edge_type(edge_type)


def check_property_names(names: Iterable[str]) -> None:
    """Refuse a property name that is not an identifier (as the Neo4j store must)."""
    for name in names:
        if not _IDENTIFIER.match(name):
            raise SchemaError(f"{name!r} is not a property name; use an identifier such as 'name'")


def check_dimensions(what: str, length: int, dimensions: int | None) -> None:
    """Raise ``SchemaError`` unless a vector of ``length`` fits a store of ``dimensions``."""
    if dimensions is not None and length != dimensions:
        raise SchemaError(
            f"{what} has {length} dimensions but the store holds {dimensions}-dimensional vectors; "
            "use the embedding model the store was built with, or rebuild the store"
        )


def _vector(node_id: str, embedding: Vector, dimensions: int | None) -> Vector:
    vector = np.asarray(embedding, dtype=np.float32)
    if vector.ndim != 1 or not len(vector):
        raise SchemaError(f"node {node_id}: an embedding must be a non-empty 1-D vector")
    check_dimensions(f"node {node_id}'s embedding", len(vector), dimensions)
    if not np.isfinite(vector).all():
        raise SchemaError(f"node {node_id}: the embedding holds NaN or infinity")
    return vector


def _properties(what: str, properties: Mapping[str, Property | None]) -> dict[str, Property]:
    try:
        return clean_properties(properties)
    except ValueError as exc:
        raise SchemaError(f"{what}: {exc}") from exc
