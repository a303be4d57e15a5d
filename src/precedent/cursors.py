"""Cursors: the opaque keys that page every list, each bound to the query that issued it.

A cursor is the sort key of the last item on a page, as base64url JSON: the next page starts
strictly after it (keyset pagination), so a page never repeats or skips an item when new ones
arrive between two requests, and no offset makes deep pages slow.

The key is led by a short digest of the query that listed it (its filters, its sort, what the
viewer may see): passed with another query, a key from the first would cut that other list at an
arbitrary place, silently skipping or repeating items, so such a cursor is refused with a 400
saying to start again. Every list binds its cursors here, one way; it sits below every layer
so that the browse lists and the investigations listing share it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from datetime import date
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Key", "decode_typed_cursor", "encode_cursor"]

Key = tuple[str | int | float, ...]


def _plain(value: object) -> object:
    # What a query holds, as JSON: filters are dataclasses of strings, tuples and times.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"a cursor's query cannot hold {type(value).__name__}")


def _digest(query: object) -> str:
    text = json.dumps(query, default=_plain, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(key: Sequence[str | int | float], *, query: object) -> str:
    """The opaque cursor for a sort key of the list ``query`` asked for.

    Args:
        key: The sort key of the page's last item.
        query: What chose and ordered the list (filters, sort, the viewer's visibilities), as
            plain values, dataclasses, tuples and times; equal queries give equal digests.
    """
    raw = json.dumps([_digest(query), *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_typed_cursor(cursor: str | None, *kinds: type[str] | type[int], query: object) -> Key | None:
    """The sort key a cursor holds, checking each part's type (``None`` without a cursor).

    Raises:
        InvalidQuery: if the cursor is not one this API issued (a forged key of the wrong types
            would fail deep in a read), or was issued for another ``query``.
    """
    if cursor is None:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidQuery.unknown_cursor() from exc
    if not (isinstance(parts, list) and len(parts) == len(kinds) + 1 and isinstance(parts[0], str)):
        raise InvalidQuery.unknown_cursor()
    digest, *key = parts
    if not all(type(part) is kind for part, kind in zip(key, kinds, strict=True)):
        raise InvalidQuery.unknown_cursor()
    if digest != _digest(query):
        raise InvalidQuery.cursor_of_another_query()
    return tuple(key)
