"""The write-ahead log: one checksummed record per batch, fsynced before a write returns.

Layout: a 16-byte header (magic, generation) then records of ``length | crc32 | header crc32 |
payload``: the payload's checksum, then one of the length and payload checksum. The generation ties
the log to the snapshot it extends: compaction writes a snapshot naming the next generation, then
starts a fresh log with it, so a crash between the two leaves a stale log that ``open`` discards
rather than replays twice. Replay stops at the first torn or corrupt record. When that record is the
write a crash interrupted (a prefix of a record whose header checks, or zeros where the file system
had not written the data yet), its write never returned, so ``open`` truncates it and loses nothing
acknowledged. Anything else with more of the log after it is damage, not a crash (each record is
fsynced before the next is written): ``open`` refuses it and leaves the file as it is, since
truncating would drop acknowledged batches. The header checksum is what tells the two apart when a
record's length is damaged: without it, a flipped bit that made a length run past the end of the
file read as a torn last write, and the batches after it were silently dropped.

Logs of format 1 (``PRECWAL1``: ``length | crc32 | payload``, no header checksum) are still read,
and appended to in their own format until the next compaction starts a format 2 log. Readers in
other processes parse the same layout with ``read_header`` and ``read_records`` while the writer
appends (see ``follow``).
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from typing import TYPE_CHECKING

from precedent.errors import StoreCorrupt, StoreError, StoreWriteFailed
from precedent.store.embedded.durable import REBUILD, replace_atomically, write_all

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FORMAT", "HEADER_SIZE", "WriteAheadLog", "check_damage", "frame", "read_header", "read_records"]

FORMAT = 2
"""The format new logs are written in (``PRECWAL2``); format 1 logs are still read."""

_MAGIC = {1: b"PRECWAL1", 2: b"PRECWAL2"}
_HEADER = struct.Struct("<8sQ")
_RECORD = {1: struct.Struct("<II"), 2: struct.Struct("<III")}
_CHECKED = struct.Struct("<II")  # the part of a format 2 record header its own checksum covers
HEADER_SIZE = _HEADER.size

logger = logging.getLogger(__name__)


class WriteAheadLog:
    """An append-only log file of opaque payloads."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self.generation = 0
        self.format = FORMAT
        self._end = _HEADER.size

    @property
    def record_bytes(self) -> int:
        """Bytes of records since the header (0 for an empty log)."""
        return self._end - _HEADER.size

    @property
    def closed(self) -> bool:
        """Whether the log is closed (before ``open``, after ``close``, or after a failed ``reset``)."""
        return self._fd is None

    def open(self, generation: int) -> list[bytes]:
        """Open (or create) the log for ``generation`` and return the payloads to replay.

        A log older than ``generation`` was already folded into the snapshot and is reset.

        Raises:
            StoreCorrupt: if the header is damaged or the log is newer than the snapshot.
        """
        if not self._path.exists():
            self.reset(generation)
            return []
        data = self._path.read_bytes()
        found, version = read_header(self._path, data)
        if found < generation:
            self.reset(generation)
            return []
        if found > generation:
            raise StoreCorrupt(
                f"{self._path} is newer than the snapshot beside it (the snapshot is missing); {REBUILD}"
            )
        payloads, end = read_records(data, version=version)
        check_damage(self._path, data, end, len(payloads), version)
        self.generation, self.format = found, version
        self._fd = os.open(self._path, os.O_RDWR)
        if end < len(data):
            logger.warning("%s: dropping %d bytes of an incomplete last write", self._path, len(data) - end)
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
        self._end = end
        return payloads

    def append(self, payload: bytes) -> None:
        """Append one record and fsync it.

        Raises:
            StoreWriteFailed: if the write fails (a full disk); the log is cut back to its previous end.
        """
        if self._fd is None:
            raise StoreError("the log is closed")
        record = frame(payload, self.format)
        try:
            os.lseek(self._fd, self._end, os.SEEK_SET)
            write_all(self._fd, record)
            os.fsync(self._fd)
        except OSError as exc:
            # Leave no partial record behind for the next append to hide behind.
            os.ftruncate(self._fd, self._end)
            raise StoreWriteFailed(self._path, exc) from exc
        self._end += len(record)

    def reset(self, generation: int) -> None:
        """Replace the log with an empty one for ``generation``.

        If this fails the log stays closed on purpose: a snapshot may already name
        ``generation``, and records appended to the older log would be skipped on replay.
        """
        self.close()
        replace_atomically(self._path, [_HEADER.pack(_MAGIC[FORMAT], generation)])
        self._fd = os.open(self._path, os.O_RDWR)
        self.generation, self.format = generation, FORMAT
        self._end = _HEADER.size

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def frame(payload: bytes, version: int = FORMAT) -> bytes:
    """Return ``payload`` as one log record of format ``version`` (2: length, crc32, header crc32)."""
    crc = zlib.crc32(payload)
    if version == 1:
        return _RECORD[1].pack(len(payload), crc) + payload
    return _RECORD[2].pack(len(payload), crc, zlib.crc32(_CHECKED.pack(len(payload), crc))) + payload


