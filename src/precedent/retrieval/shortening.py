"""Text cut to a length between words, in any script: lessons, the Slack summary and MCP's text use it.

Cut back to the last space, a word was never split ("2026.11.05-a7…" reads as another version).
Chinese and Japanese have no spaces between words: a long write-up whose only space was near the
start kept a few characters. There every character boundary is a word boundary, and a sentence or
clause mark (the ideographic full stop and comma, and the full-width ! ? , ;) ends one as a space does.
"""

from __future__ import annotations

from precedent.retrieval.cjk import is_cjk

__all__ = ["shortened"]

_CLAUSE_MARKS = frozenset("\u3002\u3001\uff01\uff1f\uff0c\uff1b")
# Nothing ends on a separator before the ellipsis: "pool;…" reads as an unfinished list.
_SEPARATORS = " ,;:\u3001\uff0c\uff1b"


def _boundary(text: str, at: int) -> bool:
    """Whether cutting ``text`` before index ``at`` leaves every word whole."""
    before, after = text[at - 1], text[at]
    return after == " " or before in _CLAUSE_MARKS or is_cjk(before) or is_cjk(after)


def shortened(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, cut between words and ended with ``…``.

    A single word longer than the limit is cut where it must be.

    Args:
        text: Any text; runs of whitespace become one space.
        limit: The most characters returned, the ellipsis included.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    end = limit - 1
    cut = next((at for at in range(end, 0, -1) if _boundary(flat, at)), end)
    return flat[:cut].rstrip(_SEPARATORS) + "…"
