"""The litestar application factory: the app's lifespan owns one ``Runtime`` for its lifetime."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin

from precedent import __version__
from precedent.api.auth import (
    BEARER_COMPONENTS,
    BEARER_REQUIRED,
    PUBLIC_PATHS,
    TOKENS_STATE_KEY,
    BearerAuthMiddleware,
    require_scope,
)
from precedent.api.errors import EXCEPTION_HANDLERS
from precedent.api.json_body import JsonBodyRequest
from precedent.api.mcp_mount import mount_mcp
from precedent.api.observe import RequestObserver
from precedent.api.openapi import (
    TAGS,
    JsonSchemaPage,
    RedocSchemaPage,
    ResponseDataclassSchemaPlugin,
    StrictBodySchemaPlugin,
    SwaggerSchemaPage,
    YamlSchemaPage,
)
from precedent.api.query_guard import reject_unknown_query
from precedent.api.read_window import RequestReadWindow
from precedent.api.routes_graph import GRAPH_ROUTES
from precedent.api.routes_incidents import INCIDENT_ROUTES
from precedent.api.routes_investigations import INVESTIGATION_ROUTES
from precedent.api.routes_ops import OPS_ROUTES
from precedent.api.routes_retrieval import RETRIEVAL_ROUTES
from precedent.api.routes_services import SERVICE_ROUTES
from precedent.api.routes_stats import ADMIN_ROUTES, STATS_ROUTES
from precedent.api.routes_teams import TEAM_ROUTES
from precedent.api.routes_webhooks import WEBHOOK_ROUTES
from precedent.api.schema_assets import asset_url, schema_asset
from precedent.api.slashed_names import KeepEscapedSlashes, UnescapePathParameters
from precedent.api.viewer import provide_viewer
from precedent.api.whole_numbers import reject_unwhole_numbers
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import Embedder
from precedent.errors import PrecedentError, StoreUnavailable
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.runtime import Runtime, RuntimeOptions
from precedent.store import GraphStore
from precedent.web import template_config, web_router
from precedent.webhooks import WebhookService

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]

log = logging.getLogger("precedent.api")


class _Live:
    """Where the lifespan puts the entered runtime; providers read it per request."""

    runtime: Runtime | None = None
    tokens: TokenRegistry | None = None

    def get(self) -> Runtime:
        if self.runtime is None:
            raise StoreUnavailable(
                "the service is starting or stopping; retry in a few seconds", for_clients=True
            )
        return self.runtime

    def get_tokens(self) -> TokenRegistry:
        if self.tokens is None:
            raise StoreUnavailable(
                "the service is starting or stopping; retry in a few seconds", for_clients=True
            )
        return self.tokens


SCHEMA_PAGES: tuple[OpenAPIRenderPlugin, ...] = (
    JsonSchemaPage(),
    YamlSchemaPage(),
    # The interactive pages load their files from this service (schema_assets), never from a CDN:
    # a self-hosted machine often reaches none, and a CDN's script would run on the origin that
    # serves /ui. No favicon: Litestar's default is fetched from a CDN.
    RedocSchemaPage(
        js_url=asset_url("redoc.standalone.js"), google_fonts=False, favicon="", path=["/", "/redoc"]
    ),
    SwaggerSchemaPage(
        js_url=asset_url("swagger-ui-bundle.js"),
        css_url=asset_url("swagger-ui.css"),
        standalone_preset_js_url=asset_url("swagger-ui-standalone-preset.js"),
        favicon="",
        path="/swagger",
    ),
)


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    embedder: Embedder | None = None,
    webhooks: WebhookService | None = None,
    checked_before_model: bool = False,
) -> Litestar:
    """Build the HTTP app.

    Args:
        settings: Read from the environment when omitted.
        store: An already opened store (tests); otherwise one is opened from settings at start-up
            and closed at shutdown.
        embedder: The embedder matching ``store``'s vectors; required with ``store``.
        webhooks: A webhook service (tests); otherwise the runtime builds one from settings, with
            its inbox beside the store and a worker running in this process.
        checked_before_model: The caller made ``runtime.check_before_start``'s checks (``serve``
            does, once it has bound its port), so the start-up does not make them again.

    Raises:
        ConfigError: if ``store`` is given without its ``embedder``.
    """
    settings = settings or Settings()
    runtime = Runtime(
        store=store,
        embedder=embedder,
        settings=settings,
        options=RuntimeOptions(webhooks=True, service=True, checked_before_model=checked_before_model),
        webhooks=webhooks,
    )
    live = _Live()
    mcp = mount_mcp(live.get)
    # The pages under /ui sign browsers in with a session cookie instead of a bearer token.
    public_paths = [*PUBLIC_PATHS, "^/ui(/|$)", *(["^/metrics$"] if settings.metrics_public else [])]
    secure_cookies = (settings.public_url or "").lower().startswith("https://")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(runtime)
            except PrecedentError as exc:
                # The one line an operator reads: `precedent serve` leaves out the traceback
                # (cli/startup_failure.py); other servers print it after this line.
                log.error("precedent cannot start: %s", exc)
                raise
            await stack.enter_async_context(mcp.lifespan())
            live.runtime = runtime
            live.tokens = app.state[TOKENS_STATE_KEY] = TokenRegistry(runtime.store)
            log.info("precedent api ready store=%s %s", settings.store, settings.map_location())
            try:
                yield
            finally:
                live.runtime = live.tokens = None

    def provide_store() -> GraphStore:
        return live.get().store

    def provide_finder() -> SimilarIncidentFinder:
        return live.get().finder

    def provide_catalog() -> Catalog:
        return live.get().catalog

    def provide_webhooks() -> WebhookService:
        return live.get().webhooks

    app = Litestar(
        route_handlers=[
            *GRAPH_ROUTES,
            *RETRIEVAL_ROUTES,
            *INCIDENT_ROUTES,
            *STATS_ROUTES,
            *ADMIN_ROUTES,
            *WEBHOOK_ROUTES,
            *INVESTIGATION_ROUTES,
            *OPS_ROUTES,
            *SERVICE_ROUTES,
            *TEAM_ROUTES,
            mcp.route,
            schema_asset,
            web_router(live.get_tokens, secure_cookies=secure_cookies, public_url=settings.public_url),
        ],
        template_config=template_config(),
        lifespan=[lifespan],
        dependencies={
            "store": Provide(provide_store, sync_to_thread=False),
            "finder": Provide(provide_finder, sync_to_thread=False),
            "catalog": Provide(provide_catalog, sync_to_thread=False),
            # The runtime's one live on-call source, so its cache serves every request.
            "live_on_call": Provide(lambda: live.get().live_on_call, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
            # One set per process: live on-call's cache and the page links come with it.
            "collaborators": Provide(lambda: live.get().investigation_collaborators, sync_to_thread=False),
            "sync": Provide(lambda: live.get().sync, sync_to_thread=False),
            # /metrics answers while the service starts too: without a runtime it reads no record.
            "sync_if_open": Provide(
                lambda: live.runtime.sync if live.runtime else None, sync_to_thread=False
            ),
            "viewer": Provide(provide_viewer, sync_to_thread=False),
            "embedder": Provide(lambda: live.get().embedder, sync_to_thread=False),
        },
        # Outermost first: every response, refusals included, is timed and logged.
        middleware=[
            RequestObserver,
            UnescapePathParameters,
            DefineMiddleware(RequestReadWindow, seconds=settings.neo4j_request_retry_seconds),
            DefineMiddleware(BearerAuthMiddleware, exclude=public_paths),
        ],
        guards=[require_scope, reject_unknown_query, reject_unwhole_numbers],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=JsonBodyRequest,
        openapi_config=OpenAPIConfig(
            title="Precedent",
            version=__version__,
            components=BEARER_COMPONENTS,
            security=BEARER_REQUIRED,
            tags=list(TAGS),
            # Each handler's docstring says what it answers and which problems it gives, for callers.
            use_handler_docstrings=True,
            render_plugins=SCHEMA_PAGES,
        ),
        plugins=[StrictBodySchemaPlugin(), ResponseDataclassSchemaPlugin()],
        # Logging belongs to the entry point (text or JSON, secrets redacted); Litestar's default
        # would replace the root handlers with its own format when the app is built.
        logging_config=None,
    )
    # Litestar routes on the decoded path and runs no middleware before routing: the router's
    # own wrapper is the one place a name's escaped "/" can be kept in its segment.
    app.asgi_handler = KeepEscapedSlashes(app.asgi_handler)
    return app
