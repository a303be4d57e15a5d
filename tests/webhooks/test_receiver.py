"""The receiver answers within Svix's timeout even when the inbox does not answer."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreUnavailable
from precedent.sources.incidentio.webhooks import WebhookVerifier
from precedent.store.embedded import SqliteInbox
from precedent.webhooks.receiver import Receiver
from tests.webhooks.payloads import incident_event
from tests.webhooks.signing import SECRET, signed_headers

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