def read_header(path: Path, data: bytes) -> tuple[int, int]:
    """Return the generation and format in the header at the start of ``data`` (read from ``path``).

    Raises:
        StoreCorrupt: if ``data`` does not start with a log header.
    """
    version = next((v for v, magic in _MAGIC.items() if data[:8] == magic), None)
    if len(data) < _HEADER.size or version is None:
        raise StoreCorrupt(f"{path} is not a Precedent log; {REBUILD}")
    (_, generation) = _HEADER.unpack_from(data)
    return int(generation), version


def check_damage(path: Path, data: bytes, end: int, batches: int, version: int = FORMAT) -> None:
    """Refuse a log whose bytes from ``end`` (where ``read_records`` stopped) are more than a torn tail.

    Args:
        path: The log, as the message names it.
        data: Its bytes.
        end: Where its complete records end.
        batches: How many complete records come before ``end``.
        version: The log's format (``read_header``).

    Raises:
        StoreCorrupt: if a bad record has later writes after it (damage, not a crash).
    """
    if not _torn_tail(data, end, version):
        raise StoreCorrupt(
            f"{path} is damaged at byte {end} ({_what_failed(data, end, version)}), with "
            f"{len(data) - end} bytes of later writes after it that cannot be replayed past the "
            f"damage. Copy the directory somewhere safe first; then either keep the "
            f"{batches} batches before the damage (and lose the later ones) with "
            f"`truncate -s {end} {path}`, or {REBUILD}"
        )


def _header_checks(data: bytes, offset: int) -> bool:
    """Whether the format 2 record header at ``offset`` matches its own checksum."""
    length, crc, check = _RECORD[2].unpack_from(data, offset)
    return bool(zlib.crc32(_CHECKED.pack(length, crc)) == check)


def _torn_tail(data: bytes, end: int, version: int = FORMAT) -> bool:
    """Whether the bytes of ``data`` from ``end`` (where parsing stopped) are one interrupted write.

    An interrupted append leaves a prefix of its record (in format 2 one whose header checks, so
    its length can be believed), a record that runs to or past the end of the file, or zeros where
    the file system had not written the data yet. A format 1 header has no checksum, so a damaged
    length that runs past the end reads as torn there.
    """
    record = _RECORD[version]
    if len(data) - end < record.size:
        return True
    if version >= 2 and not _header_checks(data, end):
        # Nothing but zeros after it: no later write was acknowledged, so none can be lost.
        return not data[end + record.size :].strip(b"\0")
    (length,) = struct.unpack_from("<I", data, end)
    if end + record.size + length >= len(data):
        return True
    return length == 0 and not data[end:].strip(b"\0")


def _what_failed(data: bytes, end: int, version: int) -> str:
    if version >= 2 and not _header_checks(data, end):
        return "a record header that fails its checksum"
    return "a record that fails its checksum"


def read_records(data: bytes, start: int = _HEADER.size, *, version: int = FORMAT) -> tuple[list[bytes], int]:
    """Return the complete records of ``data`` (format ``version``) from offset ``start`` and the
    offset after them.

    Parsing stops at the first torn or corrupt record, so a log being appended to reads as the
    records written so far.
    """
    record = _RECORD[version]
    view = memoryview(data)
    payloads: list[bytes] = []
    offset = start
    while offset + record.size <= len(data):
        if version >= 2 and not _header_checks(data, offset):
            break
        length, crc = _CHECKED.unpack_from(data, offset)
        begin = offset + record.size
        payload = view[begin : begin + length]
        # No record is empty: zeros a file system shows before the data lands read as torn.
        if not length or len(payload) < length or zlib.crc32(payload) != crc:
            break
        payloads.append(bytes(payload))
        offset = begin + length
    return payloads, offset
