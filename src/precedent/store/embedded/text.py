"""Full-text search over node text: a BM25 inverted index over ``analyzer``'s terms.

The terms are those Neo4j's ``english`` full-text index makes (see ``analyzer``), so both stores
agree on which nodes a query matches; scores are BM25 in both, with a document's length rounded
as Lucene stores it (``lucene_lengths``), so both rank alike (Lucene's are 1/2.2 of these, and
computed in 32-bit floats). A query is analyzed the same way and never parsed, so any string
(``AND``, ``*``, ``"``, ``\\``) is just words.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from precedent.model import ScoredNode
from precedent.store.analyzer import STOP_WORDS, analyze

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

__all__ = ["STOP_WORDS", "TextIndex", "analyze", "lucene_lengths"]

K1 = 1.2
B = 0.75
# Lucene keeps a document's length in one byte (SmallFloat.intToByte4): below this exactly, above
# it as its top four bits, so lengths 40 and 41 share a norm. Exact lengths ranked a longer
# document below a shorter one that Neo4j tied with it, and similar incidents swapped places.
_EXACT_LENGTHS = 24


def lucene_lengths(lengths: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Document lengths as Lucene 9's BM25 reads them back from its one-byte norms."""
    exact = lengths.astype(np.int64)
    excess = np.maximum(exact - _EXACT_LENGTHS, 0)
    _, bits = np.frexp(excess.astype(np.float64))  # the bit length of each excess (0 for 0)
    shift = np.maximum(bits.astype(np.int64) - 4, 0)
    rounded = _EXACT_LENGTHS + ((excess >> shift) << shift)
    return np.where(exact < _EXACT_LENGTHS, exact, rounded).astype(np.float64)


class TextIndex:
    """BM25 (k1=1.2, b=0.75) over one text per document id.

    Documents get integer slots so that scoring is array arithmetic: each term's postings are
    kept as a dict (cheap to change) and cached as slot/frequency arrays (cheap to score).
    """

    def __init__(self) -> None:
        self._slots: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._free: list[int] = []
        self._lengths = np.zeros(0, dtype=np.float64)
        self._postings: dict[str, dict[int, int]] = {}
        self._cache: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, doc_id: str, terms: list[str], previous: list[str]) -> None:
        """Index ``doc_id`` under ``terms``, replacing ``previous`` (both from ``analyze``)."""
        self.remove(doc_id, previous)
        if not terms:
            return
        slot = self._free.pop() if self._free else self._new_slot()
        counts: dict[str, int] = {}
        for term in terms:
            counts[term] = counts.get(term, 0) + 1
        for term, frequency in counts.items():
            self._postings.setdefault(term, {})[slot] = frequency
            self._cache.pop(term, None)
        self._slots[doc_id] = slot
        self._ids[slot] = doc_id
        self._lengths[slot] = len(terms)
        self._total_length += len(terms)

    def remove(self, doc_id: str, terms: list[str]) -> None:
        """Forget ``doc_id``, which was indexed under ``terms``."""
        slot = self._slots.pop(doc_id, None)
        if slot is None:
            return
        for term in set(terms):
            posting = self._postings.get(term)
            if posting is not None and posting.pop(slot, None) is not None:
                self._cache.pop(term, None)
                if not posting:
                    del self._postings[term]
        self._total_length -= int(self._lengths[slot])
        self._lengths[slot] = 0
        self._ids[slot] = None
        self._free.append(slot)

    def _new_slot(self) -> int:
        slot = len(self._ids)
        self._ids.append(None)
        if slot == len(self._lengths):
            grown = np.zeros(max(1024, 2 * slot), dtype=np.float64)
            grown[:slot] = self._lengths
            self._lengths = grown
        return slot

    def _arrays(self, term: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        cached = self._cache.get(term)
        if cached is None:
            posting = self._postings[term]
            slots = np.fromiter(posting.keys(), dtype=np.intp, count=len(posting))
            frequencies = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
            cached = self._cache[term] = (slots, frequencies)
        return cached

    def search(self, query: str, k: int, allows: Callable[[str], bool]) -> list[ScoredNode]:
        """Return the ``k`` best documents for ``query`` among those ``allows`` accepts.

        Only documents scoring above zero are returned, by score descending then id ascending.
        """
        terms = {t for t in analyze(query) if t in self._postings}
        if k <= 0 or not terms:
            return []
        documents = len(self._slots)
        average_length = self._total_length / documents
        scores = np.zeros(len(self._ids), dtype=np.float64)
        for term in terms:
            slots, tf = self._arrays(term)
            idf = math.log(1.0 + (documents - len(slots) + 0.5) / (len(slots) + 0.5))
            norm = K1 * (1.0 - B + B * lucene_lengths(self._lengths[slots]) / average_length)
            scores[slots] += idf * tf * (K1 + 1.0) / (tf + norm)
        candidates = np.flatnonzero(scores > 0)
        # Most searches are settled among the best few candidates; rank them all only if the
        # filter rejects too many of those.
        for limit in (max(8 * k, 64), len(candidates)):
            hits = self._best(scores, candidates, limit, k, allows)
            if len(hits) >= k or limit >= len(candidates):
                return hits[:k]
        return []

    def _best(
        self,
        scores: npt.NDArray[np.float64],
        candidates: npt.NDArray[np.intp],
        limit: int,
        k: int,
        allows: Callable[[str], bool],
    ) -> list[ScoredNode]:
        if limit < len(candidates):
            floor = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
            candidates = candidates[scores[candidates] >= floor]
        ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
        hits: list[tuple[float, str]] = []
        kth = -math.inf
        for slot in ranked.tolist():
            score = float(scores[slot])
            if score < kth:
                break
            doc_id = self._ids[slot]
            if doc_id is not None and allows(doc_id):
                hits.append((-score, doc_id))
                if len(hits) == k:
                    # Keep collecting documents tied with the k-th so the id tie-break is exact.
                    kth = score
        hits.sort()
        return [ScoredNode(doc_id, -negative) for negative, doc_id in hits]

    def dump(self) -> tuple[list[str | None], dict[str, dict[int, int]], bytes]:
        """Return the index as plain values for a snapshot."""
        return self._ids, self._postings, self._lengths[: len(self._ids)].tobytes()

    def load(self, ids: list[str | None], postings: dict[str, dict[int, int]], lengths: bytes) -> None:
        """Restore what ``dump`` returned."""
        self._ids = ids
        self._slots = {doc_id: slot for slot, doc_id in enumerate(ids) if doc_id is not None}
        self._free = [slot for slot, doc_id in enumerate(ids) if doc_id is None]
        self._postings = postings
        self._cache = {}
        self._lengths = np.zeros(max(1024, len(ids)), dtype=np.float64)
        self._lengths[: len(ids)] = np.frombuffer(lengths, dtype=np.float64)
        self._total_length = int(self._lengths.sum())
