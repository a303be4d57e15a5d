"""The receiver answers within Svix's timeout even when the inbox does not answer, and logs why it refuses."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreUnavailable, WebhookRejected
from precedent.sources.incidentio.webhooks import WebhookVerifier
from precedent.store.embedded import SqliteInbox
from precedent.webhooks.receiver import Receiver
from tests.webhooks.payloads import incident_event
from tests.webhooks.signing import OTHER_SECRET, SECRET, signed_headers

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import NewDelivery


class StalledInbox(SqliteInbox):
    """An inbox whose writes never finish, as a Neo4j that stopped answering (the driver retries 30 s)."""

    async def record(self, delivery: NewDelivery) -> bool:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_an_inbox_that_does_not_answer_is_a_503_before_svix_gives_up(tmp_path: Path) -> None:
    inbox = StalledInbox(tmp_path / "webhooks.sqlite")
    receiver = Receiver(WebhookVerifier([SECRET]), inbox, record_timeout=0.2)
    body = json.dumps(incident_event()).encode()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.2 s; incident.io will send"):
        await receiver.receive(body, signed_headers(body, "msg_stalled"))
    assert time.monotonic() - started < 5


async def test_a_refused_delivery_is_logged_with_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The 401's reason went only to incident.io: an operator who pasted the wrong secret, or whose
    # clock drifted, saw every delivery refused in the log with nothing but its status.
    receiver = Receiver(WebhookVerifier([SECRET]), SqliteInbox(tmp_path / "webhooks.sqlite"))
    body = json.dumps(incident_event()).encode()
    refused = [
        signed_headers(body, "msg_other_secret", secret=OTHER_SECRET),
        signed_headers(body, "msg_stale", at=datetime.now(UTC) - timedelta(hours=1)),
    ]
    with caplog.at_level(logging.WARNING, logger="precedent.webhooks"):
        for headers in refused:
            with pytest.raises(WebhookRejected):
                await receiver.receive(body, headers)
    lines = [r.getMessage() for r in caplog.records if r.name == "precedent.webhooks"]
    assert len(lines) == 2
    assert "msg_other_secret" in lines[0]
    assert "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET" in lines[0]
    assert "msg_stale" in lines[1]
    assert "check the server clock" in lines[1]
    assert all(SECRET not in line for line in lines)
