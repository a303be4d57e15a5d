"""Signs deliveries in tests with the library's own signer (never a hand-rolled HMAC)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from standardwebhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"precedent-test-secret-0123456789").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-for-rotation-test").decode()
EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "incidentio" / "examples"


def example(event_type: str) -> dict[str, object]:
    """The spec's example payload for ``event_type`` (shared/incidentio/examples/spec-webhooks)."""
    document: dict[str, object] = json.loads((EXAMPLES / "spec-webhooks" / f"{event_type}.json").read_text())
    return document


def signed_headers(
    body: bytes,
    delivery_id: str,
    *,
    secret: str = SECRET,
    at: datetime | None = None,
    prefix: str = "webhook",
) -> dict[str, str]:
    """Headers incident.io would send for ``body``."""
    when = at or datetime.now(UTC)
    signature = Webhook(secret).sign(delivery_id, when, body.decode())
    return {
        f"{prefix}-id": delivery_id,
        f"{prefix}-timestamp": str(int(when.timestamp())),
        f"{prefix}-signature": signature,
        "content-type": "application/json",
    }
