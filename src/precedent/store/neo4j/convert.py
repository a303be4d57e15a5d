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

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import numpy as np

from precedent.errors import StoreError
from precedent.model import Edge, Node, Property, clean_properties

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.model import Visibility

__all__ = ["edge_from_record", "edge_row", "from_micros", "node_from_record", "node_row", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PREFIX = "p_"


def to_micros(moment: datetime) -> int:
    """Return ``moment`` as integer microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """Return the UTC datetime ``micros`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


def node_row(node: Node, dimensions: int | None) -> dict[str, object]:
    """Return the UNWIND row that stores ``node``: its id and its complete property map.

    Raises:
        ValueError: if a property is invalid or the embedding has the wrong dimension.
    """
    props: dict[str, object] = {"id": node.id, "visibility": node.visibility}
    if node.occurred_at is not None:
        props["occurred_at"] = to_micros(node.occurred_at)
    if node.text is not None:
        props["text"] = node.text
    if node.embedding is not None:
        vector = np.asarray(node.embedding).ravel()
        if dimensions is not None and vector.shape != (dimensions,):
            raise ValueError(f"node {node.id}: embedding has {vector.size} dimensions, expected {dimensions}")
        # A plain list of Python floats is unambiguous on the wire (LIST<FLOAT>).
        props["embedding"] = vector.astype(float).tolist()
    for key, value in clean_properties(node.properties).items():
        props[_PREFIX + key] = value
    return {"id": node.id, "props": props}


def edge_row(edge: Edge) -> dict[str, object]:
    """Return the UNWIND row that stores ``edge``."""
    return {"source": edge.source, "target": edge.target, "props": clean_properties(edge.properties)}


def _label(labels: Sequence[str]) -> str:
    specific = sorted(label for label in labels if label != "Entity")
    if not specific:
        raise StoreError(f"a stored node has no label besides Entity ({labels}); re-ingest it")
    return specific[0]


def node_from_record(props: Mapping[str, object], labels: Sequence[str]) -> Node:
    """Rebuild a ``Node`` from a stored property map and its labels."""
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
