"""A service's incidents over time as a small bar chart: counted here, drawn as inline SVG by the template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Bar", "monthly_bars"]

HEIGHT = 80
BAR = 22
GAP = 6


@dataclass(frozen=True)
class Bar:
    """One month: its label, count, and where the template draws it."""

    label: str
    count: int
    x: int
    height: float


def _month(at: datetime) -> tuple[int, int]:
    return at.year, at.month


def monthly_bars(times: Iterable[datetime], now: datetime, months: int = 12) -> list[Bar]:
    """Incidents per calendar month over the ``months`` ending with ``now``'s, oldest first."""
    keys: list[tuple[int, int]] = []
    year, month = now.year, now.month
    for _ in range(months):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    counts = dict.fromkeys(keys, 0)
    for at in times:
        key = _month(at)
        if key in counts:
            counts[key] += 1
    top = max(counts.values(), default=0) or 1
    return [
        Bar(
            datetime(y, m, 1).strftime("%b %y"),  # noqa: DTZ001 - a label, never compared
            counts[(y, m)],
            i * (BAR + GAP),
            HEIGHT * counts[(y, m)] / top,
        )
        for i, (y, m) in enumerate(keys)
    ]
