"""A small generated organisation for the web pages' tests, imported once per session.

30 incidents (seed 3) ending now, with the hashing embedder standing in for the model (ranking
quality is tested in tests/retrieval), a token of each kind, and a stored investigation of the
newest public incident and of a private one. Handler tests run the app on the test's loop
through an ASGI client; the browser tests serve a copy of the same map with uvicorn.

Both run on the embedded store. ``pytest --web-store=neo4j tests/web`` runs them (the ``pages``
handler tests and ``test_browser``) on Neo4j instead, over the same map copied into the session's
Neo4j server, to find where a page reads differently there; tests that change a map of their own
(``copied_map``) and the phone tests' rough map stay embedded. ``test_pages_neo4j`` is the part
of it every run keeps.
"""

from __future__ import annotations

import json
import shutil
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.investigation import Collaborators, build_investigation, save
from precedent.model import OWNER_VIEWER
from precedent.retrieval import Catalog, IncidentQuery, SimilarIncidentFinder
from precedent.sources.synthetic import generate
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from precedent.store.neo4j import Neo4jStore
from tests.api.conftest import running
from tests.support.webhook_services import receiver_only

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.model import Node
    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

DIMENSIONS = 384


@dataclass(frozen=True)
class WebOrg:
    """The imported organisation, its tokens, and nodes picked for assertions."""

    root: Path
    data_dir: Path
    public: Node
    private: Node
    service: Node
    read_token: str
    private_token: str
    write_token: str
    public_investigation: str
    private_investigation: str

    @property
    def public_ref(self) -> str:
        return str(self.public.properties["reference"])

    @property
    def private_ref(self) -> str:
        return str(self.private.properties["reference"])

    @property
    def service_name(self) -> str:
        return str(self.service.properties["name"])


async def _pick(store: EmbeddedStore) -> tuple[Node, Node, Node]:
    incidents = [n async for n in store.scan_nodes(["Incident"])]
    public = max((n for n in incidents if n.visibility == "public"), key=lambda n: (n.occurred_at, n.id))
    private = max((n for n in incidents if n.visibility == "private"), key=lambda n: (n.occurred_at, n.id))
    # The service of the newest public incident: its page has incidents, owners and changes.
    linked = await store.neighbours(public.id)
    service = next(n for _, n in linked if n.label == "Service")
    return public, private, service


@pytest.fixture(scope="session")
async def web_org(tmp_path_factory: pytest.TempPathFactory) -> WebOrg:
    root = tmp_path_factory.mktemp("web-org")
    generate(root / "export", incidents=30, seed=3, end_at=datetime.now(UTC).replace(second=0, microsecond=0))
    data_dir = root / "data"
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        await import_export(root / "export", Loader(store, embedder))
        public, private, service = await _pick(store)
        tokens = TokenRegistry(store)
        read = await tokens.create(["read"], name="reader")
        private_reader = await tokens.create(["read:private"], name="private-reader")
        writer = await tokens.create(["write"], name="writer")
        catalog = Catalog(store)
        collaborators = Collaborators(store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog)
        built = []
        for incident in (public, private):
            investigation = await build_investigation(IncidentQuery(incident.id), collaborators, OWNER_VIEWER)
            await save(store, investigation, trigger="request")
            built.append(investigation.id)
    finally:
        await store.close()
    return WebOrg(
        root, data_dir, public, private, service, read.secret, private_reader.secret, writer.secret, *built
    )


def copy_map(org: WebOrg, name: str) -> Path:
    """A copy of the organisation's data directory (an embedded map has one writer at a time)."""
    target = org.root / name
    if not target.exists():
        shutil.copytree(org.data_dir, target)
    return target


@dataclass
class Pages:
    """The app on the test's loop and a cookie-keeping client."""

    client: httpx.AsyncClient
    org: WebOrg

    async def sign_in(self, token: str) -> httpx.Response:
        """Sign this client in through the form, as a browser does."""
        form = await self.client.get("/ui/sign-in")
        csrf = form.cookies.get("precedent_csrf") or self.client.cookies.get("precedent_csrf")
        return await self.client.post("/ui/sign-in", data={"token": token, "csrf": csrf, "next": "/ui/"})


# The meta value listing the API tokens' digests, and each token's record (``auth.tokens``).
_TOKEN_INDEX = "api_tokens"


