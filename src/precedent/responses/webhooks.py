"""Webhook deliveries as the API (and any other surface) shows them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from precedent.responses.base import ResponseModel

if TYPE_CHECKING:
    from precedent.browse import Page
    from precedent.store import Delivery
    from precedent.webhooks import Receipt

__all__ = ["DeliveryPageResponse", "DeliveryResponse", "ReceiptResponse"]

DeliveryStateName = Literal["pending", "leased", "done", "dead", "rejected", "ignored"]


class ReceiptResponse(ResponseModel):
    """The acknowledgement of a delivery: it is durably in the inbox."""

    id: str = Field(
        description=(
            "the id the delivery is kept under: its webhook-id header, followed by ~ and 16 hex digits "
            "of the body's SHA-256 when that id came before with another body"
        )
    )
    event_type: str
    status: Literal["accepted", "duplicate", "ignored"] = Field(
        description="accepted: new, to be processed; duplicate: seen before; ignored: recorded only"
    )

    @classmethod
    def from_receipt(cls, receipt: Receipt) -> ReceiptResponse:
        return cls(id=receipt.delivery_id, event_type=receipt.event_type, status=receipt.status)


class DeliveryResponse(ResponseModel):
    """One delivery in the inbox: what it was, what became of it, and how long it took."""

    id: str
    event_type: str
    state: DeliveryStateName
    attempts: int
    outcome: str | None = Field(description="what processing did, or why nothing more was done")
    error: str | None = Field(description="the last failure, or why it was rejected or ignored")
    incident_id: str | None
    received_at: datetime
    started_at: datetime | None = Field(description="first claimed by a worker")
    finished_at: datetime | None
    waited_seconds: float | None = Field(
        description="from receipt to the first claim, never below 0 (on Neo4j the claim is timed by "
        "the database's clock, the receipt by the receiving process's)"
    )
    worked_seconds: float | None = Field(description="from the first claim to the final state")

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> DeliveryResponse:
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
            # Two clocks on Neo4j: a claim within milliseconds of receipt read as a negative wait.
            waited_seconds=max((started - delivery.received_at).total_seconds(), 0.0) if started else None,
            worked_seconds=(finished - started).total_seconds() if started and finished else None,
        )


class DeliveryPageResponse(ResponseModel):
    """One page of the inbox, newest received first."""

    items: list[DeliveryResponse]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def from_page(cls, page: Page[Delivery]) -> DeliveryPageResponse:
        """Render a page."""
        return cls(
            items=[DeliveryResponse.from_delivery(d) for d in page.items], next_cursor=page.next_cursor
        )
