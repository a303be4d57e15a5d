"""Pages of the webhook inbox: recent deliveries, newest first, with keyset cursors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.browse.paging import Page, check_limit, cursor_time, decode_typed_cursor, encode_cursor

if TYPE_CHECKING:
    from precedent.store import Delivery, Inbox

__all__ = ["MAX_DELIVERIES", "delivery_page"]

MAX_DELIVERIES = 500
_QUERY = ("deliveries",)


def _key(delivery: Delivery) -> tuple[int, str]:
    # Milliseconds, as both inboxes store them, so the key round-trips exactly.
    return round(delivery.received_at.timestamp() * 1000), delivery.id


async def delivery_page(inbox: Inbox, *, limit: int, cursor: str | None) -> Page[Delivery]:
    """The deliveries after ``cursor``, newest received first (then by id).

    Raises:
        InvalidQuery: if ``limit`` is out of range or ``cursor`` is not one this API issued.
    """
    check_limit(limit, MAX_DELIVERIES)
    # One list, the same for every token that may read it: bound to it alone.
    key = decode_typed_cursor(cursor, int, str, query=_QUERY)
    after = None
    if key is not None:
        millis, delivery_id = key
        after = (cursor_time(int(millis) * 1000), str(delivery_id))
    found = list(await inbox.recent(limit + 1, after=after))
    page = tuple(found[:limit])
    return Page(page, encode_cursor(_key(page[-1]), query=_QUERY) if len(found) > limit else None)
