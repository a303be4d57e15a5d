"""The MCP server mounted in the HTTP API at ``/mcp``, answering each request as its caller's viewer.

The viewer comes from the same ``provide_viewer`` the API's routes use, so whatever decides who a
caller is (the bearer token's scopes) decides it for MCP tools too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from litestar import Request
from litestar.handlers import asgi

from precedent.api.viewer import provide_viewer
from precedent.mcp import build_server, mcp_http_app
from precedent.model import PUBLIC_VIEWER

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from litestar.handlers import ASGIRouteHandler
    from litestar.types import Scope as LitestarScope
    from starlette.types import Receive, Scope, Send

    from precedent.model import Viewer
    from precedent.runtime import Runtime

__all__ = ["MCP_PATH", "McpMount", "mount_mcp"]

MCP_PATH = "/mcp"


@dataclass(frozen=True)
class McpMount:
    """The route to add to the app, and the lifespan to run it inside."""

    route: ASGIRouteHandler
    lifespan: Callable[[], AbstractAsyncContextManager[None]]


async def _viewer(scope: Scope) -> Viewer:
    # The MCP SDK speaks Starlette's ASGI types, litestar its own: the same dict at run time.
    request: Request[Any, Any, Any] = Request(cast("LitestarScope", scope))
    return provide_viewer(request)


def mount_mcp(runtime: Callable[[], Runtime]) -> McpMount:
    """Build the MCP server over the app's runtime and its ``/mcp`` route.

    Args:
        runtime: Returns the app's opened runtime (raises while the app starts or stops).
    """
    http = mcp_http_app(build_server(runtime, viewer=PUBLIC_VIEWER), _viewer)

    # copy_scope: the MCP app writes the viewer into its scope; the API's own scope stays as it was.
    @asgi(MCP_PATH, is_mount=True, copy_scope=True)
    async def mcp_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        """The MCP streamable HTTP endpoint (JSON-RPC over POST)."""
        await http.app(scope, receive, send)

    return McpMount(route=mcp_endpoint, lifespan=http.lifespan)
