"""Pages of results and their cursors, shared by every list a surface offers.

A cursor is the sort key of the last item on a page, as opaque base64url JSON: the next page
starts strictly after it (keyset pagination), so a page never repeats or skips an item when
new incidents arrive between two requests, and no offset makes deep pages slow.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "MAX_LIMIT",
    "Page",
    "check_limit",
    "cursor_time",
    "decode_cursor",
    "decode_typed_cursor",
    "encode_cursor",
    "page_of",
]

T = TypeVar("T")
Key = tuple[str | int | float, ...]

MAX_LIMIT = 100

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: tuple[T, ...]
    next_cursor: str | None


def encode_cursor(key: Sequence[str | int | float]) -> str:
    """The opaque cursor for a sort key."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> Key:
    """The sort key a cursor holds; ``InvalidQuery`` when it is not one this API issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidQuery.unknown_cursor() from exc
    if not (isinstance(key, list) and len(key) == arity):
        raise InvalidQuery.unknown_cursor()
    if not all(isinstance(part, (str, int, float)) and not isinstance(part, bool) for part in key):
        raise InvalidQuery.unknown_cursor()
    return tuple(key)


def decode_typed_cursor(cursor: str | None, *kinds: type[str] | type[int]) -> Key | None:
    """The sort key a cursor holds, checking each part's type (``None`` without a cursor).

    Comparing a forged key with the wrong types would fail deep in a read; here it is a 400.
    """
    if cursor is None:
        return None
    key = decode_cursor(cursor, len(kinds))
    if not all(type(part) is kind for part, kind in zip(key, kinds, strict=True)):
        raise InvalidQuery.unknown_cursor()
    return key


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
        raise InvalidQuery(f"limit must be between 1 and {maximum}; got {limit}")
    return limit


def page_of(
    items: Sequence[T],
    key: Callable[[T], Key],
    kinds: tuple[type[str] | type[int], ...],
    *,
    limit: int,
    cursor: str | None,
    maximum: int = MAX_LIMIT,
) -> Page[T]:
    """The page of ``items`` after ``cursor``, for a list read whole (what one node links to).

    Args:
        items: The whole list, in ascending ``key`` order, each key unique.
        key: An item's sort key; the cursor holds the last key of a page.
        kinds: The type of each part of a key (a forged cursor of other types is a 400).
        limit: The page size.
        cursor: The previous page's ``next_cursor``, or ``None`` for the first page.
        maximum: The largest page the list allows (its route publishes the same bound).

    Raises:
        InvalidQuery: if ``limit`` is out of range or ``cursor`` is not one this API issued.
    """
    check_limit(limit, maximum)
    after = decode_typed_cursor(cursor, *kinds)
    rest = [item for item in items if after is None or key(item) > after]
    page = tuple(rest[:limit])
    return Page(page, encode_cursor(key(page[-1])) if len(rest) > limit else None)
