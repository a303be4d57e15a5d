"""The MCP server: Precedent's read-only tools and resources on one ``MCPServer``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import ValidationError

from precedent import __version__
from precedent.mcp.arguments import (
    argument_errors,
    mistyped_arguments,
    nulls_left_out,
    unknown_arguments,
)
from precedent.mcp.resources import register_resources
from precedent.mcp.state import ToolState
from precedent.mcp.tools_incidents import register_incident_tools
from precedent.mcp.tools_map import register_map_tools

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mcp.server.lowlevel.helper_types import ReadResourceContents
    from mcp.types import CallToolResult, InputRequiredResult
    from pydantic import AnyUrl

    from precedent.model import Viewer
    from precedent.runtime import Runtime

__all__ = ["INSTRUCTIONS", "PrecedentServer", "build_server"]

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
When an incident was just declared: if the map holds it (INC-123), one call to get_investigation
gives causes, similar incidents, owners, on-call, nearby changes and open follow-ups. If it does
not yet, call find_similar_incidents with `name`, `summary` and `services` (what the responders
wrote), then service_context for each affected service (owners, on-call, recent changes).
"""


class PrecedentServer(MCPServer):
    """An ``MCPServer`` whose argument errors say what to send, in the terms of the tool's schema.

    The SDK validates a call's arguments before the tool runs and raises ``ToolError`` with
    pydantic's text, the ``ValidationError`` as its cause (``Tool.run``); ``call_tool`` is where
    that surfaces, so it is rewritten here (see ``arguments``). The cause is kept, so the SDK
    still logs only the rejected fields' names.
    """

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tools = {tool.name: tool for tool in await self.list_tools()}
        tool = tools.get(name)
        if tool is None:
            raise ToolError(f"Unknown tool: {name}; the tools are {', '.join(sorted(tools))}")
        arguments = nulls_left_out(arguments, tool.input_schema)
        refused = unknown_arguments(name, arguments, tool.input_schema) or mistyped_arguments(
            arguments, tool.input_schema
        )
        if refused is not None:
            raise ToolError(f"Error executing tool {name}: {refused}")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            said = argument_errors(exc.__cause__, tool.input_schema)
            raise ToolError(f"Error executing tool {name}: {said}") from exc.__cause__

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        # "Unknown resource: precedent://nope" alone, where an unknown tool names the tools: the
        # agent had to list the resources to learn what it may read. (No templates: the
        # resources listed are all there are.)
        resources = sorted(str(r.uri) for r in await self.list_resources())
        if str(uri) not in resources:
            raise ResourceNotFoundError(f"Unknown resource: {uri}; the resources are {', '.join(resources)}")
        return await super().read_resource(uri, context)


def build_server(runtime: Callable[[], Runtime], *, viewer: Viewer) -> MCPServer:
    """Build the MCP server over an opened runtime.

    Args:
        runtime: Returns the process's opened runtime when a tool runs (the server never opens
            or closes it: ``precedent mcp`` or the HTTP app's lifespan does).
        viewer: Who to answer as when a request carries no viewer of its own (stdio).

    Returns:
        The server; run it with ``run_stdio_async()`` or mount it with ``http.mcp_http_app``.
    """
    server = PrecedentServer(
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
