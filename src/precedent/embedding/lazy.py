"""An embedder that loads its model the first time a vector or the tokenizer is asked of it.

Loading the model takes seconds to half a minute; a reader that only looks things up (an unknown
incident, a service's owners, counts) never needs it, and should not wait for it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from precedent.errors import EmbeddingError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import numpy as np
    import numpy.typing as npt

    from precedent.embedding.base import Embedder, TokenCounter

__all__ = ["LazyEmbedder"]


class LazyEmbedder:
    """An ``Embedder`` whose model is loaded by ``load`` on first use, once.

    Args:
        name: The model's name, known before it loads (cache keys are made of it).
        load: Loads the model and returns it, ready to embed; called at most once (again only
            after a load that failed).
    """

    def __init__(self, name: str, load: Callable[[], Awaitable[Embedder]]) -> None:
        self._name = name
        self._load = load
        self._model: Embedder | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._model is not None

    @property
    def dimensions(self) -> int:
        if self._model is None:
            raise EmbeddingError(f"the embedding model {self._name!r} is not loaded yet: await load() first")
        return self._model.dimensions

    async def load(self) -> Embedder:
        """Load the model now (once), and return it.

        Raises:
            EmbeddingError: if the model cannot be loaded.
        """
        if self._model is not None:  # every embed passes here: no lock once loaded
            return self._model
        async with self._lock:
            if self._model is None:
                self._model = await self._load()
            return self._model

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return await (await self.load()).embed(texts)

    async def token_counter(self) -> TokenCounter:
        return await (await self.load()).token_counter()
