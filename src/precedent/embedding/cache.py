"""A content-hash cache in front of any embedder, so unchanged text is never embedded twice.

Keys are ``sha256(model name, text)``; vectors live in memory and, when a path is given, in a
small SQLite file under the data directory so the cache survives restarts and re-syncs. The file
only saves work: one that cannot be read or written (a full disk, a damaged file) is logged and
embedding goes on without it, rather than failing every webhook delivery, sync and search.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from precedent.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    import numpy.typing as npt

    from precedent.embedding.base import Embedder, TokenCounter

__all__ = ["CachedEmbedder", "check_cache_writable", "content_hash"]

log = logging.getLogger("precedent.embedding")

A = TypeVar("A")
R = TypeVar("R")


def content_hash(model: str, text: str) -> str:
    """Return the cache key of ``text`` embedded by ``model``."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def check_cache_writable(path: Path) -> None:
    """Fail at once if this user cannot write the cache file ``path``.

    A service checks this before its slow start: the cache is written by its first question or
    webhook, so a directory it cannot write would fail each of those instead. The probe writes a
    row and rolls it back (SQLite's journal beside the file included); the file is left, empty.

    Raises:
        ConfigError: naming the directory, if the file cannot be opened or written; or the file,
            if it is damaged (deleting it loses nothing).
    """
    try:
        with closing(_open(path)) as db:
            db.execute("INSERT OR REPLACE INTO vectors (key, vector) VALUES ('', x'')")
            db.rollback()
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise _unwritable(path, exc) from exc
        raise ConfigError(
            f"the embedding cache {path} is damaged ({exc}): delete it (it holds only vectors, made "
            "again as needed) and start again"
        ) from exc
    except (OSError, sqlite3.Error) as exc:
        raise _unwritable(path, exc) from exc


def _unwritable(path: Path, exc: Exception) -> ConfigError:
    return ConfigError(
        f"cannot write the embedding cache in {path.parent} ({path.name}: {exc}): make that "
        "directory writable by this user, with free space on its disk, or point PRECEDENT_DATA_DIR "
        "at one that is (with Neo4j it holds only this cache)"
    )


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
    return db


class CachedEmbedder:
    """An ``Embedder`` that asks ``inner`` only for texts it has not seen.

    Args:
        inner: The embedder that does the work.
        path: SQLite file for a persistent cache; ``None`` keeps it in memory only.
    """

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        self._inner = inner
        self._path = path
        self._memory: dict[str, npt.NDArray[np.float32]] = {}
        self._db: sqlite3.Connection | None = None
        self._failing: set[str] = set()  # reading, writing: said once each, until it works again
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    async def token_counter(self) -> TokenCounter:
        """The inner model's measure of text."""
        return await self._inner.token_counter()

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        keys = [content_hash(self._inner.name, text) for text in texts]
        missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
        if missing and self._path is not None:
            found = await self._on_file("read", self._read, missing) or {}
            self._memory.update(found)
            missing = [k for k in missing if k not in found]
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            vectors = await self._inner.embed([text_of[k] for k in missing])
            fresh = {k: vectors[i] for i, k in enumerate(missing)}
            self._memory.update(fresh)
            if self._path is not None:
                await self._on_file("written", self._write, fresh)
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        if not keys:
            return await self._inner.embed([])
        return np.stack([self._memory[k] for k in keys]).astype(np.float32, copy=False)

    async def _on_file(self, action: str, work: Callable[[A], R], argument: A) -> R | None:
        """Run ``work`` on the cache file; ``None`` (and one warning per failing spell) if it fails."""
        try:
            result = await asyncio.to_thread(work, argument)
        except (OSError, sqlite3.Error) as exc:
            if action not in self._failing:
                self._failing.add(action)
                log.warning(
                    "the embedding cache %s cannot be %s (%s); embedding without it, which is slower "
                    "and loses nothing. If the disk is full, free space; if the file is damaged, "
                    "delete it (it holds only vectors, made again as needed)",
                    self._path,
                    action,
                    exc,
                )
            return None
        if action in self._failing:
            self._failing.discard(action)
            log.warning("the embedding cache %s can be %s again", self._path, action)
        return result

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            assert self._path is not None
            self._db = _open(self._path)
        return self._db

    def _read(self, keys: list[str]) -> dict[str, npt.NDArray[np.float32]]:
        db = self._connect()
        found: dict[str, npt.NDArray[np.float32]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)  # noqa: S608 - placeholders only
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def _write(self, vectors: dict[str, npt.NDArray[np.float32]]) -> None:
        db = self._connect()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(k, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
            )

    def close(self) -> None:
        """Close the SQLite file, if open."""
        if self._db is not None:
            self._db.close()
            self._db = None