async def copy_to_neo4j(org: WebOrg, server: Neo4jServer) -> int:
    """The organisation's map on ``server``, emptied first: its nodes, edges and tokens.

    The export is imported again (it writes the import's own meta values, which no read lists),
    then every node and edge of the embedded map is written over it: the investigations, with
    the ids the tests hold. The tokens are meta values too, copied by the index that lists them.

    Returns:
        How many nodes the server holds then (meta values included).
    """
    await server.empty()
    embedded = EmbeddedStore(org.data_dir / "graph", dimensions=DIMENSIONS)
    target = neo4j_store(server)
    await embedded.open()
    await target.open()
    try:
        await import_export(org.root / "export", Loader(target, HashEmbedder(dimensions=DIMENSIONS)))
        await target.upsert_nodes([n async for n in embedded.scan_nodes(with_embeddings=True)])
        await target.upsert_edges([e async for e in embedded.scan_edges()])
        index = await embedded.get_meta(_TOKEN_INDEX)
        assert index is not None
        for digest in json.loads(index):
            record = await embedded.get_meta(f"api_token:{digest}")
            assert record is not None
            await target.set_meta(f"api_token:{digest}", record)
        await target.set_meta(_TOKEN_INDEX, index)
    finally:
        await target.close()
        await embedded.close()
    return await _count(server)


async def _count(server: Neo4jServer) -> int:
    from neo4j import AsyncGraphDatabase

    async with AsyncGraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) AS n", database_="neo4j")
    return int(records[0]["n"])


def neo4j_store(server: Neo4jServer) -> Neo4jStore:
    return Neo4jStore(server.uri, auth=server.auth, database="neo4j", dimensions=DIMENSIONS)


@dataclass
class Neo4jMap:
    """The organisation's map copied into the session's Neo4j server (``--web-store=neo4j``)."""

    org: WebOrg
    server: Neo4jServer
    nodes: int = 0

    async def hold(self) -> None:
        """Copy the map in again if something emptied the server (another Neo4j test does)."""
        if await _count(self.server) < self.nodes or not self.nodes:
            self.nodes = await copy_to_neo4j(self.org, self.server)


@pytest.fixture(scope="session")
async def web_neo4j(request: pytest.FixtureRequest, web_org: WebOrg) -> Neo4jMap | None:
    """The organisation's map on Neo4j under ``--web-store=neo4j``, else ``None`` (embedded)."""
    if request.config.getoption("web_store", "embedded") != "neo4j":
        return None
    copied = Neo4jMap(web_org, request.getfixturevalue("neo4j"))
    await copied.hold()
    return copied


@pytest.fixture(scope="session")
async def web_app(web_org: WebOrg, web_neo4j: Neo4jMap | None) -> AsyncIterator[httpx.AsyncClient]:
    """The app over a copy of the organisation's map, for the whole session (clients are per test)."""
    data_dir = copy_map(web_org, "handler-data")
    store: GraphStore = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    if web_neo4j is not None:
        store = neo4j_store(web_neo4j.server)
    await store.open()
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    embedder = HashEmbedder(dimensions=DIMENSIONS)
    # No webhook worker: held for the session, it would run under every test that follows.
    webhooks = receiver_only(SqliteInbox(data_dir / "webhooks.sqlite"), store, embedder)
    app = create_app(settings, store=store, embedder=embedder, webhooks=webhooks)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await store.close()


@pytest.fixture
async def pages(
    web_app: httpx.AsyncClient, web_org: WebOrg, web_neo4j: Neo4jMap | None
) -> AsyncIterator[Pages]:
    """A fresh browser-like client (its own cookies) on the session's app."""
    if web_neo4j is not None:
        await web_neo4j.hold()
    async with httpx.AsyncClient(transport=web_app._transport, base_url="http://testserver") as client:
        yield Pages(client, web_org)


@asynccontextmanager
async def copied_map(org: WebOrg, name: str) -> AsyncIterator[tuple[Path, EmbeddedStore]]:
    """A copy of the organisation's map, opened, for a test that changes it."""
    data_dir = copy_map(org, name)
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        yield data_dir, store
    finally:
        await store.close()


@asynccontextmanager
async def signed_in_reader(
    org: WebOrg, data_dir: Path, store: EmbeddedStore, embedder: HashEmbedder
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as the organisation's reader, on an app over ``store`` (a copy of its map)."""
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=embedder)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await Pages(client, org).sign_in(org.read_token)
        yield client
