from datetime import UTC, datetime

import pytest

from precedent.browse.incidents import IncidentFilters
from precedent.browse.paging import check_limit
from precedent.cursors import decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery

QUERY = ("incidents", IncidentFilters(severities=("SEV1",)), ("public",))


def test_a_cursor_round_trips_its_key_for_the_same_query() -> None:
    key = ("2026-11-30T10:00:00+00:00", "incident:01HX", 3)
    cursor = encode_cursor(key, query=QUERY)
    assert decode_typed_cursor(cursor, str, str, int, query=QUERY) == key
    # Equal queries built anew (times, sets) are the same query.
    since = datetime(2026, 11, 1, tzinfo=UTC)
    again = encode_cursor(key, query=("x", frozenset({"b", "a"}), since))
    assert decode_typed_cursor(again, str, str, int, query=("x", frozenset({"a", "b"}), since)) == key
    assert decode_typed_cursor(None, str, query=QUERY) is None


@pytest.mark.parametrize(
    "other",
    [
        ("incidents", IncidentFilters(severities=("SEV2",)), ("public",)),
        ("incidents", IncidentFilters(severities=("SEV1",)), ("public", "private")),
        ("services", IncidentFilters(severities=("SEV1",)), ("public",)),
    ],
)
def test_a_cursor_of_another_query_says_to_start_again(other: object) -> None:
    cursor = encode_cursor((1, "a"), query=QUERY)
    with pytest.raises(InvalidQuery, match="leave cursor out to start again"):
        decode_typed_cursor(cursor, int, str, query=other)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        "bm90IGpzb24",
        encode_cursor(["a"], query=QUERY),
        encode_cursor([True, 1], query=QUERY),
        encode_cursor(["a", "b"], query=QUERY),
    ],
)
def test_a_cursor_not_issued_here_is_an_invalid_query_saying_what_to_do(cursor: str) -> None:
    with pytest.raises(InvalidQuery, match="next_cursor"):
        decode_typed_cursor(cursor, int, str, query=QUERY)


def test_a_limit_outside_its_range_names_the_range() -> None:
    assert check_limit(100) == 100
    with pytest.raises(InvalidQuery) as refused:
        check_limit(0)
    assert str(refused.value) == str(InvalidQuery.limit_out_of_range(0, 100))
