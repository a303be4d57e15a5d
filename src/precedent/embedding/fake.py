"""A deterministic embedder for plumbing tests: hashed bag of words, no model, no I/O."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from precedent.embedding.base import WORD_TOKENS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.embedding.base import TokenCounter

__all__ = ["HashEmbedder"]

_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Embeds text as a normalised hashed bag of words: texts sharing words are close.

    Only for tests of plumbing; retrieval quality tests use the real model.
    """

    def __init__(self, dimensions: int = 384) -> None:
        self._dimensions = dimensions
        self.calls = 0
        self.texts_embedded = 0

    @property
    def name(self) -> str:
        return f"hash-{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def token_counter(self) -> TokenCounter:
        """Whitespace words, 254 per text (:data:`~precedent.embedding.base.WORD_TOKENS`)."""
        return WORD_TOKENS

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or ["<empty>"]:
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self._dimensions] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out
