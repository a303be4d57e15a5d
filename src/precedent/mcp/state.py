"""What every tool needs: the process's runtime, who to answer as, and how to answer."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from precedent.mcp.viewing import viewer_of
from precedent.model import Viewer

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.runtime import Runtime

__all__ = ["ToolState", "answer"]


@dataclass(frozen=True)
class ToolState:
    """The tools' collaborators, fixed when the server is built.

    Attributes:
        runtime: Returns the process's opened runtime (the app's, over HTTP; the command's, over stdio).
        default_viewer: Who to answer as when the request carries no viewer (stdio).
    """

    runtime: "Callable[[], Runtime]"
    default_viewer: Viewer

    def viewer(self, ctx: Context) -> Viewer:
        """The viewer of the request ``ctx`` belongs to."""
        return viewer_of(ctx, self.default_viewer)


def answer(response: BaseModel, text: str) -> CallToolResult:
    """A tool result: ``response`` as structured content and ``text`` for agents that read text."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=response.model_dump(mode="json")
    )
