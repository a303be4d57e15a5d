"""The MCP server over streamable HTTP: mounted in the API at /mcp, and the per-request viewer.

Served by uvicorn on loopback and reached with the SDK's own client, as an agent would.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
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
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from tests.api.conftest import Tokens, issue_tokens
from tests.mcp.test_tools import TOOLS
from tests.support.webhook_services import receiver_only

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


@dataclass(frozen=True)
class Served:
    """The running app's URL and the secrets of the tokens issued for it."""

    url: str
    tokens: Tokens

    @contextlib.asynccontextmanager
    async def client(self, secret: str | None) -> AsyncIterator[Client]:
        """The SDK's client for /mcp, presenting ``secret`` as a bearer token."""
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{self.url}/mcp", http_client=http)) as client,
        ):
            yield client


@pytest.fixture(scope="module")
async def served(org: Org) -> AsyncIterator[Served]:
    """`precedent serve`'s app (the MCP server at /mcp) over the generated organisation, once a module
    (the tokens it issues are stored in the map)."""
    store = EmbeddedStore(org.data_dir / "graph", dimensions=384)
    await store.open()
    try:
        tokens = await issue_tokens(store)
        settings = Settings(data_dir=org.data_dir, _env_file=None)  # type: ignore[call-arg]
        embedder = HashEmbedder(384)
        # No webhook worker: held for the module, it would run under each of its tests.
        webhooks = receiver_only(SqliteInbox(org.data_dir / "webhooks.sqlite"), store, embedder)
        app = create_app(settings, store=store, embedder=embedder, webhooks=webhooks)
        async with serving(app) as url:
            yield Served(url, tokens)
    finally:
        await store.close()


async def test_every_tool_through_the_api_mount(served: Served, org: Org) -> None:
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
    async with served.client(served.tokens.read) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        results = {tool: await client.call_tool(tool, arguments) for tool, arguments in calls.items()}
        private = await client.call_tool("get_incident", {"incident": org.private.id})
        malformed = await client.call_tool("search", {"query": "x", "mode": "psychic"})
    for tool, result in results.items():
        assert not result.is_error, (tool, result.content)
        assert result.structured_content, tool
    assert results["get_incident"].structured_content["incident"]["id"] == org.public.id
    # A read token's viewer sees public incidents only: the private one is not found.
    assert private.is_error
    assert "not found" in private.content[0].text  # type: ignore[union-attr]
    assert malformed.is_error
    assert "mode" in malformed.content[0].text  # type: ignore[union-attr]


async def test_a_read_private_token_sees_private_incidents(served: Served, org: Org) -> None:
    async with served.client(served.tokens.private) as client:
        result = await client.call_tool("get_incident", {"incident": org.private.id})
        found = await client.call_tool("search", {"query": str(org.private.properties["name"]), "limit": 50})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["incident"]["visibility"] == "private"
    assert org.private.id in str(found.structured_content)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        ("prec_not-a-real-token", 401),
        ("revoked", 401),
        ("expired", 401),
        ("write", 403),
        ("metrics", 403),
    ],
)
async def test_the_mount_refuses_callers_without_a_read_token(
    served: Served, token: str | None, status: int
) -> None:
    secret = getattr(served.tokens, token, token) if token else None
    headers = {"Accept": "application/json, text/event-stream"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    async with httpx2.AsyncClient(base_url=served.url) as http:
        response = await http.post("/mcp", json=INITIALIZE, headers=headers)
        assert (await http.get("/health")).json() == {"status": "ok"}
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


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
