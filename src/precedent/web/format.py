"""How the pages write times, durations and scores: small pure functions, registered as Jinja filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from precedent.responses import time_text
from precedent.retrieval.shortening import shortened

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FILTERS", "ago", "duration", "external_url", "iso", "percent", "points", "score"]


def iso(value: datetime | None) -> str:
    """The machine-readable form, for ``<time datetime=...>``."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def duration(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3 h 20 min``, ``2 d 4 h``."""
    if seconds is None:
        return "unknown"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        hours, minutes = divmod(s // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(s // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """``7 min ago`` (or ``in 3 h`` for a time ahead)."""
    if value is None:
        return "unknown"
    delta = ((now or datetime.now(UTC)) - value).total_seconds()
    return f"{duration(delta)} ago" if delta >= 0 else f"in {duration(-delta)}"


def percent(value: float) -> str:
    """A confidence or score from 0 to 1 as ``72%``."""
    return f"{round(max(0.0, min(1.0, value)) * 100)}%"


_LINKABLE_SCHEMES = frozenset({"http", "https"})


def external_url(value: object) -> str:
    """``value`` when it is an ``http(s)`` address to link to, else ``""`` (shown as text, unlinked).

    Links to incident.io, post-mortems, issues and CI runs come from incident.io, an export or a
    ``write`` token's change events; a ``javascript:`` or ``data:`` one would run in the page of
    whoever clicks it, with their session, so only web addresses become links.
    """
    if not isinstance(value, str):
        return ""
    text = value.strip()
    # Browsers drop tabs and newlines inside a scheme ("java\tscript:"); urlsplit does too.
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in _LINKABLE_SCHEMES and parts.netloc else ""


def score(value: float) -> str:
    """A precedent's ranking score as the CLI and MCP write it (``0.651``), never as a percentage.

    It is a weighted sum of signals, not a share of likeness: "65% similar" beside a hypothesis's
    "67%" confidence reads as two comparable numbers, and they are not.
    """
    return f"{value:.3f}"


# A list's first marker as a post-mortem writes one ("* ", "• ", "- ", "1. " or "1) "): a lesson
# reaches the page on one line ("* Rollback took longer ... * Canary analysis ...").
_FIRST_MARK = re.compile(r"([*\u2022-]|1[.)])\s+")
# The later markers of a bulleted list: of the kind it opened with, after a space.
_BULLETS = {"*": r"[*\u2022]", "\u2022": r"[*\u2022]", "-": "-"}


def _items(text: str, mark: str) -> list[str]:
    """``text``'s items after its first marker ``mark``: a numbered list's start at the next number
    in turn ("2. ", then "3. "), so another number ending a sentence ("in 5. Then") starts none."""
    if mark not in _BULLETS:
        close, start = re.escape(mark[1]), len(mark)
        found: list[str] = []
        while nxt := re.compile(rf"\s{len(found) + 2}{close}\s+").search(text, start):
            found.append(text[start : nxt.start()])
            start = nxt.end()
        return [*found, text[start:]]
    return re.split(rf"(?:^|\s){_BULLETS[mark]}\s+", text)


def points(text: str | None) -> list[str]:
    """The items of ``text`` when it is a list (a post-mortem's learnings), else none.

    The lesson is kept on one line, so "* Rollback took longer ... * Canary analysis ..." read as
    one run-on sentence with stars in it. Text that opens with a marker ("*", "•", "-", "1." or
    "1)") and holds two or more items is a list; any other text is not (``*emphasis*`` opens with
    no space after its star).
    """
    stripped = (text or "").strip()
    first = _FIRST_MARK.match(stripped)
    if first is None:
        return []
    items = [item.strip() for item in _items(stripped, first.group(1)) if item.strip()]
    return items if len(items) >= 2 else []


FILTERS: dict[str, Callable[..., object]] = {
    # Every page shows UTC, as incident.io's timelines do, as the CLI writes it.
    "when": time_text,
    "iso": iso,
    "duration": duration,
    "ago": ago,
    "percent": percent,
    "external_url": external_url,
    "score": score,
    "points": points,
    # Jinja's ``truncate`` ended "…baseline;..." with three dots; every other surface cuts as this.
    "shortened": shortened,
}
