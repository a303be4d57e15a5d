"""Pages of results, shared by every list a surface offers.

Their cursors are ``precedent.cursors``': the sort key of a page's last item, bound to the
query that listed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from precedent.cursors import Key, decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "MAX_LIMIT",
    "Page",
    "check_limit",
    "cursor_time",
    "decode_typed_cursor",
    "encode_cursor",
    "page_of",
]

T = TypeVar("T")

MAX_LIMIT = 100

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: tuple[T, ...]
    next_cursor: str | None


def cursor_time(micros: int) -> datetime:
    """The instant ``micros`` microseconds after the Unix epoch, as a cursor's key holds a time.

    Raises:
        InvalidQuery: if no ``datetime`` reaches it (a forged key past year 9999 or before year 1),
            which would otherwise fail deep in a read.
    """
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError as exc:
        raise InvalidQuery.unknown_cursor() from exc


def check_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    """The page size, or ``InvalidQuery`` naming the allowed range."""
    if not 1 <= limit <= maximum:
        raise InvalidQuery.limit_out_of_range(limit, maximum)
    return limit


def page_of(
    items: Sequence[T],
    key: Callable[[T], Key],
    kinds: tuple[type[str] | type[int], ...],
    *,
    limit: int,
    cursor: str | None,
    query: object,
    maximum: int = MAX_LIMIT,
) -> Page[T]:
    """The page of ``items`` after ``cursor``, for a list read whole (what one node links to).

    Args:
        items: The whole list, in ascending ``key`` order, each key unique.
        key: An item's sort key; the cursor holds the last key of a page.
        kinds: The type of each part of a key (a forged cursor of other types is a 400).
        limit: The page size.
        cursor: The previous page's ``next_cursor``, or ``None`` for the first page.
        query: What chose the list (its owner, the viewer's visibilities): a cursor of another
            query is a 400.
        maximum: The largest page the list allows (its route publishes the same bound).

    Raises:
        InvalidQuery: if ``limit`` is out of range or ``cursor`` is not one this API issued for
            ``query``.
    """
    check_limit(limit, maximum)
    after = decode_typed_cursor(cursor, *kinds, query=query)
    rest = [item for item in items if after is None or key(item) > after]
    page = tuple(rest[:limit])
    return Page(page, encode_cursor(key(page[-1]), query=query) if len(rest) > limit else None)
