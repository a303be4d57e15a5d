"""File-system steps that make writes survive a crash: fsync, atomic replace, a directory lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import sys
from typing import TYPE_CHECKING

from precedent.errors import StoreLocked

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["REBUILD", "DirectoryLock", "fsync_dir", "remove_quietly", "replace_atomically", "write_all"]

REBUILD = (
    "restore the directory from a backup (`precedent backup`), or move it aside and rebuild it with "
    "`precedent sync` (or `precedent import`), then create API tokens again"
)
"""What to do about damaged store files. A rebuild brings back what incident.io holds, not what only
the map held (tokens, webhook-built investigations, change events, tuned weights)."""


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
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        # A disk that filled up mid-write stays full while the partial copy sits there.
        remove_quietly(temporary)
        raise
    fsync_dir(path.parent)


def remove_quietly(path: Path) -> None:
    """Delete ``path`` if it is there, ignoring failures (cleanup after another error)."""
    with contextlib.suppress(OSError):
        os.unlink(path)


class DirectoryLock:
    """An exclusive advisory lock on a store directory, held by the one process that writes it.

    Two processes appending to one log would interleave records; the lock makes the second one
    fail fast instead. The kernel releases it when the holder dies, so a crash leaves no stale lock.
    The holder writes its pid and command line into the lock file so that the error the second
    writer gets can say which process to stop.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and record this process as its holder.

        Raises:
            StoreLocked: if another open store holds it.
        """
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            try:
                holder = _read_holder(fd)
            finally:
                os.close(fd)
            raise _locked_error(self._path.parent, *holder) from exc
        try:
            # Only a label for the error above: no fsync, and a failure to write it is harmless.
            os.ftruncate(fd, 0)
            write_all(fd, f"{os.getpid()}\n{shlex.join(sys.orig_argv)}\n".encode())
        except OSError:
            pass
        self._fd = fd

    def check_free(self) -> None:
        """Fail now if another process holds the lock; take nothing (``acquire`` still decides).

        A writer checks this before its slow start (loading the model) so a second ``serve`` is
        refused in a second, not after the model has loaded.

        Raises:
            StoreLocked: if another open store holds it.
        """
        try:
            fd = os.open(self._path, os.O_RDONLY)
        except OSError:
            return  # no lock file yet: no writer has opened this map
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise _locked_error(self._path.parent, *_read_holder(fd)) from exc
        finally:
            os.close(fd)

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> tuple[int | None, str | None]:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        return None, None
    pid, _, command = text.partition("\n")
    return (int(pid) if pid.isdigit() else None), (command.strip() or None)


def _locked_error(directory: Path, pid: int | None, command: str | None) -> StoreLocked:
    holder = "another process" if pid is None else f"process {pid}"
    if pid is not None and command:
        holder += f" ({_shorten(command)})"
    return StoreLocked(
        f"{directory} is open for writing by {holder}; only one process may write a map: stop "
        "that process first, or, to read the map while it runs, open it read-only (the CLI's "
        "read commands and precedent.connect() in a notebook do; in Python, "
        "EmbeddedStore(path, read_only=True))",
        pid=pid,
        command=command,
    )


def _shorten(command: str, limit: int = 160) -> str:
    return command if len(command) <= limit else command[: limit - 1] + "…"
