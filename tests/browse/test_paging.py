import pytest

from precedent.browse.paging import check_limit, decode_cursor, encode_cursor
from precedent.errors import InvalidQuery


def test_a_cursor_round_trips_its_key() -> None:
    key = ("2026-11-30T10:00:00+00:00", "incident:01HX", 3)
    assert decode_cursor(encode_cursor(key), 3) == key


@pytest.mark.parametrize(
    "cursor", ["not base64 !", "bm90IGpzb24", encode_cursor(["a"]), encode_cursor([True, 1])]
)
def test_a_cursor_not_issued_here_is_an_invalid_query_saying_what_to_do(cursor: str) -> None:
    with pytest.raises(InvalidQuery, match="next_cursor"):
        decode_cursor(cursor, 2)


def test_a_limit_outside_its_range_names_the_range() -> None:
    assert check_limit(100) == 100
    with pytest.raises(InvalidQuery, match="between 1 and 100"):
        check_limit(0)
