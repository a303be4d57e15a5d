"""When and how long to wait before retrying a failed incident.io request.

Pure decisions only: the client's request loop (``client.py``) asks :class:`RetryPolicy` how long
to sleep; a 429's wait is applied to the whole client (``ratelimit.RateLimitPause``). 429s honour
``Retry-After`` (documented as delta-seconds; older official incident.io tools parse an HTTP-date,
so both are accepted); 5xx answers, timeouts and transport errors back off exponentially with full
jitter.
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "http_date", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try a request and how long to wait in between.

    Attributes:
        max_attempts: Total tries per request, the first one included.
        base_delay: Seconds of the first backoff ceiling; it doubles on each attempt.
        max_delay: The backoff ceiling never exceeds this many seconds.
        min_retry_after: Floor for a 429 wait, so a ``Retry-After: 0`` does not hammer the API.
        max_retry_after: A 429 asking to wait longer than this fails at once with
            ``IncidentIoRateLimited`` instead of stalling the sync.
        rng: Source of jitter; tests pass ``random.Random(seed)``.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    min_retry_after: float = 1.0
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff after failed attempt number ``attempt`` (1-based).

        Returns:
            A uniform draw from ``[0, min(max_delay, base_delay * 2 ** (attempt - 1))]``.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)

    def rate_limit_wait(self, retry_after: float | None, attempt: int) -> float:
        """Seconds to wait after a 429: the server's ``Retry-After`` if given, else a backoff.

        Both are floored at ``min_retry_after``.
        """
        wait = retry_after if retry_after is not None else self.backoff(attempt)
        return max(wait, self.min_retry_after)


DEFAULT_RETRY = RetryPolicy()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header as seconds from now.

    Args:
        value: The header: delta-seconds (``"2"``) or an HTTP-date
            (``"Wed, 21 Oct 2026 07:28:00 GMT"``).
        now: The moment an HTTP-date is measured from; best taken from the response's ``Date``
            header so client and server clocks cannot disagree. Defaults to the current UTC time.

    Returns:
        Non-negative seconds, or ``None`` when the header is missing or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(0.0, seconds)
    when = http_date(text)
    if when is None:
        return None
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def http_date(text: str | None) -> datetime | None:
    """Parse an HTTP-date header such as ``Date``; ``None`` when absent or unreadable."""
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 9110 dates are always GMT; "-0000" parses as naive.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
