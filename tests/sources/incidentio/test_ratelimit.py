"""The client-side token bucket, paced by a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from precedent.sources.incidentio import RateLimiter
from precedent.sources.incidentio.ratelimit import RateLimitPause
from tests.support.incidentio_server import FakeClock, FakeIncidentIo, SleepRecorder


async def test_burst_passes_then_calls_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, burst=3, clock=clock, sleep=clock.sleep)  # 1 per second
    waits = [await limiter.acquire() for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert clock.now == 1003.0


async def test_tokens_refill_while_idle_up_to_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(120, burst=2, clock=clock, sleep=clock.sleep)  # 2 per second
    assert [await limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    clock.now += 10.0  # would be 20 tokens, capped at 2
    assert [await limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.5]


def test_default_burst_is_one_seconds_worth() -> None:
    assert RateLimiter(1200).capacity == 20
    assert RateLimiter(1200).rate_per_second == 20
    assert RateLimiter(30).capacity == 1


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(60, burst=0)


async def test_concurrent_callers_queue_in_call_order() -> None:
    # All four arrive at the same instant (the clock does not move while they sleep concurrently),
    # so each books its own slot behind the previous one.
    sleeps = SleepRecorder()
    limiter = RateLimiter(60, burst=1, clock=lambda: 50.0, sleep=sleeps)
    waits = await asyncio.gather(*(limiter.acquire() for _ in range(4)))
    assert waits == [0.0, 1.0, 2.0, 3.0]
    assert sleeps.calls == [1.0, 2.0, 3.0]


async def test_client_is_paced_and_counts_throttle_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(600, burst=2, clock=clock, sleep=clock.sleep)  # 10 per second
    fake = FakeIncidentIo()
    async with fake.client(limiter=limiter, sleep=clock.sleep) as client:
        for _ in range(5):
            await client.get("/v1/severities")
        stats = client.stats
    assert clock.sleeps == pytest.approx([0.1, 0.1, 0.1])
    assert stats.throttle_waits == 3
    assert stats.seconds_waited == pytest.approx(0.3)
    assert stats.calls == 5


async def test_a_pause_lasts_until_its_latest_deadline() -> None:
    clock = FakeClock()

    async def sleep(seconds: float) -> None:
        if not clock.sleeps:
            pause.extend(3.0)  # another 429 arrives while this request sleeps
        await clock.sleep(seconds)

    pause = RateLimitPause(clock=clock, sleep=sleep)
    assert await pause.wait() == 0.0
    pause.extend(2.0)
    pause.extend(1.0)  # an earlier end never shortens the pause
    assert pause.remaining() == 2.0
    assert await pause.wait() == 3.0
    assert clock.sleeps == [2.0, 1.0]
    assert pause.remaining() == 0.0
