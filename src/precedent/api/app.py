"""The litestar application factory: owns the store, the model and the finder for the app's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from precedent import __version__
from precedent.api.errors import EXCEPTION_HANDLERS
from precedent.api.routes import ROUTES
from precedent.api.routes_retrieval import RETRIEVAL_ROUTES
from precedent.api.routes_webhooks import WEBHOOK_ROUTES
from precedent.bootstrap import build_incidentio_client, build_webhooks, open_runtime
from precedent.config import Settings
from precedent.embedding import Embedder
from precedent.errors import StoreUnavailable
from precedent.retrieval import SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog
from precedent.store import GraphStore
from precedent.webhooks import WebhookService

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]

log = logging.getLogger("precedent.api")


@dataclass(frozen=True)
class _Runtime:
    store: GraphStore
    embedder: Embedder
    finder: SimilarIncidentFinder
    catalog: Catalog
    webhooks: WebhookService


class _Holder:
    """Where the lifespan puts the runtime; providers read it per request."""

    runtime: _Runtime | None = None

    def get(self) -> _Runtime:
        if self.runtime is None:
            raise StoreUnavailable("the service is starting or stopping; retry in a few seconds")
        return self.runtime


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    embedder: Embedder | None = None,
    webhooks: WebhookService | None = None,
) -> Litestar:
    """Build the HTTP app.

    Args:
        settings: Read from the environment when omitted.
        store: An already opened store (tests); otherwise one is opened from settings at start-up
            and closed at shutdown.
        embedder: The embedder matching ``store`` (tests); otherwise the configured model.
        webhooks: A webhook service (tests); otherwise one is built from settings, with its
            inbox beside the store and a worker running in this process.
    """
    settings = settings or Settings()
    holder = _Holder()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if store is not None and embedder is not None:
            live_store, live_embedder, owned = store, embedder, False
        else:
            live_store, live_embedder = await open_runtime(settings)
            owned = True
        client = build_incidentio_client(settings) if webhooks is None else None
        live_webhooks = webhooks or build_webhooks(settings, live_store, live_embedder, client=client)
        await live_webhooks.start()
        # One finder and one catalog for the app's life: the model and the lookups load once.
        holder.runtime = _Runtime(
            live_store,
            live_embedder,
            SimilarIncidentFinder(live_store, live_embedder),
            Catalog(live_store),
            live_webhooks,
        )
        log.info("precedent api ready store=%s data_dir=%s", settings.store, settings.data_dir)
        try:
            yield
        finally:
            holder.runtime = None
            await live_webhooks.stop()
            if client is not None:
                await client.aclose()
            if owned:
                await live_store.close()

    def provide_store() -> GraphStore:
        return holder.get().store

    def provide_finder() -> SimilarIncidentFinder:
        return holder.get().finder

    def provide_catalog() -> Catalog:
        return holder.get().catalog

    def provide_webhooks() -> WebhookService:
        return holder.get().webhooks

    return Litestar(
        route_handlers=[*ROUTES, *RETRIEVAL_ROUTES, *WEBHOOK_ROUTES],
        lifespan=[lifespan],
        dependencies={
            "store": Provide(provide_store, sync_to_thread=False),
            "finder": Provide(provide_finder, sync_to_thread=False),
            "catalog": Provide(provide_catalog, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Precedent", version=__version__),
    )
