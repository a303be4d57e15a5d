"""The litestar application factory: owns the store and the embedder for the app's lifetime."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from precedent import __version__
from precedent.api.errors import EXCEPTION_HANDLERS
from precedent.api.routes import ROUTES
from precedent.bootstrap import open_runtime
from precedent.config import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from precedent.embedding import Embedder
    from precedent.store import GraphStore

__all__ = ["create_app"]

log = logging.getLogger("precedent.api")


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    embedder: Embedder | None = None,
) -> Litestar:
    """Build the HTTP app.

    Args:
        settings: Read from the environment when omitted.
        store: An already opened store (tests); otherwise one is opened from settings at start-up.
        embedder: An embedder (tests); otherwise the configured model is loaded at start-up.
    """
    settings = settings or Settings()
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = store is None or embedder is None
        if owned:
            state["store"], state["embedder"] = await open_runtime(settings)
        else:
            state["store"], state["embedder"] = store, embedder
        log.info("precedent api ready store=%s data_dir=%s", settings.store, settings.data_dir)
        try:
            yield
        finally:
            if owned:
                opened: GraphStore = state["store"]  # type: ignore[assignment]
                await opened.close()

    def provide_store() -> GraphStore:
        return state["store"]  # type: ignore[return-value]

    def provide_embedder() -> Embedder:
        return state["embedder"]  # type: ignore[return-value]

    return Litestar(
        route_handlers=ROUTES,
        lifespan=[lifespan],
        dependencies={
            "store": Provide(provide_store, sync_to_thread=False),
            "embedder": Provide(provide_embedder, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Precedent", version=__version__),
    )
