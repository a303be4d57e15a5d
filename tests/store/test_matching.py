"""The one normal form both stores compare names in (``store.matching``)."""

from __future__ import annotations

import sys

from precedent.store.matching import WHITESPACE, match_key


def test_the_whitespace_neo4j_splits_on_is_all_python_splits_on() -> None:
    # Cypher is given this list; a character missing from it would match on the embedded store only.
    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_a_key_is_lower_case_words_joined_by_one_space() -> None:
    assert match_key("\u3000Ledger\u00a0\u00a0API\t") == "ledger api"
    assert match_key(" \n ") == ""
