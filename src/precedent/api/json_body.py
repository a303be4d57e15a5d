"""The request class of the app: a JSON body that is not UTF-8 is refused as malformed JSON.

Litestar's ``decode_json`` turns msgspec's ``DecodeError`` into a ``SerializationException`` (a
400 that ``api/errors.py`` words), but msgspec raises ``UnicodeDecodeError`` for a byte that is not
UTF-8 inside a string, which escaped as a 500 "unexpected error" on every route taking a body.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

__all__ = ["JsonBodyRequest"]


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
