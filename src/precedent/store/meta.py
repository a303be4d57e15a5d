"""Read-modify-write of one meta value that several writers share, by the store's compare and set."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.store.base import GraphStore

__all__ = ["update_meta"]


async def update_meta(store: GraphStore, key: str, change: Callable[[str | None], Awaitable[str]]) -> None:
    """Set ``key`` to ``change(what it holds)``, read again and redone until no writer got in between.

    Other requests, loads, or processes on a Neo4j map update the same value: a plain write of a
    value read before would drop what they wrote meanwhile. ``change`` may raise to give up.
    """
    while True:
        current = await store.get_meta(key)
        if await store.replace_meta(key, await change(current), expected=current):
            return
