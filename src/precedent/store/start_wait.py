"""Open a store that may not be up yet: a server started beside Precedent (compose, systemd).

``serve`` died (exit code 3) when Neo4j was still starting; it now tries again until a deadline,
one log line per failed attempt, and then fails with the store's own message, as before. Every
process that runs until stopped waits so (``RuntimeOptions.service``), and so does ``serve
--workers``'s check before its workers start (``until_up``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from precedent.errors import StoreLocked, StoreUnavailable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.store.base import GraphStore

__all__ = ["open_within", "until_up"]

log = logging.getLogger("precedent.store")


async def open_within(store: GraphStore, seconds: float, *, interval: float = 2.0) -> None:
    """Open ``store``, trying again for up to ``seconds`` while it cannot be reached.

    ``seconds`` 0 tries once. A map another process holds (``StoreLocked``) is not waited for:
    that process will not go away by itself.

    Raises:
        StoreUnavailable: the last attempt's error, once ``seconds`` have passed.
        StoreError: any other failure, at once.
    """
    await until_up(store.open, seconds, interval=interval)


async def until_up(reach: Callable[[], Awaitable[None]], seconds: float, *, interval: float = 2.0) -> None:
    """Run ``reach`` (an open, a check that the server answers), again for up to ``seconds``
    while it raises ``StoreUnavailable``; ``open_within`` with any first contact.

    Raises:
        StoreUnavailable: the last attempt's error, once ``seconds`` have passed.
        StoreError: any other failure, at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            await reach()
        except StoreLocked:
            raise
        except StoreUnavailable as exc:
            left = deadline - loop.time()
            if left <= 0:
                if attempt > 1:
                    log.error("the store did not come up in %g s (%d attempts)", seconds, attempt)
                raise
            pause = min(interval, left)
            log.warning(
                "waiting for the store: attempt %d failed (%s); trying again in %.1f s (%.0f s left)",
                attempt,
                exc,
                pause,
                left,
                extra={"fields": {"attempt": attempt, "error": str(exc), "seconds_left": round(left, 1)}},
            )
            await asyncio.sleep(pause)
        else:
            if attempt > 1:
                log.info("the store is up (attempt %d)", attempt)
            return
