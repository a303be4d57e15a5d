"""Acknowledgements go first: the in-process worker waits while a delivery is being answered."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from precedent.webhooks import AckPriority
from tests.webhooks.conftest import app_client
from tests.webhooks.payloads import INCIDENT_ID, body, incident_event
from tests.webhooks.signing import signed_headers

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from precedent.webhooks import WebhookService
    from tests.webhooks.conftest import Backend, RecordingBuilder

URL = "/v1/webhooks/incident-io"


async def test_the_worker_goes_at_once_on_a_quiet_loop() -> None:
    priority = AckPriority(patience=10.0)
    started = time.perf_counter()
    await priority.turn()
    assert time.perf_counter() - started < 0.5
    assert priority.deferred == 0


async def test_the_worker_waits_while_a_delivery_is_answered_and_goes_when_it_is_done() -> None:
    priority = AckPriority(patience=10.0)
    with priority.answering_one():
        waiting = asyncio.create_task(priority.turn())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        assert priority.answering == 1
    await asyncio.wait_for(waiting, 1.0)
    assert priority.deferred == 1


async def test_a_flood_without_pauses_still_lets_the_worker_take_a_step_after_its_patience() -> None:
    priority = AckPriority(patience=0.05)
    with priority.answering_one():
        started = time.perf_counter()
        await asyncio.wait_for(priority.turn(), 5.0)
        assert time.perf_counter() - started >= 0.04


async def test_the_receiver_counts_the_delivery_it_is_answering(
    client: httpx.AsyncClient, service: WebhookService
) -> None:
    seen: list[int] = []
    record = service.inbox.record

    async def watched(delivery: object) -> bool:
        seen.append(service.priority.answering)
        return await record(delivery)  # type: ignore[arg-type]

    service.inbox.record = watched  # type: ignore[method-assign]
    payload = body(incident_event())
    response = await client.post(URL, content=payload, headers=signed_headers(payload, "msg_1"))
    assert response.status_code == 200
    assert seen == [1]
    assert service.priority.answering == 0


async def test_a_waiting_delivery_is_processed_only_once_the_acknowledgement_is_out(
    backend: Backend, builder: RecordingBuilder, tmp_path: Path
) -> None:
    # Patience far beyond the test, so only the end of the acknowledgement lets the worker on.
    service = backend.service(builder, priority=AckPriority(patience=60.0))
    async for client in app_client(backend, service, tmp_path):
        payload = body(incident_event())
        response = await client.post(URL, content=payload, headers=signed_headers(payload, "msg_1"))
        assert response.status_code == 200
    await service.inbox.open()  # the app's lifespan closed it
    try:
        with service.priority.answering_one():  # another delivery arriving, still being written
            working = asyncio.create_task(service.worker.drain())
            await asyncio.sleep(0.1)
            assert builder.calls == []
            assert not working.done()
        assert await asyncio.wait_for(working, 30) == 1
        assert builder.calls == [INCIDENT_ID]
        assert service.priority.deferred >= 1
        delivery = await service.inbox.get("msg_1")
        assert delivery is not None
        assert delivery.state == "done"
    finally:
        await service.inbox.close()
