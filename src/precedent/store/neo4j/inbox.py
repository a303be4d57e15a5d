"""The webhook inbox in Neo4j: ``(:WebhookDelivery)`` nodes, shared by every worker of a deployment.

A committed transaction is durable on the server before ``record`` returns. Claims are atomic per
transaction: candidates are write-locked first, then re-checked and leased in a second statement
of the same transaction (a statement's own reads could be cached from before the lock), so two
workers never lease one delivery. The inbox opens its own driver and applies the schema
migrations (idempotent), so ``precedent worker`` needs nothing else opened first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, cast

from precedent.graph_schema import load_schema
from precedent.store.inbox import FINAL_STATES, Backlog, Delivery, DeliveryState, NewDelivery
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import Connection, fetch, run
from precedent.store.neo4j.migrations import migrate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import timedelta

    from precedent.store.neo4j.connection import Runner

__all__ = ["Neo4jInbox"]

_CLAIM_ROUNDS = 3  # a round can lose all its candidates to a concurrent worker; look again
_PRUNE_BATCH = 1000  # deletions per transaction: a large prune never holds one huge transaction


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _ms_of(duration: timedelta) -> int:
    return round(duration.total_seconds() * 1000)


def _time(value: object) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(cast("int", value)) / 1000, tz=UTC)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _delivery(props: Mapping[str, object]) -> Delivery:
    received = _time(props["received_at"])
    assert received is not None
    return Delivery(
        id=str(props["id"]),
        event_type=str(props.get("event_type", "")),
        body=str(props.get("body", "")),
        received_at=received,
        state=cast("DeliveryState", props["state"]),
        attempts=int(cast("int", props.get("attempts") or 0)),
        outcome=_text(props.get("outcome")),
        error=_text(props.get("error")),
        incident_id=_text(props.get("incident_id")),
        lease_owner=_text(props.get("lease_owner")),
        lease_expires_at=_time(props.get("lease_expires_at")),
        available_at=_time(props.get("available_at")),
        started_at=_time(props.get("started_at")),
        finished_at=_time(props.get("finished_at")),
    )


class Neo4jInbox:
    """An ``Inbox`` in a Neo4j database.

    Args:
        uri: ``neo4j://`` or ``bolt://`` URI.
        auth: ``(user, password)``, or ``None`` for a server without authentication.
        database: The database holding the map.
        lease_clock: Whose clock leases and due times run on. ``"database"`` (the default): the
            server's, so the receiver and workers on several machines agree on whether a lease is
            live and a delivery due however their clocks disagree (a retry's delay, ``retry_at``
            less ``now``, is counted from the server's now); the ``now`` each call is given still
            dates arrivals, starts and finishes. ``"caller"``: the ``now`` given, as on the SQLite
            inbox (tests that move time by hand).
    """

    def __init__(
        self,
        uri: str,
        *,
        auth: tuple[str, str] | None,
        database: str,
        lease_clock: Literal["database", "caller"] = "database",
    ) -> None:
        self._connection = Connection(uri, auth, database)
        self._lease_clock = lease_clock

    def _inbox_now(self, now: datetime) -> int | None:
        """``$inbox_now``: ``None`` for the database's clock (``timestamp()`` in the query)."""
        return _ms(now) if self._lease_clock == "caller" else None

    async def open(self) -> None:
        """Connect and make sure the inbox's constraint and indexes exist.

        Raises:
            StoreUnavailable: if the server cannot be reached.
            StoreError: if a migration fails.
        """
        await self._connection.open()
        await migrate(self._connection, load_schema(), None)

    async def close(self) -> None:
        """Close the driver. Idempotent."""
        await self._connection.close()

    async def cannot_record(self) -> str | None:
        """See ``Inbox.cannot_record``: always ``None``, the server's disk is Neo4j's to watch.

        A write Neo4j cannot store fails, and the receiver answers 503; its free space is not
        visible over Bolt to a client without admin procedures.
        """
        return None

    async def record(self, delivery: NewDelivery) -> bool:
        """See ``Inbox.record``."""
        received = _ms(delivery.received_at)
        final = delivery.state != "pending"
        props = {
            "event_type": delivery.event_type,
            "body": delivery.body,
            "received_at": received,
            "state": delivery.state,
            "error": delivery.error,
            "incident_id": delivery.incident_id,
            "finished_at": received if final else None,
        }
        params = {
            "id": delivery.id,
            "props": props,
            "token": uuid.uuid4().hex,
            "pending": not final,  # due from now (available_at), on the inbox's clock
            "inbox_now": self._inbox_now(delivery.received_at),
        }
        records = await self._connection.write(
            lambda tx: fetch(tx, queries.INBOX_RECORD, params), "recording a webhook delivery"
        )
        return bool(records[0]["created"])

    async def claim(self, owner: str, *, now: datetime, lease: timedelta, limit: int = 1) -> list[Delivery]:
        """See ``Inbox.claim``."""
        params = {
            "now": _ms(now),
            "inbox_now": self._inbox_now(now),
            "lease_ms": _ms_of(lease),
            "owner": owner,
            "limit": limit,
        }

        async def work(tx: Runner) -> tuple[int, list[Delivery]]:
            candidates = [r["id"] for r in await fetch(tx, queries.INBOX_CANDIDATES, params)]
            if not candidates:
                return 0, []
            taken = await fetch(tx, queries.INBOX_TAKE, {**params, "ids": candidates})
            return len(candidates), [_delivery(r["delivery"]) for r in taken]

        for _ in range(_CLAIM_ROUNDS):
            seen, claimed = await self._connection.write(work, "claiming webhook deliveries")
            if claimed or not seen:
                return sorted(claimed, key=lambda d: (d.received_at, d.id))
        return []

    async def _held(self, query: str, params: dict[str, object], action: str) -> bool:
        async def work(tx: Runner) -> bool:
            await run(tx, queries.INBOX_LOCK, params)
            records = await fetch(tx, query, params)
            return bool(records and records[0]["changed"])

        return await self._connection.write(work, action)

    async def renew(self, delivery_id: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
        """See ``Inbox.renew``."""
        params: dict[str, object] = {
            "id": delivery_id,
            "owner": owner,
            "inbox_now": self._inbox_now(now),
            "lease_ms": _ms_of(lease),
        }
        return await self._held(queries.INBOX_RENEW, params, "renewing a webhook lease")

    async def complete(self, delivery_id: str, owner: str, *, now: datetime, outcome: str) -> bool:
        """See ``Inbox.complete``."""
        params: dict[str, object] = {"id": delivery_id, "owner": owner, "now": _ms(now), "outcome": outcome}
        return await self._held(queries.INBOX_COMPLETE, params, "completing a webhook delivery")

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
            # A delay, not a time: due that long after the inbox's now (retry_at on the caller's).
            "delay_ms": None if retry_at is None else _ms(retry_at) - _ms(now),
            "inbox_now": self._inbox_now(now),
            "finished": _ms(now) if retry_at is None else None,
        }
        return await self._held(queries.INBOX_FAIL, params, "recording a webhook failure")

    async def get(self, delivery_id: str) -> Delivery | None:
        """See ``Inbox.get``."""
        records = await self._connection.query(queries.INBOX_GET, {"id": delivery_id}, "reading a delivery")
        return _delivery(records[0]["delivery"]) if records else None

    async def recent(self, limit: int, *, after: tuple[datetime, str] | None = None) -> Sequence[Delivery]:
        """See ``Inbox.recent``."""
        params = {
            "limit": limit,
            "at": None if after is None else _ms(after[0]),
            "after_id": None if after is None else after[1],
        }
        records = await self._connection.query(queries.INBOX_RECENT, params, "reading deliveries")
        return [_delivery(r["delivery"]) for r in records]

    async def backlog(self) -> Backlog:
        """See ``Inbox.backlog``."""
        records = await self._connection.query(queries.INBOX_BACKLOG, {}, "measuring the webhook inbox")
        return Backlog(int(records[0]["waiting"]), _time(records[0]["oldest"]))

    async def retry(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """See ``Inbox.retry``."""
        params = {"id": delivery_id, "inbox_now": self._inbox_now(now)}

        async def work(tx: Runner) -> Delivery | None:
            await run(tx, queries.INBOX_LOCK, params)
            await run(tx, queries.INBOX_RETRY, params)
            records = await fetch(tx, queries.INBOX_GET, params)
            return _delivery(records[0]["delivery"]) if records else None

        return await self._connection.write(work, "retrying a webhook delivery")

    async def prune(self, *, finished_before: datetime) -> int:
        """See ``Inbox.prune``."""
        deleted = 0
        while True:
            seen, batch = await self._prune_batch(_ms(finished_before))
            deleted += batch
            if seen < _PRUNE_BATCH:
                return deleted

    async def _prune_batch(self, before: int) -> tuple[int, int]:
        """Delete up to ``_PRUNE_BATCH`` of ``prune``'s deliveries in one transaction.

        Returns:
            How many were candidates, and how many of them were deleted.
        """
        params = {"states": sorted(FINAL_STATES), "before": before, "batch": _PRUNE_BATCH}

        async def work(tx: Runner) -> tuple[int, int]:
            candidates = [r["id"] for r in await fetch(tx, queries.INBOX_PRUNE_CANDIDATES, params)]
            if not candidates:
                return 0, 0
            records = await fetch(tx, queries.INBOX_PRUNE, {**params, "ids": candidates})
            return len(candidates), int(records[0]["deleted"])

        return await self._connection.write(work, "pruning webhook deliveries")
