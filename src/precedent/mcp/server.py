"""The MCP server: Precedent's read-only tools and resources on one ``MCPServer``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer

from precedent import __version__
from precedent.mcp.resources import register_resources
from precedent.mcp.state import ToolState
from precedent.mcp.tools_incidents import register_incident_tools
from precedent.mcp.tools_map import register_map_tools

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.model import Viewer
    from precedent.runtime import Runtime

__all__ = ["INSTRUCTIONS", "build_server"]

INSTRUCTIONS = """\
Precedent is a knowledge map of production built from incident.io: incidents with their updates,
post-mortems and follow-ups, services with owners, on-call schedules and dependencies, and changes
(deploys, config). Use it while responding to an incident:
- find_similar_incidents: what is this like, and what fixed it last time;
- get_investigation: likely causes with evidence, owners, on-call and nearby changes;
- get_incident: one incident in full; service_context: who owns a service and what is around it;
- recent_changes: what changed; neighbourhood: what is linked to an incident or service;
- search: find incidents, post-mortems, follow-ups and services by words or meaning.
Read precedent://schema for what the labels and relationships mean, precedent://services for names.
Incidents are named by id or by reference (INC-123); services by id or name.
"""


def build_server(runtime: Callable[[], Runtime], *, viewer: Viewer) -> MCPServer:
    """Build the MCP server over an opened runtime.

    Args:
        runtime: Returns the process's opened runtime when a tool runs (the server never opens
            or closes it: ``precedent mcp`` or the HTTP app's lifespan does).
        viewer: Who to answer as when a request carries no viewer of its own (stdio).

    Returns:
        The server; run it with ``run_stdio_async()`` or mount it with ``http.mcp_http_app``.
    """
    server: MCPServer = MCPServer(
        name="precedent",
        title="Precedent",
        instructions=INSTRUCTIONS,
        version=__version__,
    )
    state = ToolState(runtime=runtime, default_viewer=viewer)
    register_incident_tools(server, state)
    register_map_tools(server, state)
    register_resources(server, state)
    return server
