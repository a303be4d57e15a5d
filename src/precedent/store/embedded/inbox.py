"""The webhook inbox beside the embedded store: one SQLite file in the data directory.

WAL journal with ``synchronous=FULL``, so a committed delivery is on disk (fsync) before the
acknowledgement goes out, and several processes on one machine (``precedent serve`` and
``precedent worker``) can share it: claims run in ``BEGIN IMMEDIATE`` transactions, which
SQLite serialises across processes. Calls run in a thread; one lock keeps the connection to one
call at a time.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from precedent.errors import StoreCorrupt, StoreError, StoreUnavailable
from precedent.store.inbox import Backlog, Delivery, NewDelivery

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import timedelta
    from pathlib import Path

__all__ = ["MIN_FREE_BYTES", "SqliteInbox"]

T = TypeVar("T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY, event_type TEXT NOT NULL, body TEXT NOT NULL,
        received_at INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        outcome TEXT, error TEXT, incident_id TEXT, lease_owner TEXT, lease_expires_at INTEGER,
        available_at INTEGER, started_at INTEGER, finished_at INTEGER)""",
    "CREATE INDEX IF NOT EXISTS deliveries_claim ON deliveries (state, available_at)",
    "CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries (received_at, id)",
    "CREATE INDEX IF NOT EXISTS deliveries_incident ON deliveries (incident_id, state)",
)
_SELECT = (
    "SELECT id, event_type, body, received_at, state, attempts, outcome, error, incident_id, lease_owner, "
    "lease_expires_at, available_at, started_at, finished_at FROM deliveries "
)
_GET = _SELECT + "WHERE id = :id"
_RECENT = (
    _SELECT + "WHERE :at IS NULL OR received_at < :at OR (received_at = :at AND id > :after_id) "
    "ORDER BY received_at DESC, id ASC LIMIT :limit"
)


# One delivery of an incident at a time, oldest first (``Inbox.claim``): claimable (pending and
# due, or its lease ran out), and no other delivery of its incident is leased now, nor claimable
# and received before it.
_CLAIM = (
    "UPDATE deliveries SET state = 'leased', lease_owner = :owner, lease_expires_at = :expires, "
    "attempts = attempts + 1, started_at = COALESCE(started_at, :now) WHERE id IN ("
    "SELECT id FROM deliveries AS d WHERE ((d.state = 'pending' AND d.available_at <= :now) "
    "OR (d.state = 'leased' AND d.lease_expires_at <= :now)) AND (d.incident_id IS NULL OR NOT EXISTS ("
    "SELECT 1 FROM deliveries AS o WHERE o.incident_id = d.incident_id AND o.id != d.id AND ("
    "(o.state = 'leased' AND o.lease_expires_at > :now) OR ("
    "(o.state = 'leased' OR (o.state = 'pending' AND o.available_at <= :now)) "
    "AND (o.received_at < d.received_at OR (o.received_at = d.received_at AND o.id < d.id)))))) "
    "ORDER BY received_at, id LIMIT :limit) "
    "RETURNING id, event_type, body, received_at, state, attempts, outcome, error, incident_id, "
    "lease_owner, lease_expires_at, available_at, started_at, finished_at"
)
_RENEW = (
    "UPDATE deliveries SET lease_expires_at = :expires "
    "WHERE id = :id AND state = 'leased' AND lease_owner = :owner"
)
_COMPLETE = (
    "UPDATE deliveries SET state = 'done', outcome = :outcome, error = NULL, finished_at = :now, "
    "lease_expires_at = NULL WHERE id = :id AND state = 'leased' AND lease_owner = :owner"
)
_FAIL = (
    "UPDATE deliveries SET state = :state, error = :error, available_at = :available, "
    "attempts = attempts - :uncounted, "
    "finished_at = :finished, lease_expires_at = NULL "
    "WHERE id = :id AND state = 'leased' AND lease_owner = :owner"
)
_END_LEASES = (
    "UPDATE deliveries SET lease_expires_at = :now WHERE state = 'leased' AND lease_expires_at > :now"
)
_BACKLOG = "SELECT count(*), min(received_at) FROM deliveries WHERE state IN ('pending', 'leased')"
_RETRY = (
    "UPDATE deliveries SET state = 'pending', attempts = 0, available_at = :now, finished_at = NULL, "
    "lease_expires_at = NULL WHERE id = :id AND state NOT IN ('pending', 'leased')"
)

