"""Maps domain nodes and edges to Neo4j property maps and back.

Layout of a stored node (labels ``:Entity:<Label>``)::

    id, visibility            strings
    occurred_at               int, microseconds since the Unix epoch (indexed, exact, orderable)
    text                      string, full-text indexed
    embedding                 LIST<FLOAT>, vector indexed
    p_<name>                  each user property

The ``p_`` prefix keeps user properties from ever colliding with the reserved fields above.
Relationships hold only user properties, so they are stored unprefixed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast, get_args

import numpy as np

from precedent.errors import SchemaError, StoreError
from precedent.model import Edge, Node, Property, Visibility, clean_properties

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Vector

__all__ = [
    "edge_from_record",
    "edge_row",
    "from_micros",
    "node_from_record",
    "node_label",
    "node_row",
    "stored_property",
    "to_micros",
    "vector_list",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PREFIX = "p_"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VISIBILITIES = frozenset(get_args(Visibility))


def stored_property(name: str) -> str:
    """The stored key of user property ``name`` (see the layout above).

    Raises:
        SchemaError: if ``name`` is not an identifier.
    """
    if not _IDENTIFIER.match(name):
        raise SchemaError(f"{name!r} is not a property name; use an identifier such as 'name'")
    return _PREFIX + name


def to_micros(moment: datetime) -> int:
    """Return ``moment`` as integer microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """Return the UTC datetime ``micros`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


def _kind(value: object) -> str:
    # bool before number: True is an int to Python but a BOOLEAN to Neo4j.
    return "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"


def _properties(what: str, properties: Mapping[str, Property | None]) -> dict[str, Property]:
    try:
        cleaned = clean_properties(properties)
    except ValueError as exc:
        raise SchemaError(f"{what}: {exc}") from exc
    for key, value in cleaned.items():
        # Neo4j refuses a list mixing strings, booleans and numbers; saying so here names the
        # property and writes nothing, rather than failing a batch part-way on the server.
        if isinstance(value, list) and len({_kind(item) for item in value}) > 1:
            raise SchemaError(
                f"{what}: property {key!r} mixes {sorted({_kind(i) for i in value})} in one list"
            )
    return cleaned


def vector_list(what: str, embedding: Vector, dimensions: int | None) -> list[float]:
    """Return ``embedding`` as a list of Python floats, the unambiguous wire form of LIST<FLOAT>.

    Raises:
        SchemaError: if it is not a finite 1-D vector of ``dimensions`` (when known).
    """
    vector = np.asarray(embedding, dtype=np.float32)
    if vector.ndim != 1 or not len(vector) or not np.isfinite(vector).all():
        raise SchemaError(f"{what} must be a non-empty 1-D vector of finite numbers")
    if dimensions is not None and len(vector) != dimensions:
        raise SchemaError(
            f"{what} has {len(vector)} dimensions but the store holds {dimensions}-dimensional vectors; "
            "use the embedding model the store was built with"
        )
    values: list[float] = vector.astype(float).tolist()
    return values


def node_row(node: Node, dimensions: int | None) -> dict[str, object]:
    """Return the UNWIND row that stores ``node``: its id and its complete property map.

    Raises:
        SchemaError: if a property, the visibility or the embedding is not allowed.
    """
    if node.visibility not in _VISIBILITIES:
        raise SchemaError(f"node {node.id}: visibility must be one of {sorted(_VISIBILITIES)}")
    props: dict[str, object] = {"id": node.id, "visibility": node.visibility}
    if node.occurred_at is not None:
        props["occurred_at"] = to_micros(node.occurred_at)
    if node.text is not None:
        props["text"] = node.text
    if node.embedding is not None:
        props["embedding"] = vector_list(f"node {node.id}'s embedding", node.embedding, dimensions)
    for key, value in _properties(f"node {node.id}", node.properties).items():
        props[_PREFIX + key] = value
    return {"id": node.id, "props": props}


def edge_row(edge: Edge) -> dict[str, object]:
    """Return the UNWIND row that stores ``edge``.

    Raises:
        SchemaError: if a property is not allowed.
    """
    props = _properties(f"edge {edge.source}-{edge.type}->{edge.target}", edge.properties)
    return {"source": edge.source, "target": edge.target, "props": props}


def node_label(labels: Sequence[str]) -> str:
    """A stored node's schema label: its one label besides ``Entity``."""
    return _label(labels)


def _label(labels: Sequence[str]) -> str:
    specific = sorted(label for label in labels if label != "Entity")
    if not specific:
        raise StoreError(f"a stored node has no label besides Entity ({labels}); re-ingest it")
    return specific[0]


def node_from_record(props: Mapping[str, object] | Sequence[Sequence[object]], labels: Sequence[str]) -> Node:
    """Rebuild a ``Node`` from its stored properties (a map, or ``[key, value]`` pairs) and labels.

    Reads return pairs (see ``queries.node_fields``), which skip the embedding without reading it.
    """
    if not isinstance(props, Mapping):
        props = dict(props)  # type: ignore[arg-type]  # [key, value] lists, as dict() takes them
    occurred = props.get("occurred_at")
    embedding = props.get("embedding")
    text = props.get("text")
    return Node(
        id=str(props["id"]),
        label=_label(labels),
        properties={
            key[len(_PREFIX) :]: cast("Property", value)
            for key, value in sorted(props.items())
            if key.startswith(_PREFIX) and value is not None
        },
        occurred_at=from_micros(occurred) if isinstance(occurred, int) else None,
        visibility=cast("Visibility", props.get("visibility", "public")),
        text=text if isinstance(text, str) else None,
        embedding=np.asarray(embedding, dtype=np.float32) if isinstance(embedding, list) else None,
    )


def edge_from_record(source: str, edge_type: str, target: str, props: Mapping[str, object]) -> Edge:
    """Rebuild an ``Edge`` from a stored relationship."""
    return Edge(
        source, edge_type, target, {key: cast("Property", value) for key, value in sorted(props.items())}
    )
