"""The ``Embedder`` seam used by ingest (to embed text) and retrieval (to embed queries).

An embedder also says how its model measures text (:class:`TokenCounter`), so ingest can size
what it embeds to what the model reads instead of letting the model cut the tail silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np
    import numpy.typing as npt

__all__ = ["WORD_TOKENS", "Embedder", "TokenCounter"]


@dataclass(frozen=True)
class TokenCounter:
    """How one model measures text.

    Attributes:
        max_tokens: The most tokens of one text the model reads, its special tokens (``[CLS]``,
            ``[SEP]``) already set aside; anything longer is cut before it is embedded.
        count_tokens: Tokens each text becomes, special tokens excluded. Blocking: call it from
            a worker thread for many texts.
    """

    max_tokens: int
    count_tokens: Callable[[Sequence[str]], list[int]]

    def fits(self, text: str) -> bool:
        """Whether the model reads ``text`` whole."""
        return self.count_tokens([text])[0] <= self.max_tokens


_WORD = re.compile(r"\S+")


def _count_words(texts: Sequence[str]) -> list[int]:
    return [len(_WORD.findall(text)) for text in texts]


WORD_TOKENS = TokenCounter(max_tokens=254, count_tokens=_count_words)
"""One token per whitespace-separated word, 254 of them (all-MiniLM-L6-v2's 256 less its two
special tokens): the fake embedders' measure, and the default when no model is at hand. A real
tokenizer counts more tokens than words, so only a model's own counter guarantees a fit."""


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

    async def token_counter(self) -> TokenCounter:
        """How the model measures text (loading its tokenizer first if needed, never downloading)."""
