"""The request class of the app: a JSON body that is not UTF-8 is refused as malformed JSON.

Litestar's ``decode_json`` turns msgspec's ``DecodeError`` into a ``SerializationException`` (a
400 that ``api/errors.py`` words), but msgspec raises ``UnicodeDecodeError`` for a byte that is not
UTF-8 inside a string, which escaped as a 500 "unexpected error" on every route taking a body.
Half of a UTF-16 surrogate pair (``"\\ud800"``), which no string can hold, msgspec refuses as
"Input data was truncated" or "unexpected end of escaped utf-16 surrogate pair", in a body that is
whole: it is named here, with what to send instead. A clear 400, not the U+FFFD the incident.io
webhook takes it as: a caller of the API can fix what it sends; a sender of webhooks cannot.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

__all__ = ["JsonBodyRequest"]

# A \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or the latter not preceded by the former.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class JsonBodyRequest(Request[Any, Any, Any]):
    """Litestar's ``Request``, whose ``json()`` refuses a body that is not UTF-8 as it refuses bad JSON."""

    async def json(self) -> Any:
        """The decoded JSON body.

        Raises:
            SerializationException: for a body that is not JSON, or not UTF-8.
        """
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start : exc.start + 1].hex()
            said = f"JSON must be UTF-8, and byte 0x{bad} is not ({exc.reason})"
            raise SerializationException(said) from exc
        except SerializationException as exc:
            lone = _LONE_SURROGATE.search(await self.body())
            if lone is None:
                raise
            said = (
                f"the string escape {lone.group().decode()} is half of a UTF-16 surrogate pair, which is no "
                "character on its own: send the character itself in UTF-8, or both halves of its pair "
                "(e.g. \\ud83d\\ude00)"
            )
            raise SerializationException(said) from exc
