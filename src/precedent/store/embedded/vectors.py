"""Exact cosine k-nearest-neighbour search over one contiguous float32 matrix.

Rows hold the embeddings as given; a parallel array of inverse norms turns a dot product into a
cosine. Label, visibility and time are kept in parallel arrays too, so a filtered search is a
few vectorised masks rather than a Python loop over the nodes. Deleting a row moves the last
row into its place, keeping the live rows contiguous.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from precedent.model import ScoredNode
from precedent.store.embedded.filters import to_micros

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy.typing as npt

    from precedent.model import Node, SearchFilter, Vector

__all__ = ["VectorIndex"]

_MIN_CAPACITY = 1024


class VectorIndex:
    """Embeddings of the nodes that have one, with the node fields search filters need."""

    def __init__(self, dimensions: int, capacity: int = _MIN_CAPACITY) -> None:
        self.dimensions = dimensions
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._label_codes: dict[str, int] = {}
        self._allocate(max(capacity, _MIN_CAPACITY))

    def _allocate(self, capacity: int) -> None:
        self._matrix = np.zeros((capacity, self.dimensions), dtype=np.float32)
        self._allocate_fields(capacity)

    def _allocate_fields(self, capacity: int) -> None:
        self._inv_norms = np.zeros(capacity, dtype=np.float32)
        self._labels = np.zeros(capacity, dtype=np.int32)
        self._private = np.zeros(capacity, dtype=bool)
        self._dated = np.zeros(capacity, dtype=bool)
        self._times = np.zeros(capacity, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._rows

    @property
    def ids(self) -> list[str]:
        """Node ids in row order (do not mutate)."""
        return self._ids

    @property
    def matrix(self) -> npt.NDArray[np.float32]:
        """A view of the live rows, in the order of ``ids``."""
        return self._matrix[: len(self._ids)]

    def vector(self, node_id: str) -> Vector | None:
        """Return a copy of the node's embedding, or None."""
        row = self._rows.get(node_id)
        return None if row is None else self._matrix[row].copy()

    def put(self, node: Node, vector: Vector) -> None:
        """Insert or replace the embedding of ``node``."""
        row = self._rows.get(node.id)
        if row is None:
            row = len(self._ids)
            if row == len(self._matrix):
                self._grow(row * 2)
            self._ids.append(node.id)
            self._rows[node.id] = row
        self._matrix[row] = vector
        norm = float(np.linalg.norm(self._matrix[row]))
        self._inv_norms[row] = 1.0 / norm if norm > 0 else 0.0
        self._describe(row, node)

    def describe(self, node: Node) -> None:
        """Refresh the filter fields of ``node`` if it has an embedding."""
        row = self._rows.get(node.id)
        if row is not None:
            self._describe(row, node)

    def remove(self, node_id: str) -> None:
        """Drop the node's embedding if it has one."""
        row = self._rows.pop(node_id, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            self._rows[moved] = row
            for array in self._arrays():
                array[row] = array[last]
        self._ids.pop()

    def load(self, ids: list[str], matrix: npt.NDArray[np.float32], nodes: Iterable[Node]) -> None:
        """Replace the contents with ``matrix`` rows for ``ids``; ``nodes`` give their fields.

        ``matrix`` may have spare rows beyond ``len(ids)``; it becomes the backing store, so
        loading a snapshot copies the vectors only once.
        """
        count = len(ids)
        if len(matrix) < _MIN_CAPACITY:
            padded = np.zeros((_MIN_CAPACITY, self.dimensions), dtype=np.float32)
            padded[: len(matrix)] = matrix
            matrix = padded
        self._matrix = matrix
        self._allocate_fields(len(matrix))
        self._ids = list(ids)
        self._rows = {node_id: row for row, node_id in enumerate(ids)}
        norms = np.linalg.norm(matrix[:count], axis=1)
        self._inv_norms[:count] = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        for node in nodes:
            row = self._rows.get(node.id)
            if row is not None:
                self._describe(row, node)

    def search(self, query: Vector, k: int, search_filter: SearchFilter) -> list[ScoredNode]:
        """Return the ``k`` rows most cosine-similar to ``query`` that pass the filter.

        Ordered by score descending, then id ascending.
        """
        count = len(self._ids)
        mask = self._mask(search_filter, count)
        candidates = count if mask is None else int(np.count_nonzero(mask))
        k = min(k, candidates)
        if k <= 0:
            return []
        norm = float(np.linalg.norm(query))
        scores = self._matrix[:count] @ (query / norm if norm > 0 else query)
        scores *= self._inv_norms[:count]
        if mask is not None:
            scores[~mask] = -np.inf
        # Everything tied with the k-th best score is a candidate, so ties resolve by id.
        threshold = np.partition(scores, count - k)[count - k]
        rows = np.flatnonzero(scores >= threshold)
        hits = sorted((-float(scores[r]), self._ids[r]) for r in rows)
        return [ScoredNode(node_id, -negative) for negative, node_id in hits[:k]]

    def _mask(self, search_filter: SearchFilter, count: int) -> npt.NDArray[np.bool_] | None:
        mask: npt.NDArray[np.bool_] | None = None

        def narrow(condition: npt.NDArray[np.bool_]) -> None:
            nonlocal mask
            mask = condition if mask is None else mask & condition

        if search_filter.labels:
            codes = [self._label_codes[x] for x in search_filter.labels if x in self._label_codes]
            narrow(np.isin(self._labels[:count], codes))
        visibilities = set(search_filter.visibilities)
        if visibilities != {"public", "private"}:
            private = self._private[:count]
            if not visibilities:
                narrow(np.zeros(count, dtype=bool))
            else:
                narrow(private if "private" in visibilities else ~private)
        if search_filter.before is not None or search_filter.after is not None:
            dated = self._dated[:count].copy()
            times = self._times[:count]
            if search_filter.before is not None:
                dated &= times < to_micros(search_filter.before)
            if search_filter.after is not None:
                dated &= times >= to_micros(search_filter.after)
            narrow(dated)
        excluded = [self._rows[x] for x in search_filter.exclude_ids if x in self._rows]
        if excluded:
            keep = np.ones(count, dtype=bool) if mask is None else mask.copy()
            keep[excluded] = False
            mask = keep
        return mask

    def _describe(self, row: int, node: Node) -> None:
        code = self._label_codes.setdefault(node.label, len(self._label_codes))
        self._labels[row] = code
        self._private[row] = node.visibility == "private"
        self._dated[row] = node.occurred_at is not None
        self._times[row] = to_micros(node.occurred_at) if node.occurred_at is not None else 0

    def _arrays(self) -> tuple[npt.NDArray[np.generic], ...]:
        return (self._matrix, self._inv_norms, self._labels, self._private, self._dated, self._times)

    def _grow(self, capacity: int) -> None:
        old = self._arrays()
        self._allocate(capacity)
        for new, previous in zip(self._arrays(), old, strict=True):
            new[: len(previous)] = previous
