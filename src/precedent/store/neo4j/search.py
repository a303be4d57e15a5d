"""Vector and full-text candidate search in Neo4j, with ``SearchFilter`` applied in Cypher.

Neo4j's cosine (the function and the vector index alike) answers ``(1 + cos) / 2``; scores are
mapped back to plain cosine so they compare with the embedded store's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from precedent.errors import StoreError
from precedent.model import LabelledHit, ScoredNode, SearchFilter
from precedent.store.analyzer import analyzed_words
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch_rows
from precedent.store.neo4j.convert import node_label, stored_property, to_micros, vector_list

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.graph_schema import GraphSchema
    from precedent.model import Vector
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["lucene_query", "similarities", "text_search", "vector_search", "vector_search_labelled"]

_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
# Lucene refuses a query of more clauses than this (its default maxClauseCount, which Neo4j keeps):
# one per analysed term, so a long described incident or a pasted log would fail the search.
_MAX_CLAUSES = 1024


def lucene_query(text: str) -> str | None:
    """Turn any user string into a Lucene query matching any of its words, each term once.

    Lucene sums a term asked twice as two clauses, where BM25 (and the embedded store) weighs
    each of the query's terms once: a described incident repeating its service's name would rank
    by that name on Neo4j alone. So each word goes in only if its term is new, with every special
    character escaped; the parser's operator words (AND, OR, NOT, TO) are stop words, never
    asked. No input can be a syntax error or change the query's meaning. Returns ``None`` when
    nothing searchable is left.
    """
    terms, seen = [], set()
    for word, term in analyzed_words(text):
        if term in seen:
            continue
        seen.add(term)
        terms.append(_LUCENE_SPECIAL.sub(r"\\\1", word))
    return " ".join(terms) or None


def _shorter(query: str) -> str | None:
    """A query Lucene is likelier to take: repeated terms dropped and at most ``_MAX_CLAUSES`` of
    them kept, or else its first half (a word can analyse into several terms); ``None`` at one term.
    """
    terms = query.split(" ")
    unique = list(dict.fromkeys(terms))
    if len(unique) < len(terms) or len(unique) > _MAX_CLAUSES:
        return " ".join(unique[:_MAX_CLAUSES])
    return " ".join(terms[: len(terms) // 2]) if len(terms) > 1 else None


def _too_many_clauses(exc: StoreError) -> bool:
    return "TooManyClauses" in str(exc.__cause__ or exc)


def _filter_parts(search_filter: SearchFilter | None, schema: GraphSchema) -> tuple[str, dict[str, object]]:
    f = search_filter or SearchFilter()
    labels = [schema.check_label(label) for label in f.labels]
    predicates = queries.search_predicates(
        "n", labels, before=f.before is not None, after=f.after is not None, exclude=bool(f.exclude_ids)
    )
    params: dict[str, object] = {"visibilities": list(f.visibilities)}
    if f.before is not None:
        params["before"] = to_micros(f.before)
    if f.after is not None:
        params["after"] = to_micros(f.after)
    if f.exclude_ids:
        params["exclude"] = sorted(f.exclude_ids)
    return predicates, params


def _hits(records: Sequence[Mapping[str, Any]], *, cosine: bool) -> list[ScoredNode]:
    hits = []
    for record in records:
        score = float(record["score"])
        hits.append(ScoredNode(str(record["id"]), 2.0 * score - 1.0 if cosine else score))
    return hits


async def vector_search(
    connection: Connection,
    schema: GraphSchema,
    embedding: Vector,
    *,
    k: int,
    search_filter: SearchFilter | None,
    dimensions: int | None,
    over_fetch: int | None,
) -> list[ScoredNode]:
    """Nearest nodes by cosine: exact when ``over_fetch`` is None, else through the vector index.

    The index path asks HNSW for ``max(k, over_fetch)`` hits and filters them; when fewer than
    ``k`` pass a selective filter, it scans instead, as the embedded store does.

    Raises:
        SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
    """
    rows = await _vector_rows(
        connection, schema, embedding, k, search_filter, dimensions, over_fetch, key=None
    )
    return _hits(rows, cosine=True)


async def vector_search_labelled(
    connection: Connection,
    schema: GraphSchema,
    embedding: Vector,
    *,
    k: int,
    search_filter: SearchFilter | None,
    dimensions: int | None,
    over_fetch: int | None,
    key: str,
) -> list[LabelledHit]:
    """``vector_search`` with each hit's label and ``key``'s value, in the same statement.

    Raises:
        SchemaError: if ``embedding`` is not a finite vector of the store's dimension, or ``key``
            is not a property name.
    """
    stored = stored_property(key)
    rows = await _vector_rows(
        connection, schema, embedding, k, search_filter, dimensions, over_fetch, key=stored
    )
    return [
        LabelledHit(hit.node_id, hit.score, node_label(row["labels"]), row["value"])
        for hit, row in zip(_hits(rows, cosine=True), rows, strict=True)
    ]


async def _vector_rows(
    connection: Connection,
    schema: GraphSchema,
    embedding: Vector,
    k: int,
    search_filter: SearchFilter | None,
    dimensions: int | None,
    over_fetch: int | None,
    *,
    key: str | None,
) -> list[dict[str, Any]]:
    vector = vector_list("the query embedding", embedding, dimensions)
    predicates, params = _filter_parts(search_filter, schema)  # checks labels even when k <= 0
    if k <= 0:
        return []
    params["vector"] = vector
    params["k"] = k
    labelled = key is not None
    columns = queries.LABELLED_COLUMNS if labelled else queries.SCORE_COLUMNS
    if labelled:
        params["key"] = key
    exact = queries.collected(queries.exact_vector_search(predicates, labelled=labelled), columns)
    if over_fetch is None:
        return await _read_rows(connection, exact, params)
    params["fetch"] = max(k, over_fetch)
    index = queries.collected(queries.index_vector_search(predicates, labelled=labelled), columns)
    rows = await _read_rows(connection, index, params)
    # A selective filter (a similar-incident query's "declared before", a kind) can reject most of
    # the index's nearest: then scan, as the embedded store does. Returning the few that passed
    # left an old incident's similar incidents ranked on part of their evidence on Neo4j alone.
    return rows if len(rows) >= k else await _read_rows(connection, exact, params)


async def _read_rows(
    connection: Connection, query: queries.Collected, params: dict[str, object]
) -> list[dict[str, Any]]:
    async def work(tx: Runner) -> list[dict[str, Any]]:
        return await fetch_rows(tx, query, params)

    return await connection.read(work, "searching vectors")


async def similarities(
    connection: Connection, embedding: Vector, ids: Sequence[str], dimensions: int | None
) -> dict[str, float]:
    """Cosine of ``embedding`` with each of ``ids`` that has an embedding, in the order of ``ids``.

    Raises:
        SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
    """
    vector = vector_list("the query embedding", embedding, dimensions)
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    params = {"ids": unique, "vector": vector}

    async def work(tx: Runner) -> dict[str, float]:
        scores = {
            str(r["id"]): 2.0 * float(r["score"]) - 1.0
            for r in await fetch_rows(tx, queries.SIMILARITIES_ROWS, params)
        }
        return {node_id: scores[node_id] for node_id in unique if node_id in scores}

    return await connection.read(work, "scoring embeddings")


async def text_search(
    connection: Connection,
    schema: GraphSchema,
    text: str,
    *,
    k: int,
    search_filter: SearchFilter | None,
    over_fetch: int,
) -> list[ScoredNode]:
    """Full-text (Lucene BM25) search over node text, filtered and ordered score desc, id asc.

    Asks Lucene for its best ``max(k, over_fetch)`` hits first, which
    settles almost every query in one round trip without reading every matching node; when that
    cannot prove the answer exact (too few hits pass the filter, or a tie at the cut), it runs
    the full search, so the answer is always the exact one.
    """
    lucene = lucene_query(text)
    predicates, params = _filter_parts(search_filter, schema)  # checks labels even for no query
    if k <= 0 or lucene is None:
        return []
    top = max(k, over_fetch)
    params.update(k=k, fetch=top)
    top_query = queries.collected(queries.text_search_top(predicates), queries.TEXT_TOP_COLUMNS)
    full_query = queries.collected(queries.text_search(predicates), queries.SCORE_COLUMNS)

    async def work(tx: Runner) -> list[ScoredNode]:
        records = await fetch_rows(tx, top_query, params)
        if records:
            fetched, floor = int(records[0]["fetched"]), float(records[0]["floor"])
            exhausted = fetched < top
            if exhausted or (len(records) == k and float(records[-1]["score"]) > floor):
                return _hits(records, cosine=False)
        return _hits(await fetch_rows(tx, full_query, params), cosine=False)

    query = lucene
    while True:
        params["query"] = query
        try:
            return await connection.read(work, "searching text")
        except StoreError as exc:
            # Only what Lucene refused for its length is retried shorter: the rare long query
            # keeps its first terms rather than failing the search (or the similar incidents).
            shorter = _shorter(query) if _too_many_clauses(exc) else None
            if shorter is None:
                raise
            query = shorter
