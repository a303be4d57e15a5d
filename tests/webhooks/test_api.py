"""POST /v1/webhooks/incident-io end to end on both stores: every rejection, duplicates, the events."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from precedent.metrics import REGISTRY
from precedent.model import Node
from precedent.store.embedded import SqliteInbox
from precedent.webhooks import IncidentWriter
from precedent.webhooks.receiver import other_body_id
from tests.webhooks.conftest import Backend, RecordingBuilder, app_client, investigation_id
from tests.webhooks.payloads import (
    CREATED,
    INCIDENT_ID,
    SERVICE_ID,
    UPDATED,
    body,
    incident,
    incident_event,
    status_event,
)
from tests.webhooks.signing import OTHER_SECRET, example, signed_headers

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from precedent.webhooks import WebhookService

URL = "/v1/webhooks/incident-io"


async def send(client: httpx.AsyncClient, payload: bytes, delivery_id: str, **kwargs: object) -> int:
    response = await client.post(URL, content=payload, headers=signed_headers(payload, delivery_id, **kwargs))  # type: ignore[arg-type]
    return response.status_code


async def deliveries(client: httpx.AsyncClient) -> dict[str, dict[str, object]]:
    response = await client.get("/v1/webhooks/deliveries")
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None
    return {d["id"]: d for d in response.json()["items"]}


async def test_a_declared_incident_is_mapped_and_investigated(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, builder: RecordingBuilder
) -> None:
    response = await client.post(
        URL, content=body(incident_event()), headers=signed_headers(body(incident_event()), "msg_1")
    )
    assert response.status_code == 200
    assert response.json() == {"id": "msg_1", "event_type": CREATED, "status": "accepted"}
    assert builder.calls == []  # acknowledged before any work
    assert await service.worker.drain() == 1
    assert builder.calls == [INCIDENT_ID]
    [stored] = await backend.store.get_nodes([INCIDENT_ID], with_embeddings=True)
    assert (stored.label, stored.properties["name"], stored.properties["status"]) == (
        "Incident",
        "Our database is sad",
        "Investigating",
    )
    assert stored.embedding is not None
    listed = (await deliveries(client))["msg_1"]
    assert (listed["state"], listed["attempts"], listed["incident_id"]) == ("done", 1, INCIDENT_ID)
    assert "investigation inv:" in str(listed["outcome"])
    assert listed["waited_seconds"] is not None
    assert listed["worked_seconds"] is not None


async def test_a_lone_surrogate_in_a_signed_delivery_is_mapped_as_a_replacement_character(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend
) -> None:
    # JSON may escape half a surrogate pair; decoded as it is, the text cannot be written (the
    # Neo4j driver, the tokenizer), so the acknowledged delivery failed every attempt and died.
    payload = json.dumps(incident_event(name="Our database is sad \ud83d")).encode()
    assert await send(client, payload, "msg_half") == 200
    assert await service.worker.drain() == 1
    assert (await deliveries(client))["msg_half"]["state"] == "done"
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert stored.properties["name"] == "Our database is sad \ufffd"


async def test_a_delivery_to_a_url_with_a_query_string_is_accepted(
    client: httpx.AsyncClient, service: WebhookService
) -> None:
    # The URL is what incident.io was given; a tag added to it for a proxy must not refuse
    # every delivery, as an unknown query parameter on another /v1 route is refused.
    payload = body(incident_event())
    response = await client.post(
        f"{URL}?source=incident-io", content=payload, headers=signed_headers(payload, "msg_q")
    )
    assert response.status_code == 200, response.text
    assert await service.worker.drain() == 1


async def test_a_repeated_delivery_is_acknowledged_and_processed_once(
    client: httpx.AsyncClient, service: WebhookService, builder: RecordingBuilder
) -> None:
    payload = body(incident_event())
    assert await send(client, payload, "msg_1") == 200
    await service.worker.drain()
    again = await client.post(URL, content=payload, headers=signed_headers(payload, "msg_1"))
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert await service.worker.drain() == 0
    assert builder.calls == [INCIDENT_ID]


async def test_a_delivery_id_reused_with_another_body_is_kept_and_worked_on_too(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # The second body, signed by incident.io, was acknowledged as a duplicate and dropped unseen.
    first = body(incident_event(name="Our database is sad", updated_at="2026-12-02T10:00:00Z"))
    second = body(incident_event(UPDATED, name="Database down in eu-west", updated_at="2026-12-02T10:05:00Z"))
    assert await send(client, first, "msg_1") == 200
    await service.worker.drain()
    caplog.clear()
    with caplog.at_level("WARNING", logger="precedent.webhooks"):
        answer = await client.post(URL, content=second, headers=signed_headers(second, "msg_1"))
    kept_as = other_body_id("msg_1", second.decode())
    assert (answer.status_code, answer.json()) == (
        200,
        {"id": kept_as, "event_type": UPDATED, "status": "accepted"},
    )
    # Only the receiver's warnings: a test run before this one may leave the root logger at INFO,
    # and then the access line and the first delivery's lines are captured too.
    warned = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("precedent.webhooks")
    ]
    assert [r.getMessage() for r in warned] == [
        f"webhook delivery msg_1 arrived again with another body; kept as {kept_as} and worked on too"
    ]
    for delivery_id, payload in [("msg_1", first), ("msg_1", second)]:  # resent as they were: once each
        again = await client.post(URL, content=payload, headers=signed_headers(payload, delivery_id))
        assert again.json()["status"] == "duplicate"
    assert await service.worker.drain() == 1
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert stored.properties["name"] == "Database down in eu-west"
    assert set(await deliveries(client)) == {"msg_1", kept_as}


@pytest.mark.parametrize(
    "tamper",
    ["no headers", "wrong secret", "stale", "future", "tampered body", "malformed signature", "svix mix"],
)
async def test_bad_signatures_are_401_and_store_nothing(client: httpx.AsyncClient, tamper: str) -> None:
    payload = body(incident_event())
    headers = signed_headers(payload, "msg_bad")
    now = datetime.now(UTC)
    if tamper == "no headers":
        headers = {"content-type": "application/json"}
    elif tamper == "wrong secret":
        headers = signed_headers(payload, "msg_bad", secret=OTHER_SECRET)
    elif tamper == "stale":
        headers = signed_headers(payload, "msg_bad", at=now - timedelta(minutes=6))
    elif tamper == "future":
        headers = signed_headers(payload, "msg_bad", at=now + timedelta(minutes=6))
    elif tamper == "tampered body":
        payload = payload.replace(b"sad", b"mad")
    elif tamper == "malformed signature":
        headers["webhook-signature"] = "v1,@@@ v1"
    elif tamper == "svix mix":
        headers["svix-id"] = headers.pop("webhook-id")
    response = await client.post(URL, content=payload, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    assert await deliveries(client) == {}


async def test_signed_garbage_is_400_and_recorded_as_rejected(client: httpx.AsyncClient) -> None:
    assert await send(client, b"{not json", "msg_json") == 400
    broken = incident_event()
    del broken[CREATED]["name"]
    response = await client.post(
        URL, content=body(broken), headers=signed_headers(body(broken), "msg_schema")
    )
    assert response.status_code == 400
    assert "name" in response.json()["detail"]
    listed = await deliveries(client)
    assert {k: v["state"] for k, v in listed.items()} == {"msg_json": "rejected", "msg_schema": "rejected"}
    assert "not JSON" in str(listed["msg_json"]["error"])
    # An off-schema body still names its event, so the operator sees which one incident.io sent.
    assert (listed["msg_json"]["event_type"], listed["msg_schema"]["event_type"]) == ("", CREATED)


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (("id",), "0" * 9000, "9000 characters, longer than the 1024 an id may have"),
        (("severity", "rank"), 10**30, "is outside the signed 64-bit integers"),
    ],
)
async def test_values_neo4j_cannot_hold_are_400_and_recorded_as_rejected(
    client: httpx.AsyncClient, builder: RecordingBuilder, path: tuple[str, ...], value: object, says: str
) -> None:
    # The embedded store took them; Neo4j refused them in the worker ("Property value is too large
    # to index", the driver's OverflowError), after the 200: retried five times, then dead.
    event = incident_event()
    parent = event[CREATED]
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    response = await client.post(URL, content=body(event), headers=signed_headers(body(event), "msg_big"))
    assert response.status_code == 400
    assert says in response.json()["detail"]
    listed = await deliveries(client)
    assert listed["msg_big"]["state"] == "rejected"
    assert says in str(listed["msg_big"]["error"])
    assert builder.calls == []


@pytest.mark.parametrize("prefix", ["webhook", "svix"])
async def test_a_delivery_id_header_too_long_to_store_is_400_naming_the_header(
    client: httpx.AsyncClient, prefix: str
) -> None:
    # Neo4j's index refused the 9,000-character key: a 503, so incident.io sent it again and again.
    payload = body(incident_event())
    for delivery_id in ("m" * 9000, "m" * 257):
        headers = signed_headers(payload, delivery_id, prefix=prefix)
        response = await client.post(URL, content=payload, headers=headers)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["title"] == "MalformedDelivery"
        assert response.json()["detail"] == (
            f"the {prefix}-id header is {len(delivery_id)} characters, longer than the 256 a delivery "
            "id may have (incident.io's are msg_ and 27 characters); the delivery was not stored"
        )
        # Refused before the signature: a wrong one changes nothing about the answer.
        headers[f"{prefix}-signature"] = "v1,AAAA"
        assert (await client.post(URL, content=payload, headers=headers)).status_code == 400
    assert await deliveries(client) == {}
    longest = "m" * 256  # the longest id taken is stored on either store
    assert await send(client, payload, longest) == 200
    assert (await deliveries(client))[longest]["state"] in {"pending", "leased", "done"}


async def test_retrying_a_rejected_delivery_is_refused_with_409_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    assert await send(client, b"{not json", "msg_json") == 400
    before = (await deliveries(client))["msg_json"]
    response = await client.post("/v1/webhooks/deliveries/msg_json/retry")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert "rejected as malformed: " + str(before["error"]) in detail
    assert "send a corrected event from incident.io" in detail
    assert (await deliveries(client))["msg_json"] == before


async def test_a_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    payload = b'{"event_type": "x", "pad": "' + b"a" * (1024 * 1024) + b'"}'
    assert await send(client, payload, "msg_big") == 413
    assert await deliveries(client) == {}


async def test_unknown_and_unhandled_events_are_acknowledged_recorded_and_ignored(
    client: httpx.AsyncClient, service: WebhookService, builder: RecordingBuilder
) -> None:
    unknown = body({"event_type": "status_page_incident.update_shared_v1", "status_page_incident": {}})
    response = await client.post(URL, content=unknown, headers=signed_headers(unknown, "msg_new"))
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert await send(client, body(example("schedule.created_v1")), "msg_schedule") == 200
    assert await service.worker.drain() == 0
    listed = await deliveries(client)
    assert {k: v["state"] for k, v in listed.items()} == {"msg_new": "ignored", "msg_schedule": "ignored"}
    assert builder.calls == []


async def test_without_a_secret_deliveries_get_503(
    backend: Backend, builder: RecordingBuilder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = backend.service(builder, secrets=())
    async for client in app_client(backend, service, tmp_path):
        with caplog.at_level(logging.WARNING, logger="precedent"):
            response = await client.post(URL, content=b"{}", headers=signed_headers(b"{}", "msg_1"))
        assert response.status_code == 503
        assert "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET" in response.json()["detail"]
        assert response.headers["content-type"].startswith("application/problem+json")
    # The log says webhooks are off, in a line; not an error with a traceback per retried delivery.
    refused = [r for r in caplog.records if r.name == "precedent.api" and r.levelno >= logging.WARNING]
    assert [(r.levelname, r.exc_info) for r in refused] == [("WARNING", None)]
    assert "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET" in refused[0].getMessage()


async def test_an_unwritable_inbox_gets_503_so_incident_io_retries(
    embedded_backend: Backend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "blocked").mkdir()
    builder = RecordingBuilder(embedded_backend.store)
    service = embedded_backend.service(builder, inbox=SqliteInbox(tmp_path / "blocked"))
    async for client in app_client(embedded_backend, service, tmp_path):
        with caplog.at_level(logging.WARNING, logger="precedent"):
            assert await send(client, body(incident_event()), "msg_1") == 503
            assert await send(client, body(incident_event()), "msg_2") == 503
        assert (await client.get("/health")).status_code == 200
    # One line per refused delivery, no traceback: a flood of webhooks wrote one each.
    refused = [r for r in caplog.records if "status=503" in r.getMessage()]
    assert len(refused) == 2
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in refused)


async def test_an_unreachable_neo4j_inbox_gets_503_on_every_webhook_route(
    embedded_backend: Backend, tmp_path: Path
) -> None:
    from precedent.store.neo4j import Neo4jInbox

    builder = RecordingBuilder(embedded_backend.store)
    nowhere = Neo4jInbox(f"bolt://127.0.0.1:{_closed_port()}", auth=None, database="neo4j")
    service = embedded_backend.service(builder, inbox=nowhere)
    async for client in app_client(embedded_backend, service, tmp_path):
        assert await send(client, body(incident_event()), "msg_1") == 503
        assert (await client.get("/v1/webhooks/deliveries")).status_code == 503
        assert (await client.post("/v1/webhooks/deliveries/msg_1/retry")).status_code == 503
        # Not ready either: a load balancer would keep sending it deliveries that each get 503.
        ready = await client.get("/ready")
        assert ready.status_code == 503
        detail = ready.json()["detail"]
        assert detail == "the webhook inbox is not available yet; see the server log and retry"


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_out_of_order_updates_never_regress_the_incident(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, builder: RecordingBuilder
) -> None:
    newer = incident_event(UPDATED, name="Database down in eu-west", updated_at="2026-12-02T10:05:00Z")
    older = incident_event(CREATED, name="Our database is sad", updated_at="2026-12-02T10:00:00Z")
    assert await send(client, body(newer), "msg_2") == 200
    await service.worker.drain()
    assert await send(client, body(older), "msg_1") == 200
    await service.worker.drain()
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert stored.properties["name"] == "Database down in eu-west"
    assert "newer state" in str((await deliveries(client))["msg_1"]["outcome"])
    assert builder.calls == [INCIDENT_ID]


async def test_updates_rebuild_the_investigation_only_when_something_material_changed(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, builder: RecordingBuilder
) -> None:
    await send(client, body(incident_event()), "msg_1")
    await service.worker.drain()
    workload = incident_event(UPDATED, workload=99.0, updated_at="2026-12-02T10:01:00Z")
    await send(client, body(workload), "msg_2")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID]
    renamed = incident_event(UPDATED, name="Database is on fire", updated_at="2026-12-02T10:02:00Z")
    await send(client, body(renamed), "msg_3")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID, INCIDENT_ID]
    # A newly known affected service is material too.
    await backend.store.upsert_nodes([Node(SERVICE_ID, "Service", {"name": "Primary On-call"})])
    again = incident_event(UPDATED, name="Database is on fire", updated_at="2026-12-02T10:03:00Z")
    await send(client, body(again), "msg_4")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID] * 3
    affected = await backend.store.neighbours(INCIDENT_ID)
    assert SERVICE_ID in {edge.target for edge, _ in affected if edge.type == "AFFECTS"}


def redeclared() -> dict[str, Any]:
    """The incident declared anew a minute later (the demo's second run does this)."""
    again = incident_event(updated_at="2026-12-02T10:01:00Z")
    again[CREATED]["created_at"] = "2026-12-02T10:01:00Z"
    return again


async def test_a_declaration_again_rebuilds_the_investigation_only_when_what_it_reads_changed(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, builder: RecordingBuilder
) -> None:
    # incident.io may send incident_created_v2 again (a new delivery of the same declaration), and
    # the demo re-declares its incident on every run: rebuilding an unchanged one was wasted work
    # (and, with Slack, a repeated post).
    await send(client, body(incident_event()), "msg_1")
    await service.worker.drain()
    await send(client, body(incident_event()), "msg_2")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID]
    outcome = str((await deliveries(client))["msg_2"]["outcome"])
    assert "nothing the investigation reads changed; not rebuilt" in outcome
    # Declared anew (a later declaration time moves the window its changes and on-call are read in).
    await send(client, body(redeclared()), "msg_3")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID, INCIDENT_ID]


