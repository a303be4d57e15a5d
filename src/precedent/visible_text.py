"""Free text shown to a reader with its bidirectional controls made visible, not obeyed.

A change's version, an incident's name or a summary comes from CI, incident.io or a ``write``
token, and may hold U+202E (RIGHT-TO-LEFT OVERRIDE) or its kin: shown as they are, they reorder
what follows them, so ``v1.0<U+202E>1.2v`` reads as ``v1.0v2.1``, a version never deployed (the
"Trojan Source" spoof, CVE-2021-42574). Neutralised where text is shown (the pages, the terminal),
not refused where it arrives: it arrives by several doors (sync, webhooks, POST /v1/changes, the
CLI), the stored text stays what its source said, and a right-to-left name is no attack.
"""

from __future__ import annotations

__all__ = ["BIDI_CONTROLS", "visible_controls"]

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The Unicode bidirectional formatting characters (marks, embeddings, overrides, isolates)."""

_SHOWN = {ord(c): f"[U+{ord(c):04X}]" for c in BIDI_CONTROLS}


def visible_controls(text: str) -> str:
    """``text`` with each bidirectional control replaced by its code point, as ``[U+202E]``."""
    return text.translate(_SHOWN)
