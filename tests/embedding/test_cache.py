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
        ConfigError,
        match=rf"cannot write the embedding cache in {data} .*free space on its disk.*PRECEDENT_DATA_DIR",
    ):
        check_cache_writable(data / "embedding-cache.sqlite")


async def test_a_damaged_cache_file_is_said_once_and_embedding_goes_on_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Every embed raised SQLite's error, so each webhook delivery failed until parked as dead,
    # and every search and sync with it, over a file that only saves work.
    path = tmp_path / "cache.sqlite"
    first = CachedEmbedder(HashEmbedder(dimensions=8), path)
    await first.embed([f"incident {n} " * 40 for n in range(200)])
    first.close()
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\x5a" * 4096 * 3)
    inner = HashEmbedder(dimensions=8)
    cached = CachedEmbedder(inner, path)
    with caplog.at_level("WARNING", logger="precedent.embedding"):
        vectors = await cached.embed(["incident 1 " * 40, "new text"])
        again = await cached.embed(["new text", "other text"])
    cached.close()
    np.testing.assert_array_equal(
        vectors, await HashEmbedder(dimensions=8).embed(["incident 1 " * 40, "new text"])
    )
    assert again.shape == (2, 8)
    assert inner.texts_embedded == 3  # "new text" from memory the second time
    said = [r.getMessage() for r in caplog.records]
    assert [line.split(" (")[0] for line in said] == [
        f"the embedding cache {path} cannot be read",
        f"the embedding cache {path} cannot be written",  # once each, though written twice
    ]
    assert said[0].startswith(f"the embedding cache {path} cannot be read (database disk image is malformed)")
    assert said[0].endswith("if the file is damaged, delete it (it holds only vectors, made again as needed)")


def test_a_damaged_cache_file_is_refused_at_start_as_damaged_not_as_unwritable(tmp_path: Path) -> None:
    path = tmp_path / "embedding-cache.sqlite"
    path.write_bytes(b"not a database" * 1000)
    with pytest.raises(ConfigError, match=rf"the embedding cache {path} is damaged .*delete it"):
        check_cache_writable(path)


async def test_a_cache_that_cannot_be_written_is_said_once_while_its_reads_still_work(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A full disk: reads work, writes fail. Each read's success said the cache "works again",
    # so every delivery logged the write failure anew.
    path = tmp_path / "cache.sqlite"
    check_cache_writable(path)
    with closing(sqlite3.connect(path)) as db:  # every write refused, as SQLite on a full disk
        db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON vectors BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
        )
        db.commit()
    cached = CachedEmbedder(HashEmbedder(dimensions=8), path)
    with caplog.at_level("WARNING", logger="precedent.embedding"):
        for n in range(3):
            assert (await cached.embed([f"text {n}"])).shape == (1, 8)
        with closing(sqlite3.connect(path)) as db:
            db.execute("DROP TRIGGER full")
            db.commit()
        await cached.embed(["text 3"])
    cached.close()
    said = [r.getMessage() for r in caplog.records]
    assert [line.split(" (")[0] for line in said] == [
        f"the embedding cache {path} cannot be written",
        f"the embedding cache {path} can be written again",
    ]
