"""The MCP server: the knowledge map as read-only tools and resources for coding and chat agents.

``server.build_server`` registers the tools (``tools_incidents``, ``tools_map``) and resources
over a ``Runtime``; they return the same response models as the HTTP API (``precedent.responses``)
with a compact text rendering (``render``); arguments the SDK rejects are reworded from each tool's
input schema (``arguments``). ``precedent mcp`` runs it over stdio; ``http`` mounts
it in the HTTP API at ``/mcp``. Who a request answers as is decided at the edge (``viewing``).
"""

from precedent.mcp.http import McpHttpApp, mcp_http_app
from precedent.mcp.resources import SCHEMA_URI, SERVICES_URI
from precedent.mcp.server import INSTRUCTIONS, build_server
from precedent.mcp.viewing import VIEWER_SCOPE_KEY, viewer_of

__all__ = [
    "INSTRUCTIONS",
    "SCHEMA_URI",
    "SERVICES_URI",
    "VIEWER_SCOPE_KEY",
    "McpHttpApp",
    "build_server",
    "mcp_http_app",
    "viewer_of",
]
