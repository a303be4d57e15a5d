"""The MCP server over streamable HTTP: mounted in the API at /mcp, and the per-request viewer.

Served by uvicorn on loopback and reached with the SDK's own client, as an agent would.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, Literal

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from precedent.api.app import create_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.mcp import build_server, mcp_http_app
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.store.embedded import EmbeddedStore
from tests.mcp.test_tools import TOOLS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from starlette.types import Scope

    from precedent.model import Viewer
    from precedent.runtime import Runtime
    from tests.mcp.conftest import Org


@contextlib.asynccontextmanager
async def serving(app: Any, *, lifespan: Literal["on", "off"] = "on") -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def api_url(org: Org) -> AsyncIterator[str]:
    """`precedent serve`'s app (the MCP server at /mcp) over the generated organisation."""
    store = EmbeddedStore(org.data_dir / "graph", dimensions=384)
    await store.open()
    app = create_app(Settings(data_dir=org.data_dir, _env_file=None), store=store, embedder=HashEmbedder(384))  # type: ignore[call-arg]
    try:
        async with serving(app) as url:
            yield url
    finally:
        await store.close()


async def test_every_tool_through_the_api_mount(api_url: str, org: Org) -> None:
    ref = str(org.public.properties["reference"])
    service = str(org.service.properties["name"])
    calls: dict[str, dict[str, Any]] = {
        "find_similar_incidents": {"name": "Elevated error rate", "services": [service], "limit": 3},
        "get_investigation": {"incident": ref},
        "get_incident": {"incident": ref},
        "service_context": {"service": service},
        "neighbourhood": {"service": service, "depth": 1},
        "search": {"query": "database", "limit": 5},
        "recent_changes": {"hours": 24 * 30, "limit": 5},
    }
    async with Client(f"{api_url}/mcp") as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        results = {tool: await client.call_tool(tool, arguments) for tool, arguments in calls.items()}
        private = await client.call_tool("get_incident", {"incident": org.private.id})
        malformed = await client.call_tool("search", {"query": "x", "mode": "psychic"})
    for tool, result in results.items():
        assert not result.is_error, (tool, result.content)
        assert result.structured_content, tool
    assert results["get_incident"].structured_content["incident"]["id"] == org.public.id
    # Without a token the mount answers as the public viewer.
    assert private.is_error
    assert "not found" in private.content[0].text  # type: ignore[union-attr]
    assert malformed.is_error
    assert "mode" in malformed.content[0].text  # type: ignore[union-attr]


async def test_the_api_routes_still_answer_beside_the_mount(api_url: str) -> None:
    async with httpx2.AsyncClient(base_url=api_url) as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
        refused = await http.post(
            "/mcp", content=b"not json-rpc", headers={"content-type": "application/json"}
        )
        assert 400 <= refused.status_code < 500


async def _by_header(scope: Scope) -> Viewer:
    headers = dict(scope["headers"])
    return OWNER_VIEWER if headers.get(b"x-test-viewer") == b"owner" else PUBLIC_VIEWER


async def test_each_request_answers_as_its_own_viewer(runtime: Runtime, org: Org, tmp_path: Path) -> None:
    http = mcp_http_app(build_server(lambda: runtime, viewer=PUBLIC_VIEWER), _by_header)
    seen: dict[str, bool] = {}
    async with http.lifespan(), serving(http.app, lifespan="off") as url:
        for who in ("owner", "public"):
            client = httpx2.AsyncClient(headers={"x-test-viewer": who})
            async with client, Client(streamable_http_client(f"{url}/mcp", http_client=client)) as mcp:
                result = await mcp.call_tool("get_incident", {"incident": org.private.id})
            seen[who] = not result.is_error
    assert seen == {"owner": True, "public": False}
