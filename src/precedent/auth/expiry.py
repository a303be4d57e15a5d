"""Parses a token lifetime as people write it: ``90d``, ``12h``, ``2w``, an ISO date, or ``never``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

__all__ = ["parse_expiry"]

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """Return when a token created at ``now`` should expire, or ``None`` for ``never``.

    Args:
        text: ``<n>h``, ``<n>d`` or ``<n>w``; an ISO date (``2027-03-01``, midnight UTC) or
            date-time (without an offset it is taken as UTC); or ``never``.
        now: The creation time (timezone-aware).

    Returns:
        The aware expiry time, or ``None`` when the token never expires.

    Raises:
        ValueError: if ``text`` is none of those, or names a time not after ``now``.
    """
    cleaned = text.strip().lower()
    if cleaned == "never":
        return None
    if match := _RELATIVE.match(cleaned):
        amount = int(match.group(1))
        if amount == 0:
            raise ValueError(f"expiry {text!r} is zero; use a positive amount such as 90d, or 'never'")
        return now + amount * _UNITS[match.group(2)]
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            when = datetime.combine(date.fromisoformat(cleaned), datetime.min.time(), tzinfo=UTC)
        else:
            when = datetime.fromisoformat(text.strip())
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"expiry {text!r} is not understood; write 12h, 90d, 2w, an ISO date (2027-03-01) or 'never'"
        ) from None
    if when <= now:
        raise ValueError(f"expiry {text!r} is in the past; pick a later date")
    return when
