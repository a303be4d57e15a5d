"""`precedent mcp` as an MCP client starts it: a subprocess over stdio, loading the real model.

Each spawn costs the command's start-up (imports and the model), so one test per flag value does
everything an agent would: list the tools and resources, call each tool, send bad arguments.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp import Client, StdioServerParameters

from precedent.mcp import SCHEMA_URI
from tests.mcp.test_tools import TOOLS

if TYPE_CHECKING:
    from tests.mcp.conftest import Org

PRECEDENT = str(Path(sys.executable).with_name("precedent"))


def spawn(data_dir: Path, *flags: str) -> StdioServerParameters:
    """How an MCP client's configuration starts Precedent (see docs/mcp.md)."""
    return StdioServerParameters(
        command=PRECEDENT,
        args=["mcp", *flags],
        env={"PRECEDENT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "PRECEDENT_LOG_LEVEL": "WARNING"},
    )


def own_copy(org: Org, tmp_path: Path) -> Path:
    # The subprocess opens its own copy: the in-process tests may hold the original open.
    return Path(shutil.copytree(org.data_dir, tmp_path / "data"))


async def test_every_tool_over_stdio_as_a_public_viewer(org: Org, tmp_path: Path) -> None:
    ref = str(org.public.properties["reference"])
    private_ref = str(org.private.properties["reference"])
    service = str(org.service.properties["name"])
    calls: dict[str, dict[str, Any]] = {
        "find_similar_incidents": {"incident": ref, "limit": 3},
        "get_investigation": {"incident": ref},
        "get_incident": {"incident": ref},
        "service_context": {"service": service},
        "neighbourhood": {"incident": ref, "depth": 1},
        "search": {"query": str(org.public.properties["name"]), "kinds": ["incident"]},
        "recent_changes": {"service": service, "hours": 24 * 30},
    }
    async with Client(spawn(own_copy(org, tmp_path)), read_timeout_seconds=120) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        schema = await client.read_resource(SCHEMA_URI)
        results = {tool: await client.call_tool(tool, arguments) for tool, arguments in calls.items()}
        private = await client.call_tool("get_incident", {"incident": private_ref})
        malformed = await client.call_tool("neighbourhood", {"incident": ref, "depth": "deep"})
        still_up = await client.call_tool("get_incident", {"incident": ref})
    assert "**Incident**" in schema.contents[0].text  # type: ignore[union-attr]
    for tool, result in results.items():
        assert not result.is_error, (tool, result.content)
        assert result.structured_content, tool
        assert result.content[0].text, tool  # type: ignore[union-attr]
    assert results["get_incident"].structured_content["incident"]["id"] == org.public.id
    similar = results["find_similar_incidents"].structured_content["results"]
    assert 0 < len(similar) <= 3
    assert results["recent_changes"].structured_content["changes"]
    assert private.is_error
    assert "not found" in private.content[0].text  # type: ignore[union-attr]
    assert malformed.is_error
    assert "depth" in malformed.content[0].text  # type: ignore[union-attr]
    assert not still_up.is_error


async def test_include_private_shows_private_incidents(org: Org, tmp_path: Path) -> None:
    private_ref = str(org.private.properties["reference"])
    server = spawn(own_copy(org, tmp_path), "--include-private")
    async with Client(server, read_timeout_seconds=120) as client:
        result = await client.call_tool("get_incident", {"incident": private_ref})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["incident"]["id"] == org.private.id
