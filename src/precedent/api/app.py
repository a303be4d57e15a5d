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
from precedent.api.routes_investigations import INVESTIGATION_ROUTES
from precedent.api.routes_retrieval import RETRIEVAL_ROUTES
from precedent.bootstrap import open_runtime
from precedent.config import Settings
from precedent.embedding import Embedder
from precedent.errors import StoreUnavailable
from precedent.retrieval import SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog
from precedent.store import GraphStore

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
) -> Litestar:
    """Build the HTTP app.

    Args:
        settings: Read from the environment when omitted.
        store: An already opened store (tests); otherwise one is opened from settings at start-up
            and closed at shutdown.
        embedder: The embedder matching ``store`` (tests); otherwise the configured model.
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
        # One finder and one catalog for the app's life: the model and the lookups load once.
        holder.runtime = _Runtime(
            live_store, live_embedder, SimilarIncidentFinder(live_store, live_embedder), Catalog(live_store)
        )
        log.info("precedent api ready store=%s data_dir=%s", settings.store, settings.data_dir)
        try:
            yield
        finally:
            holder.runtime = None
            if owned:
                await live_store.close()

    def provide_store() -> GraphStore:
        return holder.get().store

    def provide_finder() -> SimilarIncidentFinder:
        return holder.get().finder

    def provide_catalog() -> Catalog:
        return holder.get().catalog

    return Litestar(
        route_handlers=[*ROUTES, *RETRIEVAL_ROUTES, *INVESTIGATION_ROUTES],
        lifespan=[lifespan],
        dependencies={
            "store": Provide(provide_store, sync_to_thread=False),
            "finder": Provide(provide_finder, sync_to_thread=False),
            "catalog": Provide(provide_catalog, sync_to_thread=False),
            "embedder": Provide(lambda: holder.get().embedder, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Precedent", version=__version__),
    )
