"""A real ``precedent``-like HTTP process for crash tests and the webhook benchmark.

Serves the app with uvicorn on the embedded store (hashing embedder, no model) with webhooks
on, a signing secret from ``tests.webhooks.signing``, and a builder that writes an Investigation
node (so "the investigation appears" can be checked over HTTP). An admin token for reading the
API is written to ``DIR/token`` at each start. ``--no-worker`` acknowledges
without processing, so a delivery is left waiting in the inbox when the process is killed.
``--neo4j URI`` keeps the map and the inbox in that Neo4j server (no authentication) instead.
``--hold-build`` never returns from a build once its node is written (and logged): the process
is mid-investigation for as long as it runs. ``--lease-seconds N`` shortens the worker's lease.

    python -m tests.webhooks.serve_process --data-dir DIR --port PORT [--no-worker] [--bare] [--neo4j URI]
        [--hold-build] [--lease-seconds N]

``--bare`` serves a Litestar app whose only route answers 204 (the benchmark's baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from litestar import Litestar, post

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.model import Node
from precedent.sources.incidentio.webhooks import WebhookVerifier
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from precedent.store.neo4j import Neo4jInbox, Neo4jStore
from precedent.webhooks import (
    AckPriority,
    DeliveryProcessor,
    IncidentWriter,
    StoreInvestigationCloser,
    WebhookService,
    WorkerOptions,
)
from tests.webhooks.signing import SECRET

if TYPE_CHECKING:
    from precedent.store import GraphStore, Inbox


@post("/v1/webhooks/incident-io", status_code=204)
async def bare_endpoint() -> None:
    """Answers 204 and does nothing: the floor any receiver is measured against."""


def _map(data_dir: Path, neo4j: str | None) -> tuple[GraphStore, Inbox]:
    if neo4j is None:
        return EmbeddedStore(data_dir / "graph", dimensions=384), SqliteInbox(data_dir / "webhooks.sqlite")
    return (
        Neo4jStore(neo4j, auth=None, dimensions=384),
        Neo4jInbox(neo4j, auth=None, database="neo4j"),
    )


async def serve(
    data_dir: Path,
    port: int,
    *,
    worker: bool,
    bare: bool,
    neo4j: str | None = None,
    hold_build: bool = False,
    lease: float = 60.0,
) -> None:
    config_kwargs = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False}
    if bare:
        await uvicorn.Server(uvicorn.Config(Litestar([bare_endpoint]), **config_kwargs)).serve()  # type: ignore[arg-type]
        return
    embedder = HashEmbedder(dimensions=384)
    store, inbox = _map(data_dir, neo4j)
    await store.open()
    # An admin token for the tests' reads (deliveries, nodes), left beside the data for them.
    (data_dir / "token").write_text((await TokenRegistry(store).create(["admin"])).secret)

    async def build(incident_id: str) -> str:
        node = Node(
            f"inv:{incident_id}",
            "Investigation",
            {"incident_id": incident_id, "status": "open", "trigger": "webhook"},
            occurred_at=datetime.now(UTC),
        )
        await store.upsert_nodes([node])
        # One line per build, so a benchmark can count how often each incident was processed.
        with (data_dir / "builds.log").open("a", encoding="utf-8") as log:
            log.write(incident_id + "\n")
        if hold_build:
            await asyncio.Event().wait()
        return node.id

    priority = AckPriority()
    processor = DeliveryProcessor(
        IncidentWriter(store, embedder), build, StoreInvestigationCloser(store), pause=priority.turn
    )
    service = WebhookService(
        inbox,
        WebhookVerifier([SECRET]),
        processor,
        WorkerOptions(poll_interval=0.1, lease=timedelta(seconds=lease)),
        run_worker=worker,
        priority=priority,
    )
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=embedder, webhooks=service)
    try:
        await uvicorn.Server(uvicorn.Config(app, **config_kwargs)).serve()  # type: ignore[arg-type]
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-worker", dest="worker", action="store_false")
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--neo4j", help="bolt URI of a Neo4j server without authentication")
    parser.add_argument("--hold-build", action="store_true")
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run = serve(
        args.data_dir,
        args.port,
        worker=args.worker,
        bare=args.bare,
        neo4j=args.neo4j,
        hold_build=args.hold_build,
        lease=args.lease_seconds,
    )
    asyncio.run(run)


if __name__ == "__main__":
    main()
