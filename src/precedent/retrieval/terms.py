"""Terms of incident text for explanations: the words a query and a past incident share."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["STOP_WORDS", "matched_terms", "terms"]

_TOKEN = re.compile(r"[a-z0-9][a-z0-9_\-]*[a-z0-9]|[a-z0-9]")

# English function words, plus status-page boilerplate that every incident shares and that would
# explain nothing ("We are investigating reports of degraded performance").
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours us via per within across currently still being been may might
    investigating investigate investigation reports reported report issue issues incident
    incidents update updates monitoring monitor resolved resolve identified identify working
    continue continuing looking experiencing users customers some affected impact impacting
    status degraded performance service services team teams minutes hours further now
    seeing seen impacted observed applied
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# How a responder narrates an incident (when it began, how sure they are), which two incidents
# share without sharing a failure: "seems to have started around 14:00". Only the explanation
# drops them (``matched_terms``); ranking and ``terms`` keep them. Held here, not taken from a
# maintained list: scikit-learn's (a transitive dependency, 1.2 s to import) drops words that tell
# an incident ("fire", "system", "down", "empty", "full") and, like Lucene's and Snowball's,
# keeps narration ("started", "began", "noticed").
_FILLER_TEXT = """
    seems seem seemed seeming appears appear appeared apparently likely probably perhaps maybe
    possibly around approximately roughly since ago started starting began begun beginning
    happened happening happens occurred occurring noticed noticing saw got getting
    today yesterday earlier later morning afternoon evening tonight already again like think
"""
_FILLER = frozenset(_FILLER_TEXT.split())


def terms(text: str) -> list[str]:
    """Return the distinct content terms of ``text``, lower-cased, in order of first appearance."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower()):
        if len(token) > 1 and token not in STOP_WORDS and not token.isdigit():
            seen.setdefault(token, None)
    return list(seen)


def matched_terms(query_terms: Iterable[str], candidate_text: str, limit: int = 12) -> tuple[str, ...]:
    """Return the query terms that also occur in ``candidate_text``, in query order.

    Narration both texts use ("seems", "started", "around") is left out: it tells a responder
    nothing the two incidents have in common.

    Args:
        query_terms: The query's terms (from ``terms``).
        candidate_text: The past incident's text.
        limit: At most this many terms.
    """
    present = set(terms(candidate_text))
    return tuple(t for t in query_terms if t in present and t not in _FILLER)[:limit]
