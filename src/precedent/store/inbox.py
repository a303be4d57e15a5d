"""The webhook inbox: deliveries written durably before they are acknowledged, worked through leases.

Implementations: ``store/embedded/inbox.py`` (SQLite in the data directory) and
``store/neo4j/inbox.py`` (``WebhookDelivery`` nodes in the database); ``tests/store/test_inbox.py``
runs one contract suite on both.

A delivery's life::

    record ──> pending ──claim──> leased ──complete──> done
                  ^                 │  └──fail(retry_at)──> pending (available again at retry_at)
                  │                 │  └──fail(None)──────> dead
                  └── lease expires (another worker's claim takes it, one more attempt)
    record(state="rejected" | "ignored") is final from the start; retry() makes any final one pending.
    prune(finished_before) deletes final ones that got there before then; never a pending or leased one.

Every mutation after ``claim`` names the lease owner; it is refused (``False``) when the lease has
passed to another worker, so a worker that stalled past its lease cannot overwrite the redo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

__all__ = ["FINAL_STATES", "Backlog", "Delivery", "DeliveryState", "Inbox", "NewDelivery"]

DeliveryState = Literal["pending", "leased", "done", "dead", "rejected", "ignored"]
FINAL_STATES: frozenset[DeliveryState] = frozenset({"done", "dead", "rejected", "ignored"})


@dataclass(frozen=True)
class NewDelivery:
    """A delivery as received, before any work.

    Attributes:
        id: The ``webhook-id`` (idempotency key).
        event_type: The event type, or ``""`` when the body had none.
        body: The raw body, decoded as UTF-8 (verification guarantees it is).
        received_at: When it arrived.
        state: ``pending`` to be worked on, ``ignored`` or ``rejected`` to keep only a record.
        error: Why it was rejected or ignored.
        incident_id: The incident it is about, when the payload names one.
    """

    id: str
    event_type: str
    body: str
    received_at: datetime
    state: Literal["pending", "ignored", "rejected"] = "pending"
    error: str | None = None
    incident_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A delivery with its progress.

    Attributes:
        attempts: Claims so far (an expired lease counts as one).
        outcome: What the work did, or why nothing more was done.
        error: The last failure (or the rejection reason).
        lease_owner: The worker holding (or last holding) the lease.
        lease_expires_at: When the current lease runs out.
        available_at: When a pending delivery may be claimed (a retry's back-off).
        started_at: First claim; ``finished_at``: when it reached a final state.
    """

    id: str
    event_type: str
    body: str
    received_at: datetime
    state: DeliveryState
    attempts: int = 0
    outcome: str | None = None
    error: str | None = None
    incident_id: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    available_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Backlog:
    """Deliveries not yet applied (``pending`` or ``leased``): how many, and when the oldest arrived."""

    waiting: int
    oldest_received_at: datetime | None


@runtime_checkable
class Inbox(Protocol):
    """Durable, idempotent storage of webhook deliveries, shared by every worker of one deployment.

    Times are passed in by the caller (the worker's clock) and stored to the millisecond; the
    Neo4j inbox, whose receiver and workers may run on several machines, times its leases and
    when a delivery falls due by the database's clock instead (``lease_clock``), so a worker
    whose clock runs ahead cannot take a live lease nor cut a retry's back-off short, and one
    whose clock runs behind does not wait for the deliveries a receiver ahead of it recorded.
    """

    async def open(self) -> None:
        """Create or connect to the storage.

        Raises:
            StoreUnavailable: if it cannot be opened or written.
        """

    async def close(self) -> None:
        """Release it. Idempotent."""

    async def record(self, delivery: NewDelivery) -> bool:
        """Store ``delivery`` unless its id is already there; durable when this returns.

        Returns:
            ``True`` if it was new, ``False`` for a repeat (which changes nothing).

        Raises:
            StoreUnavailable: if it could not be written durably (answer 503 so it is sent again).
        """

    async def claim(self, owner: str, *, now: datetime, lease: timedelta, limit: int = 1) -> list[Delivery]:
        """Lease up to ``limit`` claimable deliveries to ``owner``, oldest first, atomically.

        Claimable: ``pending`` with ``available_at <= now``, or ``leased`` with an expired lease;
        and one delivery of an incident at a time, oldest first: none other with its
        ``incident_id`` is leased now, nor claimable and received before it. Workers on one
        incident at once would each read its stored state and then write theirs, the older last.
        Each claimed delivery has one more attempt and ``started_at`` set if it had none.
        """

    async def renew(self, delivery_id: str, owner: str, *, now: datetime, lease: timedelta) -> bool:
        """Extend ``owner``'s lease; ``False`` if it no longer holds it."""

    async def complete(self, delivery_id: str, owner: str, *, now: datetime, outcome: str) -> bool:
        """Mark it ``done`` with ``outcome``; ``False`` if ``owner`` no longer holds the lease."""

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
        """Record a failure: ``pending`` again from ``retry_at``, or ``dead`` when it is ``None``.

        ``counted=False`` takes back the attempt its claim counted: the store failed, not the
        delivery, so an outage does not spend the attempts that park it as dead.

        Returns:
            ``False`` if ``owner`` no longer holds the lease (nothing changes).
        """

    async def get(self, delivery_id: str) -> Delivery | None:
        """One delivery by id."""

    async def recent(self, limit: int, *, after: tuple[datetime, str] | None = None) -> Sequence[Delivery]:
        """The latest ``limit`` deliveries, newest received first (then id).

        Args:
            limit: At most this many.
            after: ``(received_at, id)`` of the last delivery of the previous page: only those
                after it in this order (received earlier, or at the same millisecond with a
                greater id), so pages neither repeat nor skip while deliveries keep arriving.
        """

    async def backlog(self) -> Backlog:
        """How many deliveries wait to be applied (``pending`` or ``leased``) and the oldest's arrival."""

    async def retry(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """Make a delivery pending again now, with its attempts reset; ``None`` if unknown.

        A delivery being worked on (``pending`` or ``leased``) is returned unchanged.
        """

    async def cannot_record(self) -> str | None:
        """Why a delivery could not be recorded durably now (its disk is all but full), or ``None``.

        Cheap enough for every readiness probe: it writes nothing. The message says what to do
        and names no path (it is shown to anonymous clients of ``GET /ready``).
        """

    async def prune(self, *, finished_before: datetime) -> int:
        """Delete the final deliveries (``FINAL_STATES``) that reached that state before ``finished_before``.

        A ``pending`` or ``leased`` delivery is never deleted, however old; one retried meanwhile
        is pending again, so it stays. Deleted in batches, so receiving is not held up. Its id is
        forgotten with it: a repeat of it afterwards would be new, so the caller keeps deliveries
        longer than incident.io retries one.

        Returns:
            How many were deleted.
        """