async def _redeclared_and_failing(
    client: httpx.AsyncClient, service: WebhookService, builder: RecordingBuilder
) -> None:
    """INC declared and built, then declared anew (msg_2, not yet worked) with builds failing."""
    await send(client, body(incident_event()), "msg_1")
    await service.worker.drain()
    await send(client, body(redeclared()), "msg_2")
    builder.fail = True


async def test_a_retried_delivery_builds_what_its_failed_attempt_wrote(
    backend: Backend, tmp_path: Path
) -> None:
    # The first attempt wrote the new declaration and its build failed (or the process died):
    # the retry found the incident unchanged and an investigation (the old declaration's), and
    # kept that stale investigation.
    builder = RecordingBuilder(backend.store)
    service = backend.service(builder)
    async for client in app_client(backend, service, tmp_path):
        await _redeclared_and_failing(client, service, builder)
        assert await service.worker.run_once()
        builder.fail = False
        await service.worker.drain()
        assert builder.calls == [INCIDENT_ID, INCIDENT_ID, INCIDENT_ID]
        listed = (await deliveries(client))["msg_2"]
        assert (listed["state"], listed["attempts"]) == ("done", 2)
        assert f"investigation {investigation_id(INCIDENT_ID)} built" in str(listed["outcome"])


async def test_a_dead_delivery_retried_by_hand_builds_what_its_attempts_wrote(
    backend: Backend, tmp_path: Path
) -> None:
    # Retrying by hand starts the attempts again at 0: the retry looked like a first attempt,
    # found the re-declaration already written, and kept the old declaration's investigation.
    builder = RecordingBuilder(backend.store)
    service = backend.service(builder)
    async for client in app_client(backend, service, tmp_path):
        await _redeclared_and_failing(client, service, builder)
        await service.worker.drain()
        assert (await deliveries(client))["msg_2"]["state"] == "dead"
        builder.fail = False
        assert (await client.post("/v1/webhooks/deliveries/msg_2/retry")).status_code == 200
        await service.worker.drain()
        assert builder.calls == [INCIDENT_ID] * 5
        assert f"investigation {investigation_id(INCIDENT_ID)} built" in str(
            (await deliveries(client))["msg_2"]["outcome"]
        )


