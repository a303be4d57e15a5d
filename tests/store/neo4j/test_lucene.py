"""User text becomes a Lucene query that cannot fail to parse or change meaning, each term once."""

from __future__ import annotations

import pytest

from precedent.store.neo4j.search import lucene_query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("payments api", "payments api"),
        ("a:b (c)", "a\\:b c"),
        ("[d] ~ * ? \\ /", "d"),
        ('"quoted" +must -not', "quoted must"),
        ("x && y || !z ^2 {r}", "x y z 2 r"),
        ("cats AND dogs OR NOT birds TO", "cats dogs birds"),
        ("payments-api Payments payment's paying", "payments api paying"),
    ],
)
def test_words_are_escaped_and_each_term_asked_once(text: str, query: str) -> None:
    assert lucene_query(text) == query


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "the AND of ~ *"])
def test_nothing_to_search_is_none(text: str) -> None:
    assert lucene_query(text) is None
