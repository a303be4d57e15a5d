"""Client-side pacing for incident.io: a token bucket, and a pause every request honours after a 429.

incident.io allows 1200 requests a minute per key, as a bucket refilled at 20/s; organisation-wide
limits are shared with the customer's other keys, so Precedent paces itself instead of draining the
bucket and living on 429s. When a 429 comes anyway, its ``Retry-After`` is about the key, not the
request: :class:`RateLimitPause` holds back every request of the client until then. The clock and
the sleep are injected, so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["RateLimitPause", "RateLimiter"]


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


class RateLimitPause:
    """A moment before which no request of one client may be sent: the latest ``Retry-After``.

    Every request awaits :meth:`wait` just before it is sent; a 429 calls :meth:`extend`. Because
    the limit is per API key, one 429 holds back all concurrent requests, not just the one that
    was refused, and a later 429 can only push the moment further out.

    Args:
        clock: Monotonic seconds.
        sleep: Awaitable sleep.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._until = float("-inf")

    def extend(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (never shortening an earlier pause)."""
        self._until = max(self._until, self._clock() + seconds)

    def remaining(self) -> float:
        """Seconds until requests may be sent again (0.0 when they may now)."""
        return max(0.0, self._until - self._clock())

    async def wait(self) -> float:
        """Sleep until the pause is over, including extensions made while sleeping.

        Returns:
            The seconds this call slept (0.0 when no pause was in force).
        """
        waited = 0.0
        deadline = None
        # Sleep again only if another 429 moved the deadline meanwhile: an injected sleep that
        # returns at once (tests) must not spin.
        while self._until != deadline:
            deadline = self._until
            left = deadline - self._clock()
            if left <= 0:
                break
            await self._sleep(left)
            waited += left
        return waited
