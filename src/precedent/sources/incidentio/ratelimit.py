"""A client-side token bucket that paces calls to incident.io below the server's limit.

incident.io allows 1200 requests a minute per key, as a bucket refilled at 20/s; organisation-wide
limits are shared with the customer's other keys, so Precedent paces itself instead of draining the
bucket and living on 429s. The clock and the sleep are injected, so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """An async token bucket: ``await limiter.acquire()`` before each request.

    Each call takes one token, going into debt when the bucket is empty and sleeping until the
    debt is repaid. Because the debt is booked before sleeping, concurrent callers queue up in call
    order without a lock, and the pacing is exact under a fake clock.

    Args:
        rate_per_minute: Sustained requests per minute (incident.io's default is 1200).
        burst: Bucket capacity. Defaults to one second's worth of requests (at least 1), so a sync
            never spends the allowance it shares with the organisation's other keys in one burst.
        clock: Monotonic seconds; ``time.monotonic`` unless a test injects a fake.
        sleep: Awaitable sleep; ``asyncio.sleep`` unless a test injects a fake.

    Raises:
        ValueError: If ``rate_per_minute`` or ``burst`` is not positive.
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute}")
        capacity = burst if burst is not None else max(1, int(rate_per_minute // 60))
        if capacity < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self._rate = rate_per_minute / 60.0
        self._capacity = float(capacity)
        self._tokens = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._updated: float | None = None

    @property
    def rate_per_second(self) -> float:
        """Tokens added per second."""
        return self._rate

    @property
    def capacity(self) -> float:
        """The most tokens the bucket holds."""
        return self._capacity

    async def acquire(self) -> float:
        """Take one token, sleeping first if the bucket is empty.

        Returns:
            The seconds this call slept (0.0 when a token was available).
        """
        now = self._clock()
        if self._updated is not None:
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens / self._rate
        await self._sleep(wait)
        return wait