async def test_a_declared_incident_a_sync_mapped_first_is_still_investigated(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend, builder: RecordingBuilder
) -> None:
    await IncidentWriter(backend.store, backend.embedder).write(incident(), None)
    await send(client, body(incident_event()), "msg_1")
    await service.worker.drain()
    assert builder.calls == [INCIDENT_ID]


async def test_resolving_an_incident_closes_its_investigation(
    client: httpx.AsyncClient, service: WebhookService, backend: Backend
) -> None:
    await send(client, body(incident_event()), "msg_1")
    await service.worker.drain()
    await send(client, body(status_event(updated_at="2026-12-02T11:00:00Z")), "msg_2")
    await service.worker.drain()
    [investigation] = await backend.store.get_nodes([f"inv:{INCIDENT_ID}"])
    assert investigation.properties["status"] == "closed"
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert (stored.properties["status"], stored.properties["status_category"]) == ("Closed", "closed")
    outcome = str((await deliveries(client))["msg_2"]["outcome"])
    assert outcome.startswith("status Investigating -> Closed")
    assert "investigation closed" in outcome


async def test_a_private_incident_without_an_api_key_is_recorded_with_the_reason(
    client: httpx.AsyncClient, service: WebhookService, builder: RecordingBuilder
) -> None:
    await send(client, body(example("private_incident.incident_created_v2")), "msg_private")
    await service.worker.drain()
    listed = (await deliveries(client))["msg_private"]
    assert listed["state"] == "done"
    assert "PRECEDENT_INCIDENTIO_API_KEY" in str(listed["outcome"])
    assert builder.calls == []


