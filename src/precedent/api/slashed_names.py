"""A name holding "/" in an API path (``payments/api`` as ``payments%2Fapi``), routed as one segment.

The server decodes the path before routing, so the escaped "/" of a catalog entry's name became a
separator and ``/v1/services/payments%2Fapi/incidents`` matched no route. Litestar's ``path``
parameters take every remaining segment, so a name-addressed route with a suffix (``/owners``,
``/members``) cannot use one. Instead ``KeepEscapedSlashes`` routes such a request on its raw
path, each segment decoded but for its "/" and "%", and ``UnescapePathParameters`` then decodes
the parameters the route took. A request whose raw path holds no ``%2F`` is left as it came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["KeepEscapedSlashes", "UnescapePathParameters"]

_ESCAPED_SLASH = "%2f"
# Set in the request's state when its path was rewritten, so only those parameters are decoded.
_REWRITTEN = "precedent.escaped_slashes"


def _raw_path(scope: Scope) -> str | None:
    """The raw path when it holds an escaped "/" (some clients' ``raw_path`` holds the query too)."""
    if scope["type"] not in (ScopeType.HTTP, ScopeType.WEBSOCKET):
        return None
    raw = scope.get("raw_path")
    if not raw:
        return None
    try:
        path = raw.decode("ascii").partition("?")[0]
    except UnicodeDecodeError:
        return None
    return path if _ESCAPED_SLASH in path.lower() else None


def _segment(raw: str) -> str:
    # Decoded as the server decodes it, but for "%" and "/": then every "%" left starts %25 or %2F,
    # so unquote gives the name back exactly.
    return unquote(raw).replace("%", "%25").replace("/", "%2F")


class KeepEscapedSlashes:
    """Route a request whose path holds ``%2F`` with that "/" kept inside its segment."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``, the application's router (with its exception handling)."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the path routing reads, when the raw path it was decoded from is the same path."""
        raw = _raw_path(scope)
        # A proxy's root path or a server decoding otherwise: the two differ, leave the path alone.
        if raw is not None and unquote(raw) == scope["path"]:
            scope["path"] = "/".join(_segment(part) for part in raw.split("/"))
            scope.setdefault("state", {})[_REWRITTEN] = True
        await self.app(scope, receive, send)


class UnescapePathParameters:
    """Decode the path parameters of a request ``KeepEscapedSlashes`` routed (``payments%2Fapi``)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``, the rest of the route's middleware stack."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Decode each string parameter the router took from the rewritten path."""
        if scope.get("state", {}).get(_REWRITTEN):
            scope["path_params"] = {
                name: unquote(value) if isinstance(value, str) else value
                for name, value in scope["path_params"].items()
            }
        await self.app(scope, receive, send)
