"""Text embeddings: the ``Embedder`` seam, the sentence-transformers model, a cache, loading on first
use, and a test fake."""

from precedent.embedding.base import WORD_TOKENS, Embedder, TokenCounter
from precedent.embedding.cache import CachedEmbedder, check_cache_writable, content_hash
from precedent.embedding.fake import HashEmbedder
from precedent.embedding.lazy import LazyEmbedder
from precedent.embedding.sentence_transformers import (
    DEFAULT_MODEL,
    SentenceTransformerEmbedder,
    resolve_model_path,
)

__all__ = [
    "DEFAULT_MODEL",
    "WORD_TOKENS",
    "CachedEmbedder",
    "Embedder",
    "HashEmbedder",
    "LazyEmbedder",
    "SentenceTransformerEmbedder",
    "TokenCounter",
    "check_cache_writable",
    "content_hash",
    "resolve_model_path",
]
