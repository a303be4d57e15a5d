"""The API on the sample export, with one token of each kind, on either store.

``api`` builds the app on ``embedded_store`` by default; a test module parametrises it over both
stores with ``pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)``.
The hashing embedder stands in for the model (ranking quality is tested in tests/retrieval).
A test that only reads takes ``read_api`` instead: the same map and tokens, imported once per
store for the session rather than per test (seconds each on Neo4j); ``api`` stays fresh per test.

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
from precedent.sources.synthetic import generate
from tests.ingest.org import write_export
from tests.support.neo4j_server import Neo4jServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from litestar import Litestar

    from precedent.store import GraphStore
    from tests.api.generated_org import GeneratedMap, GeneratedMaps


@dataclass(frozen=True)
class Tokens:
    """The secrets of the tokens the ``api`` fixture issued."""

    read: str
    private: str
    write: str
    admin: str
    revoked: str
    expired: str
    metrics: str


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
    """The store under the app: embedded unless a test parametrises ``api_store`` indirectly.

    Under ``org_api`` (``read_api``) it is that store holding the generated organisation (the
    sample export), shared by the tests that use it and only read (see ``generated_org``);
    otherwise a fresh, empty store for the test.
    """
    name = getattr(request, "param", "embedded_store")
    if name == "neo4j_store":
        request.applymarker(pytest.mark.neo4j)
    for api_fixture, shared_map in SHARED_MAPS.items():
        if api_fixture in request.fixturenames:
            request.node.stash[SHARED_STORE_NAME] = name
            if name == "neo4j_store":
                request.node.stash[SHARED_NEO4J] = request.getfixturevalue("neo4j")
            return request.getfixturevalue(shared_map).store  # type: ignore[no-any-return]
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# The read-only API fixtures whose map is imported once per store, and the fixture holding it.
SHARED_MAPS = {"org_api": "generated_map", "read_api": "sample_map"}
# Which store ``api_store`` chose for such a test, read by ``generated_map`` and ``sample_map``.
SHARED_STORE_NAME = pytest.StashKey[str]()
SHARED_NEO4J = pytest.StashKey[Neo4jServer]()


@pytest.fixture(scope="session")
def generated_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    """The generated export and the minute its history ends at (generated once per session)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    root = tmp_path_factory.mktemp("generated-org")
    generate(root / "export", incidents=40, seed=3, end_at=now)
    return root / "export", now


@pytest.fixture(scope="session")
async def generated_maps(
    tmp_path_factory: pytest.TempPathFactory, generated_export: tuple[Path, datetime]
) -> AsyncIterator[GeneratedMaps]:
    """The generated organisation imported once per store for the session (``org_api``'s stores)."""
    from tests.api.generated_org import GeneratedMaps

    maps = GeneratedMaps(generated_export[0], tmp_path_factory.mktemp("generated-maps"))
    yield maps
    await maps.close()


@pytest.fixture
async def generated_map(request: pytest.FixtureRequest, generated_maps: GeneratedMaps) -> GeneratedMap:
    """The shared generated map on the store ``api_store`` chose, as it was imported."""
    stash = request.node.stash
    name = stash.get(SHARED_STORE_NAME, "embedded_store")
    return await generated_maps.get(name, stash.get(SHARED_NEO4J, None))


@pytest.fixture(scope="session")
async def sample_maps(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[GeneratedMaps]:
    """The sample export imported once per store for the session (``read_api``'s stores)."""
    from tests.api.generated_org import GeneratedMaps

    root = tmp_path_factory.mktemp("sample-maps")
    maps = GeneratedMaps(write_export(root / "export"), root)
    yield maps
    await maps.close()


@pytest.fixture
async def sample_map(request: pytest.FixtureRequest, sample_maps: GeneratedMaps) -> GeneratedMap:
    """The shared sample map on the store ``api_store`` chose, as it was imported."""
    stash = request.node.stash
    name = stash.get(SHARED_STORE_NAME, "embedded_store")
    return await sample_maps.get(name, stash.get(SHARED_NEO4J, None))


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
    metrics = await registry.create(["metrics"], name="scraper")
    issued = (read, private, write, admin, revoked, expired, metrics)
    return Tokens(*(token.secret for token in issued))


@pytest.fixture
async def api(tmp_path: Path, api_store: GraphStore, api_settings: Settings) -> AsyncIterator[Api]:
    embedder = HashEmbedder(dimensions=384)
    await import_export(write_export(tmp_path / "export"), Loader(api_store, embedder))
    tokens = await issue_tokens(api_store)
    app = create_app(api_settings, store=api_store, embedder=embedder)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, api_store, tokens)


@pytest.fixture
async def read_api(
    api_store: GraphStore, api_settings: Settings, sample_map: GeneratedMap
) -> AsyncIterator[Api]:
    """``api`` for tests that only read: the same map and tokens, imported once per store.

    A test that writes (or revokes a token) uses ``api``, which imports into a fresh store.
    """
    app = create_app(api_settings, store=api_store, embedder=HashEmbedder(dimensions=384))
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, api_store, sample_map.tokens)


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


@asynccontextmanager
async def serving(store: GraphStore, data_dir: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Tokens]]:
    """The app running on an opened ``store`` (a test's own, failing on purpose), its client and tokens.

    The caller opens and closes the store: the app only uses it.
    """
    tokens = await issue_tokens(store)
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=384))
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client, tokens
