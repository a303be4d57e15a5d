"""The embedded store's search indexes on their own: analyzer, BM25 and exact vector k-NN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from precedent.model import Node, SearchFilter
from precedent.store.embedded.text import TextIndex, analyze
from precedent.store.embedded.vectors import VectorIndex


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # Terms as Lucene 9.11's EnglishAnalyzer (Neo4j's "english") makes them.
        ("The payments-API's certificates EXPIRED", ["payment", "api", "certif", "expir"]),
        ("queries to the DNS caches", ["queri", "dn", "cach"]),
        ("status: 5xx_errors in eu-west-1", ["statu", "5xx_error", "eu", "west", "1"]),
        ("Zürich café outage", ["zürich", "café", "outag"]),
        ('AND OR "quoted" (title:x)~2^3 \\', ["quot", "title:x", "2", "3"]),
    ],
)
def test_analyzer(text: str, terms: list[str]) -> None:
    # "and"/"or" are stop words: a query's operators are just words, and these ones are dropped.
    assert analyze(text) == terms


def _text_index(docs: dict[str, str]) -> TextIndex:
    index = TextIndex()
    for doc_id, text in docs.items():
        index.put(doc_id, analyze(text), [])
    return index


def test_bm25_prefers_rare_terms_and_short_documents() -> None:
    index = _text_index(
        {
            "a": "database timeout",
            "b": "database timeout during a long and winding deploy of the checkout service",
            "c": "database failover",
            "d": "database",
        }
    )
    hits = index.search("timeout", k=5, allows=lambda _: True)
    assert [h.node_id for h in hits] == ["a", "b"]
    assert hits[0].score > hits[1].score > 0
    rare_first = index.search("database failover", k=1, allows=lambda _: True)
    assert rare_first[0].node_id == "c"


def test_bm25_ties_break_by_id_and_filter_applies_before_the_cut() -> None:
    index = _text_index({f"doc-{i:03d}": "disk full" for i in range(200)})
    hits = index.search("disk", k=3, allows=lambda doc_id: doc_id.endswith("7"))
    assert [h.node_id for h in hits] == ["doc-007", "doc-017", "doc-027"]
    assert len({h.score for h in hits}) == 1


def test_bm25_replacing_and_removing_documents() -> None:
    index = _text_index({"a": "kafka lag", "b": "kafka broker down"})
    index.put("a", analyze("redis eviction"), analyze("kafka lag"))
    index.remove("b", analyze("kafka broker down"))
    assert index.search("kafka", k=5, allows=lambda _: True) == []
    assert [h.node_id for h in index.search("evictions", k=5, allows=lambda _: True)] == ["a"]
    index.put("c", analyze("kafka again"), [])
    assert len(index) == 2
    ids, postings, lengths = index.dump()
    restored = TextIndex()
    restored.load(ids, postings, lengths)
    assert restored.search("kafka redis", k=5, allows=lambda _: True) == index.search(
        "kafka redis", k=5, allows=lambda _: True
    )


def _unit(rng: np.random.Generator, rows: int, dimensions: int = 16) -> np.ndarray:
    vectors = rng.standard_normal((rows, dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _nodes(vectors: np.ndarray) -> list[Node]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Node(
            f"n{i:04d}",
            "Incident" if i % 2 else "FollowUp",
            occurred_at=start + timedelta(days=i) if i % 5 else None,
            visibility="private" if i % 3 == 0 else "public",
            embedding=vector,
        )
        for i, vector in enumerate(vectors)
    ]


def _brute_force(nodes: list[Node], query: np.ndarray, k: int, search_filter: SearchFilter) -> list[str]:
    from precedent.store.embedded.filters import search_allows

    scored = [
        (-float(np.dot(n.embedding, query)), n.id)  # type: ignore[arg-type]
        for n in nodes
        if search_allows(n, search_filter)
    ]
    return [node_id for _, node_id in sorted(scored)[:k]]


@pytest.mark.parametrize(
    "search_filter",
    [
        SearchFilter(),
        SearchFilter(labels=("Incident",)),
        SearchFilter(before=datetime(2024, 3, 1, tzinfo=UTC)),
        SearchFilter(after=datetime(2024, 3, 1, tzinfo=UTC), visibilities=("public",)),
        SearchFilter(labels=("FollowUp",), visibilities=("private",), exclude_ids=frozenset({"n0006"})),
        SearchFilter(visibilities=()),
    ],
)
def test_vector_search_matches_brute_force(search_filter: SearchFilter) -> None:
    rng = np.random.default_rng(3)
    nodes = _nodes(_unit(rng, 3000))
    index = VectorIndex(16)
    index.put(nodes)
    for query in _unit(rng, 5):
        got = [h.node_id for h in index.search(query, 10, search_filter)]
        assert got == _brute_force(nodes, query, 10, search_filter)


def test_vector_ties_break_by_id_and_deletes_keep_rows_consistent() -> None:
    rng = np.random.default_rng(4)
    vectors = _unit(rng, 2000)
    vectors[[10, 1500, 700]] = vectors[5]
    nodes = _nodes(vectors)
    index = VectorIndex(16, capacity=8)
    for start in range(0, 2000, 300):
        index.put(nodes[start : start + 300])
    hits = index.search(vectors[5] * 3.0, 4, SearchFilter())
    assert [h.node_id for h in hits] == ["n0005", "n0010", "n0700", "n1500"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    for node_id in ["n0005", "n1999", "n0700"]:
        index.remove(node_id)
    assert [h.node_id for h in index.search(vectors[5], 2, SearchFilter())] == ["n0010", "n1500"]
    vector = index.vector("n1998")
    assert vector is not None
    np.testing.assert_array_equal(vector, vectors[1998])
    assert len(index) == 1997
