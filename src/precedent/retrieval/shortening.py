"""Text cut to a length between words, in any script: lessons, the Slack summary and MCP's text use it.

Cut back to the last space, a word was never split ("2026.11.05-a7…" reads as another version).
Chinese and Japanese have no spaces between words: a long write-up whose only space was near the
start kept a few characters. There every character boundary is a word boundary, and a sentence or
clause mark (the ideographic full stop and comma, and the full-width ! ? , ;) ends one as a space does.
Nor does a cut end on a word that only leads into the next ("…, on…", "the…"): the reader is left
waiting for what it governed, so it goes too.
"""

from __future__ import annotations

from precedent.retrieval.cjk import is_cjk

__all__ = ["shortened"]

_CLAUSE_MARKS = frozenset("\u3002\u3001\uff01\uff1f\uff0c\uff1b")
# Nothing ends on a separator before the ellipsis: "pool;…" reads as an unfinished list.
_SEPARATORS = " ,;:\u3001\uff0c\uff1b"
# Articles, determiners, prepositions and conjunctions: English, as the write-ups mostly are.
# Particles that end a phrase ("scaled up", "timed out") are left out.
_DANGLING_WORDS = """a an the its their our your every each
    about above across after against along among around as at before behind below beneath beside
    between beyond by despite during except for from in inside into like near of on onto over past
    per since through to toward towards under until upon via with within without
    and but or nor because if than that though although unless whereas while when where"""
_DANGLING = frozenset(_DANGLING_WORDS.split())


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
    return _without_dangling(flat[:cut].rstrip(_SEPARATORS)) + "…"


def _without_dangling(cut: str) -> str:
    """``cut`` without the words at its end that lead into what was cut off (one word stays)."""
    while True:
        head, _, last = cut.rpartition(" ")
        kept = head.rstrip(_SEPARATORS)
        if not kept or last.casefold() not in _DANGLING:
            return cut
        cut = kept
