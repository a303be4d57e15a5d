"""Copying a data directory while its writer runs: a map copy and an inbox copy that open cleanly.

A plain ``cp -r`` of a served map can fail to open: if the writer compacts between the copy of
``snapshot`` and the copy of ``wal``, the copy holds the new log beside the old snapshot ("the
snapshot is missing"). Copying the log first and the snapshot second is always consistent: a
compaction in between leaves a snapshot that already holds every record of the copied log, which
the next open then discards as stale. The log is cut to its last complete record, so a batch the
writer was appending is left out whole. The HNSW files are not copied: they are a cache of the
matrix that the first writer to open the copy rebuilds, and a copy taken after the log could
index vectors the copied log does not hold.

SQLite files (the webhook inbox) are copied with SQLite's online backup, which a copy of the
database file beside its ``-wal`` journal is not.

A backup is written into a temporary sibling of its destination and renamed into place whole
(``staged``): one that fails part way leaves nothing behind, so running it again just works.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from precedent.errors import StoreUnavailable
from precedent.store.embedded.durable import fsync_dir, replace_atomically
from precedent.store.embedded.wal import check_damage, read_header, read_records

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["copy_map", "copy_sqlite", "staged"]


@contextmanager
def staged(destination: Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``destination`` to fill; rename it to ``destination`` at the end.

    If the body raises, the temporary directory (and any parent directory made for it) is
    removed, so a failed backup leaves nothing and the same command can be run again.

    Raises:
        StoreUnavailable: if the directory cannot be made or renamed into place.
    """
    made = [p for p in (destination.parent, *destination.parent.parents) if not p.exists()]
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
        )
    except OSError as exc:
        raise StoreUnavailable(f"cannot create a directory beside {destination}: {exc}") from exc
    try:
        yield staging
        try:
            os.rename(staging, destination)
            fsync_dir(destination.parent)
        except OSError as exc:
            raise StoreUnavailable(f"cannot move the backup into place at {destination}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in made:  # innermost first; only those this call made, and only if empty
            try:
                parent.rmdir()
            except OSError:
                break
        raise


def copy_map(source: Path, destination: Path) -> None:
    """Copy the map in directory ``source`` (``snapshot`` and ``wal``) to the new directory ``destination``.

    Safe while a writer has ``source`` open; the copy holds its state as of one batch or another.

    Raises:
        StoreCorrupt: if the source log is damaged (more than the torn tail of a write in flight).
        StoreUnavailable: if a file cannot be read or written (the message names it).
    """
    log, snapshot = source / "wal", source / "snapshot"
    try:
        destination.mkdir(parents=True)
        fsync_dir(destination.parent)
        # The log first, then the snapshot: see the module docstring for why this order.
        data = log.read_bytes() if log.exists() else None
        if data is not None:
            _, version = read_header(log, data)
            payloads, end = read_records(data, version=version)
            # A torn tail is the batch the writer is appending; a bad record before others is damage.
            check_damage(log, data, end, len(payloads), version)
            replace_atomically(destination / "wal", [memoryview(data)[:end]])
        # Opened once: the copy reads one file even if a compaction renames a new one over it.
        if snapshot.exists():
            with snapshot.open("rb") as file:
                replace_atomically(destination / "snapshot", iter(lambda: file.read(1 << 20), b""))
    except OSError as exc:
        raise StoreUnavailable(f"cannot copy the map {source} to {destination}: {exc}") from exc


def copy_sqlite(source: Path, destination: Path) -> None:
    """Copy the SQLite database ``source`` to ``destination`` (new) with SQLite's online backup.

    Raises:
        StoreUnavailable: if either file cannot be opened, read or written.
    """
    try:
        # mode=rw: a missing source is an error, not a new empty database. as_uri() escapes the
        # path: a '#' or '?' in it would otherwise end the path, and drop mode=rw with it.
        with (
            closing(sqlite3.connect(f"{source.absolute().as_uri()}?mode=rw", uri=True)) as reading,
            closing(sqlite3.connect(destination)) as writing,
        ):
            reading.backup(writing)
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot copy {source} to {destination}: {exc}") from exc
