"""The composition root: turns ``Settings`` into live collaborators for the CLI and the app.

This is the only module (with ``config``) that knows which store backend was chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.embedding import CachedEmbedder, SentenceTransformerEmbedder

if TYPE_CHECKING:
    from precedent.config import Settings
    from precedent.embedding import Embedder
    from precedent.store import GraphStore

__all__ = ["build_embedder", "build_store", "open_runtime"]


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