# Batches, each its own statement: the connection's lock is released between them, so a delivery
# arriving meanwhile is recorded without waiting for the whole prune.
_PRUNE_BATCH = 1000
_PRUNE = (
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE "
    "state IN ('dead', 'done', 'ignored', 'rejected') AND finished_at < :before LIMIT :batch)"
)


# SQLite's primary result codes for a damaged file (sqlite.org/rescode.html): neither space nor
# permissions, and no retry heals it. Extended codes carry the primary one in their low byte.
_DAMAGED = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


# Under this much free space on the inbox's volume a delivery may not be storable (SQLite needs
# room for its journal as well as the row): readiness says so before a write fails with 503.
MIN_FREE_BYTES = 64 * 1024 * 1024


def free_bytes(directory: Path) -> int:
    """Bytes free to this process on the volume holding ``directory`` (one statvfs, no write)."""
    return shutil.disk_usage(directory).free


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _delivery(row: sqlite3.Row) -> Delivery:
    received = _time(row["received_at"])
    assert received is not None
    return Delivery(
        id=row["id"],
        event_type=row["event_type"],
        body=row["body"],
        received_at=received,
        state=row["state"],
        attempts=row["attempts"],
        outcome=row["outcome"],
        error=row["error"],
        incident_id=row["incident_id"],
        lease_owner=row["lease_owner"],
        lease_expires_at=_time(row["lease_expires_at"]),
        available_at=_time(row["available_at"]),
        started_at=_time(row["started_at"]),
        finished_at=_time(row["finished_at"]),
    )


