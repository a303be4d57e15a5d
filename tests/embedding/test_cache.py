from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from precedent.embedding import CachedEmbedder, HashEmbedder

if TYPE_CHECKING:
    from pathlib import Path


async def test_unchanged_text_is_embedded_once() -> None:
    inner = HashEmbedder(dimensions=64)
    cached = CachedEmbedder(inner)

    first = await cached.embed(["db pool exhausted", "cache miss storm"])
    second = await cached.embed(["cache miss storm", "db pool exhausted", "new text"])

    assert inner.texts_embedded == 3
    np.testing.assert_array_equal(first[0], second[1])
    np.testing.assert_array_equal(first[1], second[0])
    assert (cached.hits, cached.misses) == (2, 3)


async def test_duplicates_in_one_call_are_embedded_once() -> None:
    inner = HashEmbedder(dimensions=16)
    cached = CachedEmbedder(inner)

    vectors = await cached.embed(["same", "same", "same"])

    assert inner.texts_embedded == 1
    assert vectors.shape == (3, 16)


async def test_cache_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    first = CachedEmbedder(HashEmbedder(dimensions=32), path)
    expected = await first.embed(["payments-api 502s after deploy"])
    first.close()

    inner = HashEmbedder(dimensions=32)
    second = CachedEmbedder(inner, path)
    again = await second.embed(["payments-api 502s after deploy"])
    second.close()

    assert inner.texts_embedded == 0
    np.testing.assert_array_equal(expected, again)


async def test_empty_input_gives_an_empty_matrix() -> None:
    vectors = await CachedEmbedder(HashEmbedder(dimensions=8)).embed([])
    assert vectors.shape == (0, 8)
