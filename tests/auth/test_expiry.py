"""Token lifetimes as people write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from precedent.auth import parse_expiry

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", NOW + timedelta(days=90)),
        ("12h", NOW + timedelta(hours=12)),
        ("2w", NOW + timedelta(weeks=2)),
        (" 30D ", NOW + timedelta(days=30)),
        ("2027-03-01", datetime(2027, 3, 1, tzinfo=UTC)),
        ("2027-03-01T09:30:00+01:00", datetime(2027, 3, 1, 8, 30, tzinfo=UTC)),
        ("2027-03-01T09:30", datetime(2027, 3, 1, 9, 30, tzinfo=UTC)),
        ("never", None),
    ],
)
def test_understood(text: str, expected: datetime | None) -> None:
    assert parse_expiry(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0d", "zero"),
        ("90 days", "not understood"),
        ("tomorrow", "not understood"),
        ("-5d", "not understood"),
        ("2026-12-01", "in the past"),
        ("2026-12-02T15:00:00+00:00", "in the past"),
    ],
)
def test_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_expiry(text, NOW)
