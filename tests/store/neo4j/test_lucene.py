"""User text becomes a Lucene query that cannot fail to parse or change meaning."""

from __future__ import annotations

import pytest

from precedent.store.neo4j.search import lucene_query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("payments api", "payments api"),
        ("a:b (c)", "a\\:b \\(c\\)"),
        ("[d] ~ * ? \\ /", "\\[d\\] \\~ \\* \\? \\\\ \\/"),
        ('"quoted" +must -not', '\\"quoted\\" \\+must \\-not'),
        ("x && y || !z ^2 {r}", "x \\&\\& y \\|\\| \\!z \\^2 \\{r\\}"),
        ("cats AND dogs OR NOT birds", "cats and dogs or not birds"),
    ],
)
def test_special_characters_are_escaped(text: str, query: str) -> None:
    assert lucene_query(text) == query


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_nothing_to_search_is_none(text: str) -> None:
    assert lucene_query(text) is None