async def test_a_failing_delivery_is_retried_then_parked_dead_and_can_be_retried(
    backend: Backend, tmp_path: Path
) -> None:
    builder = RecordingBuilder(backend.store, fail=True)
    service = backend.service(builder)
    async for client in app_client(backend, service, tmp_path):
        await send(client, body(incident_event()), "msg_1")
        for _ in range(5):
            await service.worker.drain()
        listed = (await deliveries(client))["msg_1"]
        assert (listed["state"], listed["attempts"]) == ("dead", 3)
        assert "the builder broke" in str(listed["error"])
        builder.fail = False
        retried = await client.post("/v1/webhooks/deliveries/msg_1/retry")
        assert (retried.status_code, retried.json()["state"]) == (200, "pending")
        await service.worker.drain()
        assert (await deliveries(client))["msg_1"]["state"] == "done"
        assert (await client.post("/v1/webhooks/deliveries/nope/retry")).status_code == 404


async def test_the_in_process_worker_picks_deliveries_up_on_its_own(backend: Backend, tmp_path: Path) -> None:
    builder = RecordingBuilder(backend.store)
    service = backend.service(builder, run_worker=True)
    async for client in app_client(backend, service, tmp_path):
        await send(client, body(incident_event()), "msg_1")
        for _ in range(200):
            if builder.calls:
                break
            await asyncio.sleep(0.05)
        assert builder.calls == [INCIDENT_ID]


