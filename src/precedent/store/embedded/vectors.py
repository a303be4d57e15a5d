"""Exact cosine k-nearest-neighbour search over one contiguous float32 matrix.

Rows hold the embeddings as given; a parallel array of inverse norms turns a dot product into a
cosine. Label, visibility and time are kept in parallel arrays too, so a filtered search is a
few vectorised masks rather than a Python loop over the nodes. Deleting a row moves the last
row into its place, keeping the live rows contiguous.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from precedent.model import ScoredNode
from precedent.store.embedded.filters import to_micros

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from precedent.model import Node, SearchFilter, Vector

__all__ = ["VectorIndex"]

_MIN_CAPACITY = 1024
_GATHER_BELOW = 0.25


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

    def put(self, nodes: Sequence[Node]) -> None:
        """Insert or replace the embeddings of ``nodes`` (distinct ids, each with an embedding)."""
        if not nodes:
            return
        rows = np.empty(len(nodes), dtype=np.intp)
        for position, node in enumerate(nodes):
            row = self._rows.get(node.id)
            if row is None:
                row = len(self._ids)
                if row == len(self._matrix):
                    self._grow(row * 2)
                self._ids.append(node.id)
                self._rows[node.id] = row
            rows[position] = row
            self._describe(row, node)
        block = np.stack([node.embedding for node in nodes if node.embedding is not None])
        self._matrix[rows] = block
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        self._inv_norms[rows] = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)

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

    def dump(self) -> dict[str, object]:
        """Return everything but the matrix as plain values for a snapshot."""
        count = len(self._ids)
        return {
            "ids": self._ids,
            "label_codes": self._label_codes,
            "labels": self._labels[:count].tobytes(),
            "private": self._private[:count].tobytes(),
            "dated": self._dated[:count].tobytes(),
            "times": self._times[:count].tobytes(),
        }

    def load(self, fields: dict[str, Any], matrix: npt.NDArray[np.float32]) -> None:
        """Restore what ``dump`` returned, with ``matrix`` rows in the order of its ids.

        ``matrix`` may have spare rows beyond the ids; it becomes the backing store, so loading
        a snapshot copies the vectors only once.
        """
        ids: list[str] = fields["ids"]
        count = len(ids)
        if len(matrix) < _MIN_CAPACITY:
            padded = np.zeros((_MIN_CAPACITY, self.dimensions), dtype=np.float32)
            padded[: len(matrix)] = matrix
            matrix = padded
        self._matrix = matrix
        self._allocate_fields(len(matrix))
        self._ids = ids
        self._rows = {node_id: row for row, node_id in enumerate(ids)}
        self._label_codes = fields["label_codes"]
        for name, dtype in (("labels", np.int32), ("private", bool), ("dated", bool), ("times", np.int64)):
            getattr(self, f"_{name}")[:count] = np.frombuffer(fields[name], dtype=dtype)
        rows = matrix[:count]
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
        self._inv_norms[:count] = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)

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
        unit = query / norm if norm > 0 else query
        if mask is not None and candidates < count * _GATHER_BELOW:
            # A selective filter: copying the few allowed rows beats a pass over all of them.
            rows = np.flatnonzero(mask)
            scores = (self._matrix[rows] @ unit) * self._inv_norms[rows]
        else:
            rows = np.arange(count)
            scores = (self._matrix[:count] @ unit) * self._inv_norms[:count]
            if mask is not None:
                scores[~mask] = -np.inf
        return self._top(scores, rows, k)

    def count(self, search_filter: SearchFilter) -> int:
        """How many rows pass the filter."""
        count = len(self._ids)
        mask = self._mask(search_filter, count)
        return count if mask is None else int(np.count_nonzero(mask))

    def similarities(self, query: Vector, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of ``query`` with each of ``ids`` that has a row, in the order of ``ids``."""
        present = [
            (node_id, row) for node_id in dict.fromkeys(ids) if (row := self._rows.get(node_id)) is not None
        ]
        if not present:
            return {}
        rows = np.fromiter((row for _, row in present), dtype=np.intp, count=len(present))
        norm = float(np.linalg.norm(query))
        unit = query / norm if norm > 0 else query
        scores = (self._matrix[rows] @ unit) * self._inv_norms[rows]
        return {node_id: float(score) for (node_id, _), score in zip(present, scores.tolist(), strict=True)}

    def rescore(
        self, query: Vector, candidates: Sequence[str], k: int, search_filter: SearchFilter
    ) -> list[ScoredNode]:
        """Score exactly the ``candidates`` that pass the filter and return the best ``k``.

        Same order as ``search``; fewer than ``k`` when fewer candidates pass.
        """
        rows = np.fromiter((row for row in map(self._rows.get, candidates) if row is not None), dtype=np.intp)
        mask = self._mask(search_filter, len(self._ids), rows)
        if mask is not None:
            rows = rows[mask]
        k = min(k, len(rows))
        if k <= 0:
            return []
        norm = float(np.linalg.norm(query))
        unit = query / norm if norm > 0 else query
        scores = (self._matrix[rows] @ unit) * self._inv_norms[rows]
        return self._top(scores, rows, k)

    def _top(
        self, scores: npt.NDArray[np.floating[Any]], rows: npt.NDArray[np.intp], k: int
    ) -> list[ScoredNode]:
        # Everything tied with the k-th best score is a candidate, so ties resolve by id.
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        best = np.flatnonzero(scores >= threshold)
        hits = sorted((-float(scores[i]), self._ids[rows[i]]) for i in best)
        return [ScoredNode(node_id, -negative) for negative, node_id in hits[:k]]

    def _mask(
        self, search_filter: SearchFilter, count: int, rows: npt.NDArray[np.intp] | None = None
    ) -> npt.NDArray[np.bool_] | None:
        """The filter over the first ``count`` rows, or over ``rows`` only when given."""
        pick: slice | npt.NDArray[np.intp] = slice(None, count) if rows is None else rows
        size = count if rows is None else len(rows)
        mask: npt.NDArray[np.bool_] | None = None

        def narrow(condition: npt.NDArray[np.bool_]) -> None:
            nonlocal mask
            mask = condition if mask is None else mask & condition

        if search_filter.labels:
            codes = [self._label_codes[x] for x in search_filter.labels if x in self._label_codes]
            narrow(np.isin(self._labels[pick], codes))
        visibilities = set(search_filter.visibilities)
        if visibilities != {"public", "private"}:
            private = self._private[pick]
            if not visibilities:
                narrow(np.zeros(size, dtype=bool))
            else:
                narrow(private if "private" in visibilities else ~private)
        if search_filter.before is not None or search_filter.after is not None:
            dated = self._dated[pick].copy()
            times = self._times[pick]
            if search_filter.before is not None:
                dated &= times < to_micros(search_filter.before)
            if search_filter.after is not None:
                dated &= times >= to_micros(search_filter.after)
            narrow(dated)
        excluded = [self._rows[x] for x in search_filter.exclude_ids if x in self._rows]
        if excluded:
            keep = np.ones(size, dtype=bool) if mask is None else mask.copy()
            if rows is None:
                keep[excluded] = False
            else:
                keep &= ~np.isin(rows, excluded)
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
