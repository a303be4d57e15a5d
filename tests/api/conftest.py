"""The API on the sample export, with one token of each kind, on either store.

``api`` builds the app on ``embedded_store`` by default; a test module parametrises it over both
stores with ``pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)``.
The hashing embedder stands in for the model (ranking quality is tested in tests/retrieval).

The app runs on the test's own event loop (httpx's ASGI transport and the app's lifespan), not in
litestar's test-client thread: a Neo4j driver only works on the loop that opened it.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from tests.ingest.org import write_export

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from litestar import Litestar

    from precedent.store import GraphStore


@dataclass(frozen=True)
class Tokens:
    """The secrets of the tokens the ``api`` fixture issued."""

    read: str
    private: str
    write: str
    admin: str
    revoked: str
    expired: str


@dataclass
class Api:
    """A running app, its store and its tokens."""

    client: httpx.AsyncClient
    store: GraphStore
    tokens: Tokens

    def auth(self, secret: str) -> dict[str, str]:
        """Headers that present ``secret`` as a bearer token."""
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_store(request: pytest.FixtureRequest) -> GraphStore:
    """The store under the app: embedded unless a test parametrises ``api_store`` indirectly."""
    name = getattr(request, "param", "embedded_store")
    if name == "neo4j_store":
        request.applymarker(pytest.mark.neo4j)
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """The app's settings; a test may override this fixture (``metrics_public`` and the like)."""
    return Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]


async def issue_tokens(store: GraphStore) -> Tokens:
    """Issue one token per scope, a revoked one and one that expired an hour ago."""
    registry = TokenRegistry(store)
    read = await registry.create(["read"], name="reader")
    private = await registry.create(["read:private"], name="private-reader")
    write = await registry.create(["write"], name="writer")
    admin = await registry.create(["admin"], name="admin")
    revoked = await registry.create(["read"], name="revoked")
    await registry.revoke("revoked")
    past = datetime.now(UTC) - timedelta(days=2)
    expired = await TokenRegistry(store, clock=lambda: past).create(
        ["read"], name="expired", expires_at=past + timedelta(days=1)
    )
    return Tokens(read.secret, private.secret, write.secret, admin.secret, revoked.secret, expired.secret)


@pytest.fixture
async def api(tmp_path: Path, api_store: GraphStore, api_settings: Settings) -> AsyncIterator[Api]:
    embedder = HashEmbedder(dimensions=384)
    await import_export(write_export(tmp_path / "export"), Loader(api_store, embedder))
    tokens = await issue_tokens(api_store)
    app = create_app(api_settings, store=api_store, embedder=embedder)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, api_store, tokens)


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Hold the app's lifespan open in a task of its own on this loop.

    The lifespan's task group must be entered and left by one task, and a fixture's setup and
    teardown run in different ones, so a dedicated task holds it until told to stop.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # a start-up failure is raised here
    try:
        yield
    finally:
        stop.set()
        await task