def test_fixture_payloads_match_the_spec() -> None:
    from precedent.sources.incidentio.webhooks import parse_event

    for document in (incident_event(), incident_event(UPDATED), status_event()):
        assert parse_event(json.dumps(document).encode()).known


async def test_deliveries_are_counted_by_outcome(client: httpx.AsyncClient) -> None:
    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("precedent_webhook_deliveries_total", {"outcome": outcome}) or 0.0

    before = {o: count(o) for o in ("accepted", "duplicate", "bad_signature", "stale", "malformed")}
    payload = body(incident_event())
    assert await send(client, payload, "msg_count") == 200
    assert await send(client, payload, "msg_count") == 200
    assert await send(client, b"{not json", "msg_garbage") == 400
    stale = signed_headers(payload, "msg_old", at=datetime.now(UTC) - timedelta(minutes=6))
    assert (await client.post(URL, content=payload, headers=stale)).status_code == 401
    wrong = signed_headers(payload, "msg_wrong", secret=OTHER_SECRET)
    assert (await client.post(URL, content=payload, headers=wrong)).status_code == 401
    assert {o: count(o) - before[o] for o in before} == {
        "accepted": 1,
        "duplicate": 1,
        "bad_signature": 1,
        "stale": 1,
        "malformed": 1,
    }


