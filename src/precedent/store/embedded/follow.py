"""Reading a map that another process writes: its snapshot, then its log as the log grows.

A reader takes no lock and never writes: it does not truncate a torn tail (the writer may be
appending that very record), nor reset a stale log, nor remove a compaction's leftovers.

The follower keeps the log file it read open. Each poll compares that file with the one now at
the path (device and inode: the held descriptor keeps the old inode from being reused) and
reads any complete records appended since. When the writer compacts, it writes a snapshot of
generation g+1 (its state: the snapshot of g plus every record of log g) and then a fresh log
for g+1. A follower that has read log g to its end holds that same state, so it just moves on
to the new log. Anything else (two compactions between polls, a log that shrank, a directory
rebuilt from scratch) makes ``poll`` return None, and the store loads everything again.

A log damaged part way (a bad record with complete ones after it, which the writer's own next
open refuses) is not a record being written: the follower raises ``StoreCorrupt`` with the
message ``wal.check_damage`` gives, and raises it again on every poll until the writer moves
to a new log, rather than stopping at the damage without a word.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from precedent.errors import StoreCorrupt
from precedent.store.embedded import snapshot
from precedent.store.embedded.durable import REBUILD
from precedent.store.embedded.ops import decode_op
from precedent.store.embedded.wal import FORMAT, HEADER_SIZE, check_damage, read_header, read_records

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store.embedded.ops import Op
    from precedent.store.embedded.state import GraphState

__all__ = ["LogFollower"]


class LogFollower:
    """The read position of one reader in a store directory's snapshot and log.

    Args:
        path: The store's directory (``snapshot`` and ``wal`` inside).
    """

    def __init__(self, path: Path) -> None:
        self._snapshot = path / "snapshot"
        self._log = path / "wal"
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._log_generation = -1
        self._log_format = FORMAT
        self._generation = 0
        self._offset = HEADER_SIZE
        self._lost = False
        self._damage: StoreCorrupt | None = None

    @property
    def generation(self) -> int:
        """The snapshot generation the state read so far extends."""
        return self._generation

    def load(self) -> tuple[GraphState, list[Op]]:
        """Read the snapshot and apply every complete record of its log.

        The log is opened before the snapshot is read. A compaction in between leaves a snapshot
        newer than that log, which then extends it by nothing (the next poll moves to the new
        log); the other order could find a log newer than its snapshot as often as the writer
        compacts while a large snapshot is read.

        Returns:
            The state, and the log's operations (already applied to it).

        Raises:
            StoreCorrupt: if a file is damaged, or the log is newer than the snapshot (missing).
        """
        self._lost = True
        self._damage = None
        data = self._open_log()
        state, self._generation, _ = snapshot.read_snapshot(self._snapshot)
        replayed: list[Op] = []
        if data is not None and self._log_generation > self._generation:
            raise StoreCorrupt(
                f"{self._log} is newer than the snapshot beside it (the snapshot is missing); {REBUILD}"
            )
        if data is not None and self._extends_state():
            payloads, self._offset = self._records(data)
            replayed = [decode_op(payload) for payload in payloads]
            for op in replayed:
                state.apply(op)
        self._lost = False
        return state, replayed

    def poll(self) -> list[Op] | None:
        """Return the operations written since the last call (load or poll), oldest first.

        Returns:
            The new operations (often none), or None when the files moved on in a way that
            only loading again can follow.

        Raises:
            StoreCorrupt: if a complete record cannot be decoded, or the log is damaged before
                later records (until the writer starts a new log).
            OSError: if the files cannot be read.
        """
        if self._lost:
            return None
        try:
            status = os.stat(self._log)
        except FileNotFoundError:
            return [] if self._fd is None else None
        if self._damage is not None:
            if (status.st_dev, status.st_ino) == self._identity:
                raise self._damage
            # The writer compacted into a new log (its memory holds the batches after the damage).
            self._damage = None
            return None
        if self._fd is not None and (status.st_dev, status.st_ino) == self._identity:
            return self._read_more() if self._extends_state() else []
        # A new log file: the writer compacted, reset a stale log, or started the first log.
        tail: list[Op] = []
        expected = self._generation
        if self._fd is not None and self._extends_state():
            more = self._read_more()
            if more is None or self._offset != os.fstat(self._fd).st_size:
                return None
            tail, expected = more, self._generation + 1
        self._lost = True
        data = self._open_log()
        if data is None or self._log_generation != expected:
            return None
        self._generation = expected
        payloads, self._offset = self._records(data)
        ops = [*tail, *(decode_op(payload) for payload in payloads)]
        self._lost = False
        return ops

    def close(self) -> None:
        """Close the log file (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._identity = None
            self._log_generation = -1

    def _extends_state(self) -> bool:
        return self._log_generation == self._generation

    def _open_log(self) -> bytes | None:
        """Open the log now at the path and return its bytes (None if there is none yet)."""
        self.close()
        try:
            fd = os.open(self._log, os.O_RDONLY)
        except FileNotFoundError:
            return None
        status = os.fstat(fd)
        self._fd, self._identity = fd, (status.st_dev, status.st_ino)
        data = _read_all(fd, 0, status.st_size)
        self._log_generation, self._log_format = read_header(self._log, data)
        return data

    def _read_more(self) -> list[Op] | None:
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size < self._offset:
            return None  # cut back under the records already read
        if size == self._offset:
            return []
        data = _read_all(self._fd, self._offset, size)
        payloads, end = read_records(data, 0, version=self._log_format)
        if end < len(data):
            try:  # mostly a record being appended; whether it is can be told from these bytes alone
                check_damage(self._log, data, end, len(payloads), self._log_format)
            except StoreCorrupt:
                self._check_damage()  # the whole log, for the message naming where the damage is
        ops = [decode_op(payload) for payload in payloads]  # before moving on: a failure retries
        self._offset += end
        return ops

    def _records(self, data: bytes) -> tuple[list[bytes], int]:
        """The complete records of the whole log ``data`` and where they end; raise if it is damaged."""
        payloads, end = read_records(data, version=self._log_format)
        if end < len(data):
            self._check_damage(data)
        return payloads, end

    def _check_damage(self, data: bytes | None = None) -> None:
        """Raise ``StoreCorrupt`` (and remember it) if the held log is damaged, not just torn at its end."""
        assert self._fd is not None
        if data is None:
            data = _read_all(self._fd, 0, os.fstat(self._fd).st_size)
        payloads, end = read_records(data, version=self._log_format)
        try:
            check_damage(self._log, data, end, len(payloads), self._log_format)
        except StoreCorrupt as exc:
            self._damage = exc
            raise


def _read_all(fd: int, start: int, end: int) -> bytes:
    # One pread returns at most about 2 GiB, and fewer bytes if the file shrank meanwhile.
    chunks = []
    while start < end:
        chunk = os.pread(fd, end - start, start)
        if not chunk:
            break
        chunks.append(chunk)
        start += len(chunk)
    return b"".join(chunks)
