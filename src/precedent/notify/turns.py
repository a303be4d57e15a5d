"""One at a time per key (an incident's Slack message), remembering only the keys in use.

A lock kept per incident for the process's life grows by one for every incident ever published;
dropping a lock while a build waits on it would let a third build run beside the second. Each key's
lock is therefore counted by those holding or waiting on it, and dropped when the count is zero.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["Turns"]


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Turns:
    """Lets one caller at a time through per key; holds no state for keys nobody is using."""

    def __init__(self) -> None:
        self._turns: dict[str, _Turn] = {}

    def __len__(self) -> int:
        """How many keys are held or waited on now."""
        return len(self._turns)

    @contextlib.asynccontextmanager
    async def of(self, key: str) -> AsyncIterator[None]:
        """Wait for ``key``'s turn and hold it for the ``async with`` block."""
        # Counted before the first await, so no caller between here and the lock sees a count of 0.
        turn = self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]
