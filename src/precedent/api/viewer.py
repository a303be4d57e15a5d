"""Who is asking: the request's ``Viewer``, resolved once at the edge and handed to every handler."""

from __future__ import annotations

from typing import Any

from litestar import Request

from precedent.auth import ApiToken
from precedent.model import PUBLIC_VIEWER, Viewer

__all__ = ["provide_viewer"]


def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """The ``viewer`` dependency: what the calling token may see.

    Args:
        request: The current request; its ``user`` is the token ``BearerAuthMiddleware`` accepted.

    Returns:
        The token's viewer (private incidents only with ``read:private`` or ``admin``), or
        ``PUBLIC_VIEWER`` on a route open without a token.
    """
    token = request.scope.get("user")
    return token.viewer() if isinstance(token, ApiToken) else PUBLIC_VIEWER
