"""The batch operations the embedded store logs and replays, and their byte encoding.

Every write is one operation; the write-ahead log stores each as one record and a snapshot
stores node and edge records in the same shapes. Payloads are pickles of plain builtins only
(tuples, lists, dicts, str, int, float, bool, bytes, None): ``loads`` refuses any global, so a
damaged or planted file cannot make unpickling run code. Embeddings travel as raw float32 bytes.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np

from precedent.errors import StoreCorrupt
from precedent.model import Edge, EdgeKey, Node

if TYPE_CHECKING:
    from precedent.model import Property, Visibility

__all__ = [
    "DeleteEdges",
    "DeleteNodes",
    "EdgeRecord",
    "NodeRecord",
    "Op",
    "SetDimensions",
    "SetMeta",
    "UpsertEdges",
    "UpsertNodes",
    "decode_op",
    "dumps",
    "edge_from_record",
    "edge_record",
    "encode_op",
    "loads",
    "node_from_record",
    "node_record",
]

NodeRecord: TypeAlias = tuple[str, str, dict[str, "Property"], str | None, str, str | None]
EdgeRecord: TypeAlias = tuple[str, str, str, dict[str, "Property"]]


@dataclass(frozen=True)
class UpsertNodes:
    """Create or replace nodes; ``nodes`` are validated and carry float32 embeddings or None."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class UpsertEdges:
    """Create or replace edges whose endpoints exist."""

    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class DeleteNodes:
    """Delete nodes and their edges."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class DeleteEdges:
    """Delete edges by key."""

    keys: tuple[EdgeKey, ...]


@dataclass(frozen=True)
class SetMeta:
    """Set one bookkeeping value."""

    key: str
    value: str


@dataclass(frozen=True)
class SetDimensions:
    """Fix the length of every embedding the store holds."""

    dimensions: int


Op: TypeAlias = UpsertNodes | UpsertEdges | DeleteNodes | DeleteEdges | SetMeta | SetDimensions


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise StoreCorrupt(f"embedded store file refers to {module}.{name}; it was not written by Precedent")


def dumps(value: object) -> bytes:
    """Encode a structure of plain builtins."""
    return pickle.dumps(value, protocol=5)


def loads(data: bytes | bytearray | memoryview) -> object:
    """Decode what ``dumps`` wrote, refusing anything but plain builtins.

    Raises:
        StoreCorrupt: if the bytes are not such a pickle.
    """
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except StoreCorrupt:
        raise
    except Exception as exc:
        raise StoreCorrupt(f"embedded store record cannot be decoded: {exc}") from exc


def node_record(node: Node) -> NodeRecord:
    """Return ``node`` without its embedding as a plain tuple."""
    occurred = node.occurred_at.isoformat() if node.occurred_at is not None else None
    return (node.id, node.label, dict(node.properties), occurred, node.visibility, node.text)


def node_from_record(record: NodeRecord, embedding: np.ndarray[Any, Any] | None = None) -> Node:
    """Rebuild a node from ``node_record`` output."""
    node_id, label, properties, occurred, visibility, text = record
    occurred_at = datetime.fromisoformat(occurred) if occurred is not None else None
    return Node(node_id, label, properties, occurred_at, cast("Visibility", visibility), text, embedding)


def edge_record(edge: Edge) -> EdgeRecord:
    """Return ``edge`` as a plain tuple."""
    return (edge.source, edge.type, edge.target, dict(edge.properties))


def edge_from_record(record: EdgeRecord) -> Edge:
    """Rebuild an edge from ``edge_record`` output."""
    return Edge(record[0], record[1], record[2], record[3])


def encode_op(op: Op) -> bytes:
    """Encode one operation as a log payload."""
    match op:
        case UpsertNodes(nodes):
            vectors = [n.embedding for n in nodes if n.embedding is not None]
            matrix = np.stack(vectors).astype(np.float32, copy=False) if vectors else None
            blob = matrix.tobytes() if matrix is not None else b""
            width = matrix.shape[1] if matrix is not None else 0
            flags = [n.embedding is not None for n in nodes]
            return dumps(("nodes", [node_record(n) for n in nodes], flags, width, blob))
        case UpsertEdges(edges):
            return dumps(("edges", [edge_record(e) for e in edges]))
        case DeleteNodes(ids):
            return dumps(("delete_nodes", list(ids)))
        case DeleteEdges(keys):
            return dumps(("delete_edges", [(k.source, k.type, k.target) for k in keys]))
        case SetMeta(key, value):
            return dumps(("meta", key, value))
        case SetDimensions(dimensions):
            return dumps(("dimensions", dimensions))


def decode_op(payload: bytes | memoryview) -> Op:
    """Decode a payload written by ``encode_op``.

    Raises:
        StoreCorrupt: if the payload is not an operation.
    """
    value = cast("tuple[Any, ...]", loads(payload))
    try:
        kind = value[0]
        if kind == "nodes":
            _, records, flags, width, blob = value
            matrix = np.frombuffer(blob, dtype=np.float32).reshape(-1, width) if width else None
            nodes, row = [], 0
            for record, has_vector in zip(records, flags, strict=True):
                vector = None
                if has_vector and matrix is not None:
                    vector, row = matrix[row], row + 1
                nodes.append(node_from_record(record, vector))
            return UpsertNodes(tuple(nodes))
        if kind == "edges":
            return UpsertEdges(tuple(edge_from_record(r) for r in value[1]))
        if kind == "delete_nodes":
            return DeleteNodes(tuple(value[1]))
        if kind == "delete_edges":
            return DeleteEdges(tuple(EdgeKey(*k) for k in value[1]))
        if kind == "meta":
            return SetMeta(value[1], value[2])
        if kind == "dimensions":
            return SetDimensions(int(value[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise StoreCorrupt(f"embedded store record is malformed: {exc}") from exc
    raise StoreCorrupt(f"embedded store record has unknown kind {kind!r}")
