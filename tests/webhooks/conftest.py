"""Webhook fixtures: a store with its matching inbox (both backends), a recording builder, the app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.model import Edge, Node
from precedent.sources.incidentio.webhooks import WebhookVerifier
from precedent.store.embedded import SqliteInbox
from precedent.store.neo4j import Neo4jInbox
from precedent.webhooks import (
    AckPriority,
    DeliveryProcessor,
    IncidentFetcher,
    IncidentWriter,
    StoreInvestigationCloser,
    WebhookService,
    WorkerOptions,
)
from tests.webhooks.signing import SECRET

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.sources.incidentio import IncidentIoClient
    from precedent.store import GraphStore, Inbox
    from tests.support.neo4j_server import Neo4jServer


def investigation_id(incident_id: str) -> str:
    """The id the recording builder gives an incident's investigation."""
    return f"inv:{incident_id}"


FAST = WorkerOptions(backoff=(0.0,), max_attempts=3, poll_interval=0.05)


@dataclass
class RecordingBuilder:
    """Stands in for ``build_investigation``: records calls and writes an open Investigation node."""

    store: GraphStore
    calls: list[str] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, incident_id: str) -> str | None:
        self.calls.append(incident_id)
        if self.fail:
            raise RuntimeError("the builder broke")
        node = Node(
            investigation_id(incident_id),
            "Investigation",
            {"incident_id": incident_id, "status": "open", "trigger": "webhook"},
            occurred_at=datetime.now(UTC),
        )
        await self.store.upsert_nodes([node])
        await self.store.upsert_edges([Edge(node.id, "INVESTIGATES", incident_id)])
        return node.id


@dataclass
class Backend:
    """A store, an inbox on the same backend, and a clean way to make a service over them."""

    name: str
    store: GraphStore
    inbox_factory: object
    embedder: HashEmbedder = field(default_factory=lambda: HashEmbedder(dimensions=384))

    def inbox(self) -> Inbox:
        return self.inbox_factory()  # type: ignore[operator,no-any-return]

    def service(
        self,
        builder: RecordingBuilder,
        *,
        secrets: tuple[str, ...] = (SECRET,),
        client: IncidentIoClient | None = None,
        inbox: Inbox | None = None,
        run_worker: bool = False,
        options: WorkerOptions = FAST,
        priority: AckPriority | None = None,
    ) -> WebhookService:
        priority = priority or AckPriority()
        processor = DeliveryProcessor(
            IncidentWriter(self.store, self.embedder),
            builder,
            StoreInvestigationCloser(self.store),
            IncidentFetcher(client) if client is not None else None,
            pause=priority.turn,
        )
        verifier = WebhookVerifier(secrets) if secrets else None
        return WebhookService(
            inbox or self.inbox(), verifier, processor, options, run_worker=run_worker, priority=priority
        )


@pytest.fixture
async def embedded_backend(embedded_store: GraphStore, tmp_path: Path) -> Backend:
    return Backend("embedded", embedded_store, lambda: SqliteInbox(tmp_path / "webhooks.sqlite"))


@pytest.fixture
async def neo4j_backend(neo4j_store: GraphStore, neo4j: Neo4jServer) -> Backend:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    # Workers here run on clocks the tests move by hand: leases on them, as the SQLite inbox's.
    return Backend(
        "neo4j",
        neo4j_store,
        lambda: Neo4jInbox(neo4j.uri, auth=auth, database="neo4j", lease_clock="caller"),
    )


@pytest.fixture(params=["embedded_backend", "neo4j_backend"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs on the embedded store (SQLite inbox) and on Neo4j."""
    if request.param == "neo4j_backend":
        request.applymarker(pytest.mark.neo4j)
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def builder(backend: Backend) -> RecordingBuilder:
    return RecordingBuilder(backend.store)


async def app_client(
    backend: Backend, service: WebhookService, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test's own event loop (litestar's test client runs it on another, where the
    Neo4j driver opened here cannot be used), with its lifespan run around the requests."""
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=backend.store, embedder=backend.embedder, webhooks=service)
    started, stopping = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        # Entered and left in one task: the lifespan's cancel scopes require it, and fixture
        # setup and teardown run in different tasks.
        async with app.lifespan():
            started.set()
            await stopping.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait([holder, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        holder.result()
    try:
        transport = httpx.ASGITransport(app=app)
        # An admin token, so the delivery routes answer; the receiver itself ignores it.
        token = (await TokenRegistry(backend.store).create(["admin"])).secret
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client
    finally:
        stopping.set()
        await holder


@pytest.fixture
async def service(backend: Backend, builder: RecordingBuilder) -> WebhookService:
    return backend.service(builder)


@pytest.fixture
async def client(
    backend: Backend, service: WebhookService, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async for test_client in app_client(backend, service, tmp_path):
        yield test_client
