"""Who an MCP request answers as: the operator's choice over stdio, the caller's token over HTTP.

Over HTTP the ASGI wrapper in ``http`` resolves the viewer once per request and leaves it in the
request's ASGI scope; each tool call reads it from there. A request without one (stdio, or an
HTTP app mounted without a resolver) answers as the server's default viewer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precedent.model import Viewer

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

__all__ = ["VIEWER_SCOPE_KEY", "viewer_of"]

VIEWER_SCOPE_KEY = "precedent.viewer"
"""The ASGI scope key the HTTP wrapper puts the request's ``Viewer`` under."""


def viewer_of(ctx: Context[Any, Any], default: Viewer) -> Viewer:
    """The viewer of the request ``ctx`` belongs to.

    Args:
        ctx: The tool call's context.
        default: Who to answer as when the transport carries no viewer (stdio).
    """
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        viewer = scope.get(VIEWER_SCOPE_KEY)
        if isinstance(viewer, Viewer):
            return viewer
    return default
