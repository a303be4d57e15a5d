"""A service's incidents over time as a small bar chart: placed here, drawn as inline SVG by the template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precedent.browse import WeekCount

__all__ = ["BAR", "GAP", "HEIGHT", "Bar", "weekly_bars"]

HEIGHT = 70
"""The tallest bar; the chart keeps room above it for its count."""
BAR = 10
GAP = 3


@dataclass(frozen=True)
class Bar:
    """One week: its label (the Monday it starts), its count, and where the template draws it."""

    label: str
    count: int
    x: int
    height: float
    month_start: bool


def weekly_bars(weeks: tuple[WeekCount, ...]) -> list[Bar]:
    """Bars for ``browse.service_hotspots``'s weeks, oldest first, scaled to the busiest week."""
    top = max((w.incidents for w in weeks), default=0) or 1
    bars = []
    for i, week in enumerate(weeks):
        # A month's name is written under the first week that starts in it.
        month_start = week.week_start.day <= 7
        bars.append(
            Bar(
                week.week_start.strftime("%d %b %Y"),
                week.incidents,
                i * (BAR + GAP),
                HEIGHT * week.incidents / top,
                month_start,
            )
        )
    return bars
