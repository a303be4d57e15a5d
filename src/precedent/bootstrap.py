"""The composition root: turns ``Settings`` into live collaborators for the CLI and the app.

This is the only module (with ``config``) that knows which store backend was chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.embedding import CachedEmbedder, SentenceTransformerEmbedder
from precedent.sources.incidentio import IncidentIoClient
from precedent.sources.incidentio.webhooks import WebhookVerifier, parse_secrets
from precedent.webhooks import (
    DeliveryProcessor,
    IncidentFetcher,
    IncidentWriter,
    StoreInvestigationCloser,
    WebhookService,
    no_investigation,
)

if TYPE_CHECKING:
    from precedent.config import Settings
    from precedent.embedding import Embedder
    from precedent.store import GraphStore, Inbox
    from precedent.webhooks import InvestigationBuilder

__all__ = [
    "build_embedder",
    "build_incidentio_client",
    "build_inbox",
    "build_store",
    "build_verifier",
    "build_webhooks",
    "open_runtime",
]


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """Return the configured model, not yet loaded."""
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embedding_batch_size)


def build_store(settings: Settings, *, dimensions: int | None) -> GraphStore:
    """Return the configured store, not yet opened.

    Args:
        settings: The settings read at the entry point.
        dimensions: The embedder's vector size, or ``None`` to keep the one the store was created with.
    """
    if settings.store == "neo4j":
        from precedent.store.neo4j import Neo4jStore

        password = settings.neo4j_password.get_secret_value()
        return Neo4jStore(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, password) if password else None,
            database=settings.neo4j_database,
            dimensions=dimensions,
            exact_search=settings.neo4j_exact_search,
        )
    from precedent.store.embedded import EmbeddedStore

    return EmbeddedStore(
        settings.data_dir / "graph", dimensions=dimensions, exact_search=settings.embedded_exact_search
    )


async def open_runtime(settings: Settings) -> tuple[GraphStore, Embedder]:
    """Load the embedding model, then open the store sized for its vectors.

    The returned embedder sits behind a persistent content-hash cache in the data directory, so
    text that was embedded once (by any earlier import or sync) is never embedded again.
    """
    model = build_embedder(settings)
    await model.load()
    embedder = CachedEmbedder(model, settings.data_dir / "embedding-cache.sqlite")
    store = build_store(settings, dimensions=model.dimensions)
    await store.open()
    return store, embedder


def build_inbox(settings: Settings) -> Inbox:
    """Return the webhook inbox beside the configured store, not yet opened."""
    if settings.store == "neo4j":
        from precedent.store.neo4j import Neo4jInbox

        password = settings.neo4j_password.get_secret_value()
        return Neo4jInbox(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, password) if password else None,
            database=settings.neo4j_database,
        )
    from precedent.store.embedded import SqliteInbox

    return SqliteInbox(settings.data_dir / "webhooks.sqlite")


def build_verifier(settings: Settings) -> WebhookVerifier | None:
    """The verifier for the configured signing secret(s), or ``None`` when there is none.

    Raises:
        ConfigError: if a configured secret is not a valid ``whsec_`` secret.
    """
    secret = settings.incidentio_webhook_secret
    secrets = parse_secrets(secret.get_secret_value()) if secret is not None else ()
    return WebhookVerifier(secrets) if secrets else None


def build_incidentio_client(settings: Settings) -> IncidentIoClient | None:
    """An incident.io client when an API key is configured (close it with ``aclose``)."""
    if settings.incidentio_api_key is None or not settings.incidentio_api_key.get_secret_value():
        return None
    return IncidentIoClient.create(
        settings.incidentio_api_key.get_secret_value(),
        base_url=settings.incidentio_base_url,
        requests_per_minute=settings.incidentio_requests_per_minute,
    )


def build_webhooks(
    settings: Settings,
    store: GraphStore,
    embedder: Embedder,
    *,
    build: InvestigationBuilder | None = None,
    client: IncidentIoClient | None = None,
    inbox: Inbox | None = None,
    run_worker: bool = True,
) -> WebhookService:
    """Wire the webhook service: inbox, verifier, and a worker writing into ``store``.

    Args:
        settings: The settings read at the entry point.
        store: The open map.
        embedder: Its embedder.
        build: The investigation builder (``precedent.investigation``), or nothing is built.
        client: An open incident.io client for re-fetching incidents, or ``None``.
        inbox: An inbox to use instead of the configured one (tests).
        run_worker: Whether this process works through the inbox.
    """
    processor = DeliveryProcessor(
        IncidentWriter(store, embedder),
        build or no_investigation,
        StoreInvestigationCloser(store),
        IncidentFetcher(client) if client is not None else None,
    )
    return WebhookService(
        inbox or build_inbox(settings), build_verifier(settings), processor, run_worker=run_worker
    )