async def test_deliveries_page_by_cursor_without_repeat_or_gap(client: httpx.AsyncClient) -> None:
    sent = [f"msg_{n}" for n in range(5)]
    for n, delivery_id in enumerate(sent):
        payload = body(incident_event(incident_id=f"INC-{n}"))
        assert await send(client, payload, delivery_id) == 200
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/webhooks/deliveries", params=params)
        assert response.status_code == 200
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [d["id"] for d in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sent
    assert len(seen) == len(set(seen))
    items = (await client.get("/v1/webhooks/deliveries")).json()["items"]
    # Compared as times: a time on the whole second is written without a fraction ("12Z"), which
    # sorts after "12.013Z" as text.
    received = [datetime.fromisoformat(d["received_at"]) for d in items]
    assert received == sorted(received, reverse=True)


# The last two: a time in milliseconds past year 9999, and before year 1.
@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "WyJhIl0",
        "WyJhIiwiYiJd",
        "WzEsMiwzXQ",
        "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMCwieCJd",
        "Wy0xMDAwMDAwMDAwMDAwMDAwMDAwMDAsIngiXQ",
    ],
)
async def test_a_forged_deliveries_cursor_is_a_400_problem(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/v1/webhooks/deliveries", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "next_cursor" in response.json()["detail"]


async def test_the_openapi_document_describes_the_deliveries_pages(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/schema/openapi.json")).json()["paths"]["/v1/webhooks/deliveries"]["get"]
    assert {"limit", "cursor"} <= {p["name"] for p in operation["parameters"]}
    assert "400" in operation["responses"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("DeliveryPageResponse")