class SqliteInbox:
    """An ``Inbox`` in one SQLite file.

    Args:
        path: The database file (created with its directory on ``open``).
        busy_timeout: Seconds to wait for another process's write lock.
        sole_worker: This process is the only one that works the inbox (``serve`` on the embedded
            store, which holds the map's writer lock): a lease found at ``open`` belongs to a
            process that died, so it is ended at once rather than after its minute runs out. The
            claim that took it still counts as an attempt.
        space: Reads the free bytes on a directory's volume (``free_bytes``; tests pass a fake).
        min_free_bytes: Less free space than this and ``cannot_record`` says deliveries may not fit.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = 10.0,
        sole_worker: bool = False,
        space: Callable[[Path], int] = free_bytes,
        min_free_bytes: int = MIN_FREE_BYTES,
    ) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._sole_worker = sole_worker
        self._space = space
        self._min_free_bytes = min_free_bytes
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        """Create the file and table if needed.

        Raises:
            StoreUnavailable: if the file cannot be created, opened or written.
        """
        if self._connection is None:
            await asyncio.to_thread(self._open)

    def _open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable("opening", exc) from exc
        try:
            connection.row_factory = sqlite3.Row
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"journal_mode is {mode}, not wal")
            connection.execute("PRAGMA synchronous=FULL")
            # A damaged page is otherwise found only when a claim or a prune reads it, after new
            # deliveries were acknowledged into the file; this reads every page (the inbox keeps
            # weeks of deliveries, so it is small) and names the damage before any is accepted.
            rows = connection.execute("PRAGMA quick_check(3)").fetchall()
            # One finding a line, under a "*** in database main ***" heading: said on one line.
            lines = [line for row in rows for line in str(row[0]).splitlines()]
            problems = [line for line in lines if not line.startswith("***")]
            if problems != ["ok"]:
                connection.close()
                raise self._damaged("; ".join(problems))
            for statement in _SCHEMA:
                connection.execute(statement)
            if self._sole_worker:
                # Rounded down: the first claim, maybe within the same millisecond, must find it ended.
                ended = math.floor(datetime.now(UTC).timestamp() * 1000)
                connection.execute(_END_LEASES, {"now": ended})
        except sqlite3.Error as exc:
            connection.close()
            raise self._unavailable("creating the table in", exc) from exc
        self._connection = connection

    async def close(self) -> None:
        """Close the file. Idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with self._lock:
                connection.close()

    def _unavailable(self, action: str, exc: BaseException) -> StoreError:
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _DAMAGED:
            return self._damaged(str(exc))
        return StoreUnavailable(
            f"the webhook inbox {self._path} failed while {action} it: {exc}. Check the data directory "
            "(PRECEDENT_DATA_DIR) is writable and its disk has space."
        )

    def _damaged(self, finding: str) -> StoreCorrupt:
        # The file holds acknowledged deliveries that may not be processed yet: moving it aside
        # drops them, so the message says how to keep what SQLite can still read first.
        path = self._path
        return StoreCorrupt(
            f"the webhook inbox {path} is damaged ({finding}). Stop Precedent and copy the file aside "
            f"first (with {path.name}-wal beside it). Then recover what SQLite can read: "
            f"`sqlite3 {path} .recover > inbox.sql`, move {path.name}, {path.name}-wal and "
            f"{path.name}-shm out of the data directory, and `sqlite3 {path} < inbox.sql`; or move them "
            "out to start an empty inbox, and run `precedent sync` to bring back incidents whose "
            "deliveries were not processed yet"
        )

    async def _call(self, action: str, work: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            connection = self._connection
            if connection is None:
                raise StoreUnavailable(f"the webhook inbox {self._path} is not open; call open() first")
            with self._lock:
                try:
                    return work(connection)
                except sqlite3.Error as exc:
                    if connection.in_transaction:
                        connection.rollback()
                    raise self._unavailable(action, exc) from exc

        return await asyncio.to_thread(locked)

    async def record(self, delivery: NewDelivery) -> bool:
        """See ``Inbox.record``."""
        received = _ms(delivery.received_at)
        final = delivery.state != "pending"
        params = {
            "id": delivery.id,
            "event_type": delivery.event_type,
            "body": delivery.body,
            "received_at": received,
            "state": delivery.state,
            "error": delivery.error,
            "incident_id": delivery.incident_id,
            "available_at": None if final else received,
            "finished_at": received if final else None,
        }

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "INSERT INTO deliveries (id, event_type, body, received_at, state, error, incident_id, "
                "available_at, finished_at) VALUES (:id, :event_type, :body, :received_at, :state, :error, "
                ":incident_id, :available_at, :finished_at) ON CONFLICT (id) DO NOTHING",
                params,
            )
            return cursor.rowcount == 1

        return await self._call("recording a delivery in", work)

    async def claim(self, owner: str, *, now: datetime, lease: timedelta, limit: int = 1) -> list[Delivery]:
        """See ``Inbox.claim``."""
        params = {"now": _ms(now), "owner": owner, "expires": _ms(now + lease), "limit": limit}

        def work(connection: sqlite3.Connection) -> list[Delivery]:
            connection.execute("BEGIN IMMEDIATE")
            rows = connection.execute(_CLAIM, params).fetchall()
            connection.execute("COMMIT")
            return sorted(map(_delivery, rows), key=lambda d: (d.received_at, d.id))

        return await self._call("claiming deliveries from", work)

    async def _update(self, action: str, sql: str, params: Mapping[str, object]) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            return connection.execute(sql, params).rowcount == 1

        return await self._call(action, work)

    async def renew(self, delivery_id: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
        """See ``Inbox.renew``."""
        params = {"id": delivery_id, "owner": owner, "expires": _ms(now + lease)}
        return await self._update("renewing a lease in", _RENEW, params)

    async def complete(self, delivery_id: str, owner: str, *, now: datetime, outcome: str) -> bool:
        """See ``Inbox.complete``."""
        params = {"id": delivery_id, "owner": owner, "now": _ms(now), "outcome": outcome}
        return await self._update("completing a delivery in", _COMPLETE, params)

    async def fail(
        self,
        delivery_id: str,
        owner: str,
        *,
        now: datetime,
        error: str,
        retry_at: datetime | None,
        counted: bool = True,
    ) -> bool:
        """See ``Inbox.fail``."""
        params: dict[str, object] = {
            "id": delivery_id,
            "uncounted": 0 if counted else 1,
            "owner": owner,
            "error": error,
            "state": "dead" if retry_at is None else "pending",
            "available": None if retry_at is None else _ms(retry_at),
            "finished": _ms(now) if retry_at is None else None,
        }
        return await self._update("recording a failure in", _FAIL, params)

    async def get(self, delivery_id: str) -> Delivery | None:
        """See ``Inbox.get``."""

        def work(connection: sqlite3.Connection) -> Delivery | None:
            row = connection.execute(_GET, {"id": delivery_id}).fetchone()
            return None if row is None else _delivery(row)

        return await self._call("reading", work)

    async def recent(self, limit: int, *, after: tuple[datetime, str] | None = None) -> Sequence[Delivery]:
        """See ``Inbox.recent``."""
        params = {
            "limit": limit,
            "at": None if after is None else _ms(after[0]),
            "after_id": None if after is None else after[1],
        }

        def work(connection: sqlite3.Connection) -> list[Delivery]:
            rows = connection.execute(_RECENT, params).fetchall()
            return [_delivery(row) for row in rows]

        return await self._call("reading", work)

    async def backlog(self) -> Backlog:
        """See ``Inbox.backlog``."""

        def work(connection: sqlite3.Connection) -> Backlog:
            waiting, oldest = connection.execute(_BACKLOG).fetchone()
            return Backlog(int(waiting), _time(oldest))

        return await self._call("measuring", work)

    async def retry(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """See ``Inbox.retry``."""
        params = {"id": delivery_id, "now": _ms(now)}

        def work(connection: sqlite3.Connection) -> Delivery | None:
            connection.execute(_RETRY, params)
            row = connection.execute(_GET, params).fetchone()
            return None if row is None else _delivery(row)

        return await self._call("retrying a delivery in", work)

    async def cannot_record(self) -> str | None:
        """See ``Inbox.cannot_record``: the free space on the inbox's volume, under ``min_free_bytes``."""
        try:
            free = await asyncio.to_thread(self._space, self._path.parent)
        except OSError:
            return None  # no directory yet: open() creates it, or says what stops it
        if free >= self._min_free_bytes:
            return None
        needed = self._min_free_bytes // 2**20
        return (
            f"the webhook inbox's disk has {free // 2**20} MiB free, under the {needed} "
            "MiB needed to store deliveries before acknowledging them: free disk space on the volume "
            "of the data directory (PRECEDENT_DATA_DIR)"
        )

    async def prune(self, *, finished_before: datetime) -> int:
        """See ``Inbox.prune``."""
        deleted = 0
        while True:
            batch = await self._prune_batch(_ms(finished_before))
            deleted += batch
            if batch < _PRUNE_BATCH:
                return deleted

    async def _prune_batch(self, before: int) -> int:
        """Delete up to ``_PRUNE_BATCH`` of ``prune``'s deliveries in one transaction (one statement)."""
        params = {"before": before, "batch": _PRUNE_BATCH}

        def work(connection: sqlite3.Connection) -> int:
            return connection.execute(_PRUNE, params).rowcount

        return await self._call("pruning", work)
