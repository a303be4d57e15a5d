"""The MCP server over the streamable HTTP transport, as an ASGI app the HTTP API mounts at ``/mcp``.

Stateless and JSON-only: every request is answered on its own (no session to pin to a process,
no server-sent stream), which suits read-only tools behind a load balancer. The viewer is
resolved from each HTTP request (its bearer token) and handed to the tools through the ASGI
scope (``viewing.VIEWER_SCOPE_KEY``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp.server.transport_security import TransportSecuritySettings

from precedent.mcp.viewing import VIEWER_SCOPE_KEY

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from contextlib import AbstractAsyncContextManager

    from mcp.server.mcpserver import MCPServer
    from starlette.types import Receive, Scope, Send

    from precedent.model import Viewer

__all__ = ["McpHttpApp", "mcp_http_app"]


@dataclass(frozen=True)
class McpHttpApp:
    """The ASGI app to mount, and the lifespan its host must run it inside.

    Attributes:
        app: The ASGI app (any path under its mount point is the MCP endpoint).
        lifespan: Enter once for the host's lifetime (``async with mcp.lifespan():``); requests
            made outside it fail.
    """

    app: Callable[[Scope, Receive, Send], Awaitable[None]]
    lifespan: Callable[[], AbstractAsyncContextManager[None]]


def mcp_http_app(server: MCPServer, resolve_viewer: Callable[[Scope], Awaitable[Viewer]]) -> McpHttpApp:
    """Serve ``server`` over streamable HTTP, answering each request as ``resolve_viewer`` decides.

    Args:
        server: The MCP server (``server.build_server``); one ``McpHttpApp`` per server.
        resolve_viewer: Returns the viewer of an HTTP request from its ASGI scope (its headers);
            it may send no response itself, so an auth failure should raise before the app runs
            (the host's auth middleware) or resolve to the public viewer.

    Returns:
        The app and its lifespan.
    """
    # Builds the session manager; the Starlette app it returns routes one path, so mount the
    # manager's handler directly instead and let the host's router decide the path.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        # Host and Origin checks guard an unauthenticated server on localhost against DNS
        # rebinding; this one sits behind the API's bearer tokens on whatever host serves it.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope[VIEWER_SCOPE_KEY] = await resolve_viewer(scope)
        await manager.handle_request(scope, receive, send)

    return McpHttpApp(app=app, lifespan=manager.run)
