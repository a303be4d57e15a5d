"""Read-modify-write of one meta value that several writers share, by the store's compare and set."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from precedent.store.base import GraphStore

__all__ = ["SLACK_MESSAGE_KEY", "ids_in", "update_ids", "update_meta"]

SLACK_MESSAGE_KEY = "slack:message:{incident_id}"
"""The meta key of an incident's Slack message record (``notify.MessageRecords``). Here, below
both, because ``ingest.visibility`` asks whether a posted message may name an incident made private."""


async def update_meta(store: GraphStore, key: str, change: Callable[[str | None], Awaitable[str]]) -> None:
    """Set ``key`` to ``change(what it holds)``, read again and redone until no writer got in between.

    Other requests, loads, or processes on a Neo4j map update the same value: a plain write of a
    value read before would drop what they wrote meanwhile. ``change`` may raise to give up.
    """
    while True:
        current = await store.get_meta(key)
        if await store.replace_meta(key, await change(current), expected=current):
            return


def ids_in(raw: str | None) -> set[str]:
    """The ids of a meta value that holds a set of them (a JSON list); none for ``None`` or another shape."""
    loaded = json.loads(raw) if raw else []
    return {str(i) for i in loaded} if isinstance(loaded, list) else set()


async def update_ids(store: GraphStore, key: str, added: Iterable[str], removed: Iterable[str]) -> None:
    """Add ``added`` to and take ``removed`` from the set of ids under ``key``, keeping what others wrote."""
    plus, minus = frozenset(added), frozenset(removed)

    async def changed(raw: str | None) -> str:
        return json.dumps(sorted((ids_in(raw) | plus) - minus))

    await update_meta(store, key, changed)
