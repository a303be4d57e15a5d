"""Retry decisions: Retry-After parsing (both forms) and full-jitter backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from precedent.sources.incidentio import RetryPolicy, parse_retry_after
from precedent.sources.incidentio.retry import http_date

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Tue, 10 Mar 2026 12:00:07 GMT", 7.0),
        ("Tue, 10 Mar 2026 11:59:00 GMT", 0.0),
        ("Tue, 10 Mar 2026 12:01:00 -0000", 60.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_http_date_defaults_to_now() -> None:
    assert parse_retry_after("Thu, 01 Jan 2099 00:00:00 GMT") is not None
    assert http_date("Tue, 10 Mar 2026 12:00:00 GMT") == NOW
    assert http_date(None) is None


def test_backoff_is_bounded_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=random.Random(3))
    for attempt in range(1, 10):
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        draws = [policy.backoff(attempt) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in draws)
    assert len({policy.backoff(8) for _ in range(20)}) > 1  # jittered, not fixed


def test_rate_limit_wait_floors_at_min_retry_after() -> None:
    policy = RetryPolicy(rng=random.Random(0))
    assert policy.rate_limit_wait(0.0, 1) == 1.0
    assert policy.rate_limit_wait(5.0, 1) == 5.0
    assert policy.rate_limit_wait(None, 1) == 1.0  # backoff draw <= 0.5, floored


def test_policy_is_frozen_and_validated() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]
    assert policy.max_attempts == 6
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)
