"""Cutting text into pieces the embedding model reads whole, at the most natural boundaries.

A piece is tested with a ``fits`` predicate (usually: the model's token count of the text the
piece becomes, at most its budget). Text is split at the coarsest boundary that works: lines,
then sentences, then words; a single word longer than the budget is cut by characters. Pieces are
then packed greedily back together while they still fit, so chunks stay as large as allowed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["head_that_fits", "split_to_fit"]

_BOUNDARIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n\s*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?;:])\s+"), " "),
    (re.compile(r"\s+"), " "),
)


def split_to_fit(text: str, fits: Callable[[str], bool], *, level: int = 0) -> list[str]:
    """Split ``text`` into consecutive pieces that each satisfy ``fits``.

    Args:
        text: The text (leading and trailing whitespace of each piece is dropped).
        fits: Whether a candidate piece is small enough; must hold for any single character.
        level: The finest boundaries to start from (0: paragraphs).

    Returns:
        The pieces in order; empty for blank text.
    """
    text = text.strip()
    if not text:
        return []
    if fits(text):
        return [text]
    for depth in range(level, len(_BOUNDARIES)):
        pattern, joiner = _BOUNDARIES[depth]
        parts = [p.strip() for p in pattern.split(text) if p.strip()]
        if len(parts) > 1:
            units = [unit for part in parts for unit in split_to_fit(part, fits, level=depth + 1)]
            return _pack(units, joiner, fits)
    return _cut(text, fits)


def head_that_fits(text: str, fits: Callable[[str], bool]) -> str:
    """The longest leading piece of ``text`` that satisfies ``fits`` (all of it when it fits)."""
    pieces = split_to_fit(text, fits)
    return pieces[0] if pieces else ""


def _pack(units: list[str], joiner: str, fits: Callable[[str], bool]) -> list[str]:
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if current and not fits(candidate):
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _cut(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut one unbreakable run of characters into the longest prefixes that fit."""
    pieces: list[str] = []
    while text:
        low, high = 1, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(text[:middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(text[:low])
        text = text[low:]
    return pieces
