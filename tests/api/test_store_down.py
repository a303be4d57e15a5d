"""A request whose Neo4j server went down answers 503 after the request's short retry window.

The store is reached through a TCP relay the test closes, as a server that stops would: the
driver's connections break and new ones are refused, which the store retries as transient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from precedent.api.app import create_app
from precedent.api.errors import STORE_RETRY_AFTER_SECONDS
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.store.neo4j import Neo4jStore
from tests.api.conftest import issue_tokens, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.neo4j


class _Relay:
    """Forwards TCP connections to ``host:port`` until ``cut``, which breaks them all."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def relayed_store(neo4j: Neo4jServer) -> AsyncIterator[tuple[Neo4jStore, _Relay]]:
    await neo4j.empty()
    target = urlsplit(neo4j.uri)
    relay = _Relay(target.hostname or "127.0.0.1", target.port or 7687)
    await relay.start()
    store = Neo4jStore(f"bolt://127.0.0.1:{relay.port}", auth=neo4j.auth, database="neo4j", dimensions=384)
    await store.open()
    yield store, relay
    await store.close()


async def test_a_read_route_answers_503_with_retry_after_within_the_request_window(
    tmp_path: Path, relayed_store: tuple[Neo4jStore, _Relay], caplog: pytest.LogCaptureFixture
) -> None:
    store, relay = relayed_store
    tokens = await issue_tokens(store)
    # The store's own window is 30 s; the request's is a fraction of a second.
    settings = Settings(data_dir=tmp_path, neo4j_request_retry_seconds=0.3, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=384))
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {"Authorization": f"Bearer {tokens.read}"}
        assert (await client.get("/v1/incidents", headers=headers)).status_code == 200
        await relay.cut()
        loop = asyncio.get_running_loop()
        started = loop.time()
        caplog.set_level(logging.WARNING, logger="precedent.api")
        response = await client.get("/v1/incidents", headers=headers)
        waited = loop.time() - started
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(STORE_RETRY_AFTER_SECONDS)
    # Any token holder reads the answer: it says what to do, not where the server is or what
    # its driver said; the operator's log line has both, under the request's id.
    detail = response.json()["detail"]
    assert "retry" in detail
    assert "the operator should check the map's store" in detail
    address = f"127.0.0.1:{relay.port}"
    assert address not in detail
    assert "unreachable" not in detail
    assert "connect" not in detail.lower()
    # Only the refusal: the app's start-up line is captured too when an earlier test in this
    # worker left precedent.api at INFO.
    [line] = [
        r.getMessage() for r in caplog.records if r.name == "precedent.api" and r.levelno >= logging.WARNING
    ]
    assert f"request_id={response.headers['x-request-id']}" in line
    assert f"bolt://{address} is unreachable" in line
    assert "Check the server is running" in line
    # Not a benchmark: the store's own window would have held the request for 30 s.
    assert waited < 10
