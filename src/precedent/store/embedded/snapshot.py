"""Compaction's output: the whole state in one file, written atomically, read back quickly.

Layout: a fixed header (magic, format, next log generation, dimensions, body length, vector
rows, two crc32s), a body of plain node/edge/meta records (see ``ops``) and the embedding matrix
as raw float32 rows. The matrix is read straight into the array the vector index keeps, so
reopening costs one sequential read rather than decoding every vector.
"""

from __future__ import annotations

import gc
import logging
import os
import struct
import zlib
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from precedent.errors import StoreCorrupt
from precedent.model import Edge
from precedent.store.embedded.durable import REBUILD, replace_atomically
from precedent.store.embedded.ops import dumps, edge_record, loads, node_from_record, node_record
from precedent.store.embedded.state import GraphState
from precedent.store.embedded.text import analyze
from precedent.store.embedded.vectors import VectorIndex

if TYPE_CHECKING:
    import io
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["FORMAT", "read_snapshot", "remove_leftovers", "write_snapshot"]

logger = logging.getLogger(__name__)

_MAGIC = b"PRECSNAP"
# Bump when the layout, the text analyzer or what the nodes may hold changes.
# Format 3: an update's merge is a MERGED_INTO edge, never the merged_into_incident_id property
#   (``upgrade`` converts an older map when a writer opens it).
# Format 2: Lucene's English analyzer (Porter stemming); format 1 had a plural-only stemmer.
FORMAT = 3
# Formats with today's layout whose text postings are re-analyzed from node texts on read.
_REINDEXED_FORMATS = frozenset({1})
_READABLE_FORMATS = frozenset({1, 2, FORMAT})
_HEADER = struct.Struct("<8sIQIQQII")


@contextmanager
def _without_gc() -> Iterator[None]:
    # Encoding or decoding a large map creates millions of small containers, which makes the
    # cyclic collector run over and over for nothing: none of them form cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_snapshot(path: Path, state: GraphState, next_generation: int) -> None:
    """Write ``state`` to ``path`` atomically, naming the log generation that follows it."""
    with _without_gc():
        _write(path, state, next_generation)


def _write(path: Path, state: GraphState, next_generation: int) -> None:
    edges = [edge_record(e) for by_key in state.outgoing.values() for e in by_key.values()]
    vectors = state.vectors
    body = dumps(
        {
            "meta": state.meta,
            "nodes": [node_record(n) for n in state.nodes.values()],
            "edges": edges,
            "vectors": vectors.dump() if vectors is not None else None,
            "text": state.text.dump(),
        }
    )
    matrix = _raw(vectors.matrix) if vectors is not None else memoryview(b"")
    header = _HEADER.pack(
        _MAGIC,
        FORMAT,
        next_generation,
        state.dimensions or 0,
        len(body),
        len(vectors) if vectors is not None else 0,
        zlib.crc32(body),
        zlib.crc32(matrix),
    )
    replace_atomically(path, [header, body, matrix])


def read_snapshot(path: Path) -> tuple[GraphState, int, int | None]:
    """Return the state in ``path``, the log generation to replay on top of it and its format.

    A missing file is an empty state at generation 0, of no format (``None``).

    Raises:
        StoreCorrupt: if the file is damaged.
    """
    with _without_gc():
        return _read(path)


def _read(path: Path) -> tuple[GraphState, int, int | None]:
    state = GraphState()
    if not path.exists():
        return state, 0, None
    with path.open("rb", buffering=0) as file:
        header = file.read(_HEADER.size)
        if len(header) < _HEADER.size or header[:8] != _MAGIC:
            raise StoreCorrupt(f"{path} is not a Precedent snapshot; {REBUILD}")
        _, version, generation, dimensions, body_length, rows, body_crc, matrix_crc = _HEADER.unpack(header)
        if version not in _READABLE_FORMATS:
            raise StoreCorrupt(
                f"{path} has snapshot format {version}; this Precedent reads formats "
                f"{', '.join(map(str, sorted(_READABLE_FORMATS)))}: upgrade Precedent, "
                f"or {REBUILD}"
            )
        body = bytearray(body_length)
        if not _read_exactly(file, memoryview(body)) or zlib.crc32(body) != body_crc:
            raise StoreCorrupt(f"{path} is damaged (body checksum); {REBUILD}")
        # Room to grow before the first insert has to copy the matrix.
        matrix = np.zeros((rows + rows // 4, dimensions), dtype=np.float32) if dimensions else None
        if matrix is not None:
            view = _raw(matrix[:rows])
            if not _read_exactly(file, view) or zlib.crc32(view) != matrix_crc:
                raise StoreCorrupt(f"{path} is damaged (vector checksum); {REBUILD}")
    body_fields = cast("dict[str, Any]", loads(body))
    _restore(state, body_fields, dimensions, matrix, reindex=version in _REINDEXED_FORMATS)
    return state, generation, version


def _read_exactly(file: io.FileIO, view: memoryview) -> bool:
    # One read() of a regular file stops at about 2 GiB, so large matrices take several.
    while view:
        count = file.readinto(view)
        if not count:
            return False
        view = view[count:]
    return True


def _restore(
    state: GraphState,
    body: dict[str, Any],
    dimensions: int,
    matrix: np.ndarray[Any, Any] | None,
    *,
    reindex: bool,
) -> None:
    state.meta = body["meta"]
    for record in body["nodes"]:
        node = node_from_record(record)
        state.nodes[node.id] = node
        state.label_counts[node.label] += 1
        state.by_label.setdefault(node.label, set()).add(node.id)
    for source, edge_type, target, properties in body["edges"]:
        edge = Edge(source, edge_type, target, properties)
        state.outgoing.setdefault(source, {})[edge.key] = edge
        state.incoming.setdefault(target, {})[edge.key] = edge
        state.type_counts[edge_type] += 1
    if reindex:
        # An older analyzer made these postings; the next compaction writes the current format.
        logger.info("re-indexing the text of %d nodes from an older snapshot format", len(state.nodes))
        for node in state.nodes.values():
            if node.text:
                state.text.put(node.id, analyze(node.text), [])
    else:
        state.text.load(*body["text"])
    if matrix is not None:
        state.vectors = VectorIndex(dimensions)
        if body["vectors"] is not None:
            state.vectors.load(body["vectors"], matrix)


def remove_leftovers(path: Path) -> None:
    """Delete a temporary snapshot a crash left mid-write."""
    temporary = path.with_name(path.name + ".tmp")
    if temporary.exists():
        os.unlink(temporary)


def _raw(matrix: np.ndarray[Any, Any]) -> memoryview:
    # A flat byte view (no copy) of a C-contiguous array, valid even with zero rows.
    return matrix.reshape(-1).view(np.uint8).data
