"""JSON from incident.io decoded into text every later step can store: lone surrogates made U+FFFD.

JSON may escape a UTF-16 surrogate on its own (``"\\ud800"``), and ``json.loads`` keeps it as a
``str`` that cannot be encoded as UTF-8. Nothing else refuses it: the webhook receiver would
acknowledge such a delivery, and its worker fail on every attempt (the Neo4j driver, the
tokenizer) until it was parked dead, the incident never mapped. incident.io's own encoder never
writes one (Go replaces what is not UTF-8 with U+FFFD), so this does what it would have done.
"""

from __future__ import annotations

import json
import re

__all__ = ["decode_json"]

# Any escape of a surrogate, paired or not (or an escaped backslash before "ud8"): only then can
# the decoded document hold a lone one, so the common body is decoded once and left as it is.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def decode_json(data: bytes) -> object:
    """``json.loads(data)``, with each lone surrogate in a string or key replaced by U+FFFD.

    Raises:
        ValueError: if ``data`` is not JSON.
        RecursionError: if it is nested too deeply to decode.
    """
    document = json.loads(data)
    if not _SURROGATE_ESCAPE.search(data):
        return document
    text = json.dumps(document, ensure_ascii=False)
    # Through UTF-16, where a surrogate pair is one character again and a lone one is an error.
    return json.loads(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
