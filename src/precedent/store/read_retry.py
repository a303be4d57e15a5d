"""How long a store read may retry transient failures, decided by whoever is waiting for it.

A store retries a read that failed transiently (a cluster electing a leader, a restart) for its
own window, long enough for background work (the webhook worker, a sync) to ride one out. A
request has someone waiting on it: the API narrows the window for the duration of each request
with ``read_retry_window``, so a store that is down answers 503 in seconds, not half a minute.
The window is a context variable, so it follows the request into the tasks it starts; work that
outlives the request (a sync it starts) is started under ``read_retry_window(None)``.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["read_retry_seconds", "read_retry_window"]

_WINDOW: ContextVar[float | None] = ContextVar("precedent_read_retry_seconds", default=None)


@contextlib.contextmanager
def read_retry_window(seconds: float | None) -> Iterator[None]:
    """Within this block, and in tasks started from it, store reads retry for at most ``seconds``.

    Args:
        seconds: The window; ``None`` gives each store its own (for work that outlives a request).
    """
    token = _WINDOW.set(seconds)
    try:
        yield
    finally:
        _WINDOW.reset(token)


def read_retry_seconds(default: float) -> float:
    """The window a read started now may retry for: the caller's, else the store's ``default``."""
    window = _WINDOW.get()
    return default if window is None else window
