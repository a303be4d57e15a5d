"""File-system steps that make writes survive a crash: fsync, atomic replace, a directory lock."""

from __future__ import annotations

import fcntl
import os
from typing import TYPE_CHECKING

from precedent.errors import StoreUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["REBUILD", "DirectoryLock", "fsync_dir", "replace_atomically", "write_all"]

REBUILD = "move the directory aside and rebuild it with `precedent sync` (or `precedent import`)"
"""What to do about damaged store files: the map is derived data, so rebuilding loses nothing."""


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change (create, rename) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` (``os.write`` may write fewer)."""
    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]


def replace_atomically(path: Path, chunks: Iterable[bytes | memoryview]) -> None:
    """Write ``chunks`` to ``path`` so that a crash leaves either the old file or the new one.

    The data goes to a temporary file that is fsynced, renamed over ``path``, and the directory
    fsynced, so the rename itself is durable too.
    """
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for chunk in chunks:
            write_all(fd, chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_dir(path.parent)


class DirectoryLock:
    """An exclusive advisory lock on a store directory, held while the store is open.

    Two processes appending to one log would interleave records; the lock makes the second one
    fail fast instead. The kernel releases it when the holder dies, so a crash leaves no stale lock.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            StoreUnavailable: if another open store holds it.
        """
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StoreUnavailable(
                f"{self._path.parent} is in use by another Precedent process; stop it or use another data dir"
            ) from exc
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
