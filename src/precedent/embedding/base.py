"""The ``Embedder`` seam used by ingest (to embed text) and retrieval (to embed queries)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

__all__ = ["Embedder"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-normalised float32 vectors."""

    @property
    def name(self) -> str:
        """The model's name (part of every cache key)."""

    @property
    def dimensions(self) -> int:
        """The length of every vector."""

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return a ``(len(texts), dimensions)`` float32 matrix of unit-length rows."""
