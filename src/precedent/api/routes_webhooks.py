"""Webhook routes: receive incident.io deliveries, list them, retry one.

``POST /v1/webhooks/incident-io`` reads the raw body (at most 1 MiB) and hands it to the
``Receiver``, which verifies and records it durably before this answers 200. Errors become
problem+json in ``api/errors.py``. Once the API has tokens, the two delivery routes are admin-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from pydantic import BaseModel

from precedent.errors import DeliveryTooLarge, NotFound
from precedent.sources.incidentio.webhooks import MAX_BODY_BYTES
from precedent.store import Delivery, DeliveryState
from precedent.webhooks import WebhookService

__all__ = ["WEBHOOK_ROUTES", "DeliveryDTO", "ReceiptDTO"]


class ReceiptDTO(BaseModel):
    id: str
    event_type: str
    status: Literal["accepted", "duplicate", "ignored"]


class DeliveryDTO(BaseModel):
    id: str
    event_type: str
    state: DeliveryState
    attempts: int
    outcome: str | None
    error: str | None
    incident_id: str | None
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    waited_seconds: float | None
    """From receipt to the first claim by a worker."""
    worked_seconds: float | None
    """From the first claim to the final state."""

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> DeliveryDTO:
        started, finished = delivery.started_at, delivery.finished_at
        return cls(
            id=delivery.id,
            event_type=delivery.event_type,
            state=delivery.state,
            attempts=delivery.attempts,
            outcome=delivery.outcome,
            error=delivery.error,
            incident_id=delivery.incident_id,
            received_at=delivery.received_at,
            started_at=started,
            finished_at=finished,
            waited_seconds=(started - delivery.received_at).total_seconds() if started else None,
            worked_seconds=(finished - started).total_seconds() if started and finished else None,
        )


async def _read_body(request: Request[Any, Any, Any]) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise DeliveryTooLarge(f"the body is {declared} bytes; deliveries are limited to {MAX_BODY_BYTES}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise DeliveryTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@post("/v1/webhooks/incident-io", status_code=200)
async def receive_incident_io(
    request: Request[Any, Any, Any], webhooks: NamedDependency[WebhookService]
) -> ReceiptDTO:
    """Receive one incident.io delivery (Standard Webhooks signature); 200 once it is durable."""
    body = await _read_body(request)
    receipt = await webhooks.receiver.receive(body, dict(request.headers))
    return ReceiptDTO(id=receipt.delivery_id, event_type=receipt.event_type, status=receipt.status)


@get("/v1/webhooks/deliveries")
async def list_deliveries(
    webhooks: NamedDependency[WebhookService], limit: FromQuery[int] = 50
) -> list[DeliveryDTO]:
    """Recent deliveries, newest first, with their outcome, state and timings."""
    found = await webhooks.inbox.recent(max(1, min(limit, 500)))
    return [DeliveryDTO.from_delivery(d) for d in found]


@post("/v1/webhooks/deliveries/{delivery_id:str}/retry", status_code=200)
async def retry_delivery(
    delivery_id: FromPath[str], webhooks: NamedDependency[WebhookService]
) -> DeliveryDTO:
    """Work on a finished, dead, ignored or rejected delivery again, now."""
    found = await webhooks.inbox.retry(delivery_id, now=webhooks.clock())
    if found is None:
        raise NotFound("webhook delivery", delivery_id)
    webhooks.worker.wake()
    return DeliveryDTO.from_delivery(found)


WEBHOOK_ROUTES = [receive_incident_io, list_deliveries, retry_delivery]
