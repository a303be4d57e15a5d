"""Who is asking: the request's ``Viewer``, resolved once at the edge and handed to every handler."""

from __future__ import annotations

from typing import Any

from litestar import Request

from precedent.model import PUBLIC_VIEWER, Viewer

__all__ = ["provide_viewer"]


def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """The request's viewer: public incidents only until the caller proves it may see more."""
    return PUBLIC_VIEWER
