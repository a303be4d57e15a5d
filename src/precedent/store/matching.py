"""One meaning of "equal, ignoring case and whitespace" for ``GraphStore.find_nodes``, on every store.

Python's ``str.strip`` and Cypher's ``trim`` disagree on what whitespace is (Cypher keeps a
no-break space), and neither collapses a doubled space: the same name matched on one store and
not on the other. Both stores now compare ``match_key`` forms; the Neo4j query builds the same form
in Cypher by splitting on ``WHITESPACE``.
"""

from __future__ import annotations

__all__ = ["WHITESPACE", "match_key"]

WHITESPACE = tuple(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character Python's ``str.split()`` splits on (``str.isspace``), for Cypher's ``split``."""


def match_key(value: str) -> str:
    """``value`` lower-cased (as Cypher's ``toLower``), its words joined by one space, no outer space."""
    return " ".join(value.lower().split())
