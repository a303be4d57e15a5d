from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.embedding import CachedEmbedder, HashEmbedder, check_cache_writable
from precedent.errors import ConfigError

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


def test_a_cache_that_can_be_written_passes_the_check_and_keeps_nothing_of_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "embedding-cache.sqlite"
    check_cache_writable(path)  # the directory is made, as the cache's first write would
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM vectors").fetchone() == (0,)


@pytest.mark.parametrize("blocked", ["directory", "file"])
def test_a_cache_that_cannot_be_written_is_said_naming_its_directory(tmp_path: Path, blocked: str) -> None:
    # With Neo4j the data directory holds only this cache, and nothing checked it: each serve
    # worker started, and every question and webhook failed on its first write.
    data = tmp_path / "data"
    if blocked == "directory":
        data.write_text("a file where the data directory should be")
    else:
        (data / "embedding-cache.sqlite").mkdir(parents=True)
    with pytest.raises(
        ConfigError, match=rf"cannot write the embedding cache in {data} .*PRECEDENT_DATA_DIR"
    ):
        check_cache_writable(data / "embedding-cache.sqlite")
