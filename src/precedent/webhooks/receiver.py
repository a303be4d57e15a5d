"""Receives a delivery: verify, parse, write it durably to the inbox, and only then acknowledge.

The receiver does no work on the incident itself; it wakes the worker and returns, so the
acknowledgement is fast. Every outcome maps to one HTTP answer (``api/errors.py``):

- no signing secret configured: ``WebhooksDisabled`` (503);
- missing, bad, stale or future signature: ``BadSignature``/``StaleTimestamp`` (401), nothing stored;
- signed but not JSON or not its event's schema: ``MalformedDelivery`` (400), recorded as rejected;
- a ``webhook-id`` too long to store: ``MalformedDelivery`` (400) before the signature, nothing stored;
- the inbox cannot be written, or not within ``record_timeout`` (10 s; Svix gives up after 15 s):
  ``StoreUnavailable`` (503), so incident.io sends it again;
- otherwise a receipt (2xx): accepted, a duplicate, or recorded and ignored.

A ``webhook-id`` names one message, and incident.io resends it with the same body; one that comes
again with another body (signed, so incident.io's) is kept too, under the id and its body's hash,
and worked on: acknowledging it as a duplicate would drop it unseen. The processor keeps the
newest state whichever arrives last (``updated_at`` decides).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from precedent.errors import (
    BadSignature,
    MalformedDelivery,
    PrecedentError,
    StaleTimestamp,
    StoreError,
    StoreUnavailable,
    WebhookRejected,
    WebhooksDisabled,
)
from precedent.metrics import WEBHOOK_DELIVERIES
from precedent.sources.incidentio.webhooks import claimed_id, parse_event
from precedent.store import NewDelivery
from precedent.webhooks.processor import HANDLED_EVENTS, incident_id_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from precedent.sources.incidentio.webhooks import WebhookVerifier
    from precedent.store import Delivery, Inbox
    from precedent.webhooks.priority import AckPriority

__all__ = ["Receipt", "Receiver", "other_body_id"]

log = logging.getLogger("precedent.webhooks")


@dataclass(frozen=True)
class Receipt:
    """What happened to an acknowledged delivery."""

    delivery_id: str
    event_type: str
    status: Literal["accepted", "duplicate", "ignored"]


def other_body_id(delivery_id: str, body: str) -> str:
    """The inbox id of a delivery that reused ``delivery_id`` with another ``body``."""
    return f"{delivery_id}~{hashlib.sha256(body.encode()).hexdigest()[:16]}"


# A refused delivery's outcome label; anything else (the inbox down) is "failed".
_OUTCOMES: dict[type[PrecedentError], str] = {
    BadSignature: "bad_signature",
    StaleTimestamp: "stale",
    MalformedDelivery: "malformed",
    WebhooksDisabled: "disabled",
}


class Receiver:
    """Turns a raw delivery into an inbox entry.

    Args:
        verifier: Checks signatures; ``None`` when no secret is configured (every delivery gets 503).
        inbox: Where deliveries are written before the acknowledgement.
        on_accepted: Called after a new delivery to be worked on is durable (wakes the worker).
        clock: The current time.
        priority: Told while a delivery is being acknowledged, so that the worker waits.
        record_timeout: Seconds the inbox write may take before the answer is 503: a database
            that does not answer would otherwise hold the request past Svix's 15 s timeout (the
            Neo4j driver retries for 30 s).
    """

    def __init__(
        self,
        verifier: WebhookVerifier | None,
        inbox: Inbox,
        *,
        on_accepted: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        priority: AckPriority | None = None,
        record_timeout: float = 10.0,
    ) -> None:
        self._verifier = verifier
        self._record_timeout = record_timeout
        self._inbox = inbox
        self._on_accepted = on_accepted
        self._clock = clock
        self._priority = priority

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> Receipt:
        """Verify, parse and durably record one delivery, counting its outcome in the metrics.

        Raises:
            WebhooksDisabled: if no signing secret is configured.
            WebhookRejected: if the signature is bad (401) or the signed body is malformed (400).
            StoreUnavailable: if the inbox cannot be written.
        """
        try:
            with self._priority.answering_one() if self._priority else contextlib.nullcontext():
                receipt = await self._receive(body, headers)
        except PrecedentError as exc:
            outcome = next((_OUTCOMES[c] for c in type(exc).__mro__ if c in _OUTCOMES), "failed")
            WEBHOOK_DELIVERIES.labels(outcome).inc()
            if isinstance(exc, WebhookRejected):
                # The answer's detail reaches only incident.io: without this line, a wrong secret
                # or a drifting clock refuses every delivery with nothing logged but the status.
                # The claimed id is unverified: logged quoted, so a line break in it forges no line.
                log.warning("webhook delivery %r refused (%s): %s", claimed_id(headers), outcome, exc)
            raise
        WEBHOOK_DELIVERIES.labels(receipt.status).inc()
        return receipt

    async def _receive(self, body: bytes, headers: Mapping[str, str]) -> Receipt:
        if self._verifier is None:
            raise WebhooksDisabled(
                "webhooks are off: set PRECEDENT_INCIDENTIO_WEBHOOK_SECRET to the signing secret of this "
                "endpoint in incident.io (Settings > Webhooks) and restart"
            )
        signed = self._verifier.verify(body, headers)
        text = body.decode("utf-8")  # verification succeeded, so it is UTF-8
        now = self._clock()
        try:
            event = parse_event(body)
        except MalformedDelivery as exc:
            rejected = NewDelivery(signed.id, exc.event_type, text, now, "rejected", str(exc))
            await self._record_rejection(rejected)
            raise
        if event.event_type not in HANDLED_EVENTS:
            reason = (
                f"{event.event_type} is not acted on"
                if event.known
                else f"{event.event_type} is not an event type this version knows"
            )
            await self._record(NewDelivery(signed.id, event.event_type, text, now, "ignored", reason))
            return Receipt(signed.id, event.event_type, "ignored")
        incident_id = incident_id_of(event.event_type, event.resource)
        delivery = NewDelivery(signed.id, event.event_type, text, now, incident_id=incident_id)
        if not await self._record(delivery):
            kept = await self._read(signed.id)
            if kept is None or kept.body == text:
                return Receipt(signed.id, event.event_type, "duplicate")
            delivery = dataclasses.replace(delivery, id=other_body_id(signed.id, text))
            log.warning(
                "webhook delivery %s arrived again with another body; kept as %s and worked on too",
                signed.id,
                delivery.id,
            )
            if not await self._record(delivery):
                return Receipt(delivery.id, event.event_type, "duplicate")
        self._on_accepted()
        return Receipt(delivery.id, event.event_type, "accepted")

    async def _read(self, delivery_id: str) -> Delivery | None:
        try:
            async with asyncio.timeout(self._record_timeout):
                return await self._inbox.get(delivery_id)
        except (TimeoutError, StoreError) as exc:
            # Unanswered, the resend is not yet known to be the same: incident.io sends it again.
            raise StoreUnavailable(
                f"the webhook inbox cannot be read to compare a repeated delivery: {exc}"
            ) from exc

    async def _record(self, delivery: NewDelivery) -> bool:
        # Whatever keeps the write from being durable is a 503: incident.io will send it again.
        try:
            async with asyncio.timeout(self._record_timeout):
                return await self._inbox.record(delivery)
        except TimeoutError as exc:
            # If the write still lands, incident.io's resend is acknowledged as a duplicate.
            raise StoreUnavailable(
                f"the webhook inbox did not answer within {self._record_timeout:g} s; incident.io "
                "will send the delivery again (check that the store is up: GET /ready)",
                for_clients=True,
            ) from exc
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise StoreUnavailable(f"the webhook inbox cannot be written: {exc}") from exc

    async def _record_rejection(self, delivery: NewDelivery) -> None:
        # The answer is 400 whether or not the record is written: the body will not get better.
        try:
            await self._inbox.record(delivery)
        except StoreError:
            log.exception("could not record rejected webhook delivery %s", delivery.id)
