"""A webhook delivery as the deliveries route lists it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from precedent.responses.webhooks import DeliveryResponse
from precedent.store.inbox import Delivery


def test_a_claim_timed_by_another_clock_before_receipt_waited_no_time() -> None:
    # On Neo4j the claim is timed by the database's clock and the receipt by the receiver's: one
    # claimed at once was listed as having waited -0.009 s.
    received = datetime(2026, 12, 5, 15, 8, 0, tzinfo=UTC)
    delivery = Delivery(
        id="msg_1",
        event_type="public_incident.incident_created_v2",
        body="{}",
        received_at=received,
        state="done",
        attempts=1,
        started_at=received - timedelta(milliseconds=9),
        finished_at=received + timedelta(seconds=9),
    )

    listed = DeliveryResponse.from_delivery(delivery)

    assert listed.waited_seconds == 0.0
    assert listed.worked_seconds == 9.009
