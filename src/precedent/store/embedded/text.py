"""Full-text search over node text: an English analyzer and a BM25 inverted index.

The analyzer mirrors what the Neo4j store's Lucene ``english`` analyzer does closely enough for
both stores to agree on which nodes match: lower-case alphanumeric tokens, Lucene's English stop
words, possessives dropped and a minimal plural stemmer. A query is analyzed the same way and
never parsed, so any string (``AND``, ``*``, ``"``, ``\\``) is just words.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from typing import TYPE_CHECKING

from precedent.model import ScoredNode

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STOP_WORDS", "TextIndex", "analyze"]

K1 = 1.2
B = 0.75

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.
_LUCENE_STOP_WORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with"
)
STOP_WORDS = frozenset(_LUCENE_STOP_WORDS.split())
_TOKEN = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")


def _stem(token: str) -> str:
    # Lucene's EnglishMinimalStemmer: plural "s" only, so "services" meets "service".
    if len(token) < 3 or token[-1] != "s" or token[-2] in "us":
        return token
    if token[-2] == "e":
        if len(token) > 3 and token[-3] == "i" and token[-4] not in "ae":
            return token[:-3] + "y"
        if token[-3] in "iaoe":
            return token
    return token[:-1]


def analyze(text: str) -> list[str]:
    """Split ``text`` into index terms (lower-cased, stop words out, plurals folded)."""
    tokens = _TOKEN.findall(_POSSESSIVE.sub("", text.lower()))
    return [_stem(t) for t in tokens if t not in STOP_WORDS]


class TextIndex:
    """BM25 (k1=1.2, b=0.75) over one text per document id."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[str, int]] = {}
        self._lengths: dict[str, int] = {}
        self._terms: dict[str, tuple[str, ...]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def put(self, doc_id: str, terms: list[str]) -> None:
        """Index ``doc_id`` under ``terms`` (from ``analyze``), replacing what it had."""
        self.remove(doc_id)
        if not terms:
            return
        counts = Counter(terms)
        for term, frequency in counts.items():
            self._postings.setdefault(term, {})[doc_id] = frequency
        self._terms[doc_id] = tuple(counts)
        self._lengths[doc_id] = len(terms)
        self._total_length += len(terms)

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id`` if it is indexed."""
        terms = self._terms.pop(doc_id, None)
        if terms is None:
            return
        for term in terms:
            posting = self._postings[term]
            del posting[doc_id]
            if not posting:
                del self._postings[term]
        self._total_length -= self._lengths.pop(doc_id)

    def search(self, query: str, k: int, allows: Callable[[str], bool]) -> list[ScoredNode]:
        """Return the ``k`` best documents for ``query`` among those ``allows`` accepts.

        Only documents scoring above zero are returned, by score descending then id ascending.
        """
        terms = set(analyze(query))
        if k <= 0 or not terms or not self._lengths:
            return []
        documents = len(self._lengths)
        average_length = self._total_length / documents
        scores: dict[str, float] = {}
        for term in terms:
            posting = self._postings.get(term)
            if not posting:
                continue
            frequency = len(posting)
            idf = math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))
            for doc_id, tf in posting.items():
                norm = K1 * (1.0 - B + B * self._lengths[doc_id] / average_length)
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * tf * (K1 + 1.0) / (tf + norm)
        hits = ((score, doc_id) for doc_id, score in scores.items() if score > 0 and allows(doc_id))
        best = heapq.nsmallest(k, hits, key=lambda hit: (-hit[0], hit[1]))
        return [ScoredNode(doc_id, score) for score, doc_id in best]
