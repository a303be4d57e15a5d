"""With an API key, the worker re-reads incidents from incident.io (a local stand-in of its API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.sources.incidentio import IncidentIoClient
from tests.webhooks.conftest import Backend, RecordingBuilder, app_client
from tests.webhooks.payloads import CREATED, INCIDENT_ID, body, incident, incident_event
from tests.webhooks.signing import example, signed_headers

if TYPE_CHECKING:
    from pathlib import Path

URL = "/v1/webhooks/incident-io"
PRIVATE_ID = "private-incident-1"


def incident_io(
    visible: set[str], calls: list[str], *, refusals: list[int] | None = None
) -> IncidentIoClient:
    """incident.io's API for one key: the incidents it may see, everything else 403.

    ``refusals``: statuses answered to the first incident reads instead (401: the key was revoked).
    """
    current = {
        INCIDENT_ID: incident(name="Renamed since the webhook was sent", updated_at="2026-12-02T10:09:00Z"),
        PRIVATE_ID: incident(incident_id=PRIVATE_ID, name="Secret outage", visibility="private"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.startswith("/v2/incidents/"):
            if refusals:
                return httpx.Response(refusals.pop(0), json={"type": "unauthorized"})
            incident_id = request.url.path.rsplit("/", 1)[1]
            if incident_id not in visible:
                return httpx.Response(403, json={"type": "forbidden", "status": 403})
            return httpx.Response(200, json={"incident": current[incident_id]})
        if request.url.path == "/v2/incident_updates":
            update = {
                "id": f"upd-{request.url.params['incident_id']}",
                "incident_id": request.url.params["incident_id"],
                "created_at": "2026-12-02T10:08:00Z",
                "message": "Failing over the primary",
                "new_incident_status": {"name": "Investigating"},
            }
            return httpx.Response(
                200, json={"incident_updates": [update], "pagination_meta": {"page_size": 25}}
            )
        return httpx.Response(404, json={"status": 404})

    return IncidentIoClient.create(
        "test-key", base_url="https://incident.test", transport=httpx.MockTransport(handler)
    )


async def test_a_public_incident_is_re_fetched_with_its_updates(backend: Backend, tmp_path: Path) -> None:
    calls: list[str] = []
    builder = RecordingBuilder(backend.store)
    async with incident_io({INCIDENT_ID}, calls) as api:
        service = backend.service(builder, client=api)
        async for client in app_client(backend, service, tmp_path):
            payload = body(incident_event())
            await client.post(URL, content=payload, headers=signed_headers(payload, "msg_1"))
            await service.worker.drain()
            outcome = (await client.get("/v1/webhooks/deliveries")).json()["items"][0]["outcome"]
    assert calls[:2] == [f"/v2/incidents/{INCIDENT_ID}", "/v2/incident_updates"]
    assert outcome.startswith("re-fetched from incident.io")
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert stored.properties["name"] == "Renamed since the webhook was sent"
    assert "Failing over the primary" in (stored.text or "")
    assert await backend.store.get_nodes([f"upd-{INCIDENT_ID}"])
    assert builder.calls == [INCIDENT_ID]


# A 401 says the key itself is refused (revoked, rotated), not that this incident is out of its
# sight: the delivery is tried again, and maps the incident once the key works.
@pytest.mark.parametrize("refusals", [(), (401,)], ids=["at once", "after the key was refused"])
async def test_a_private_incident_is_fetched_when_the_key_can_see_it(
    backend: Backend, tmp_path: Path, refusals: tuple[int, ...]
) -> None:
    builder = RecordingBuilder(backend.store)
    async with incident_io({PRIVATE_ID}, [], refusals=list(refusals)) as api:
        service = backend.service(builder, client=api)
        async for client in app_client(backend, service, tmp_path):
            document = {"event_type": "private_incident.incident_created_v2"}
            document["private_incident.incident_created_v2"] = {"id": PRIVATE_ID}  # type: ignore[assignment]
            payload = body(document)
            await client.post(URL, content=payload, headers=signed_headers(payload, "msg_private"))
            await service.worker.drain()
            listed = (await client.get("/v1/webhooks/deliveries")).json()["items"][0]
    assert (listed["state"], listed["attempts"]) == ("done", 1 + len(refusals))
    [stored] = await backend.store.get_nodes([PRIVATE_ID])
    assert (stored.visibility, stored.properties["name"]) == ("private", "Secret outage")
    assert builder.calls == [PRIVATE_ID]


# A key that may not see private incidents is refused one (403), or may be told there is no such
# incident (404): retried, the delivery could only fail again, and end dead.
@pytest.mark.parametrize("refusals", [[], [404]], ids=["403", "404"])
async def test_a_private_incident_the_key_cannot_see_is_recorded_with_the_reason(
    backend: Backend, tmp_path: Path, refusals: list[int]
) -> None:
    builder = RecordingBuilder(backend.store)
    async with incident_io(set(), [], refusals=refusals) as api:
        service = backend.service(builder, client=api)
        async for client in app_client(backend, service, tmp_path):
            payload = body(example("private_incident.incident_updated_v2"))
            await client.post(URL, content=payload, headers=signed_headers(payload, "msg_private"))
            await service.worker.drain()
            listed = (await client.get("/v1/webhooks/deliveries")).json()["items"][0]
    assert (listed["state"], listed["attempts"]) == ("done", 1)
    assert "cannot view it" in listed["outcome"]
    assert builder.calls == []


async def test_a_failing_re_fetch_falls_back_to_the_payload(backend: Backend, tmp_path: Path) -> None:
    builder = RecordingBuilder(backend.store)
    async with incident_io(set(), []) as api:  # the key sees nothing: 403 on the public incident too
        service = backend.service(builder, client=api)
        async for client in app_client(backend, service, tmp_path):
            payload = body(incident_event(CREATED))
            await client.post(URL, content=payload, headers=signed_headers(payload, "msg_1"))
            await service.worker.drain()
            outcome = (await client.get("/v1/webhooks/deliveries")).json()["items"][0]["outcome"]
    assert "used the payload" in outcome
    [stored] = await backend.store.get_nodes([INCIDENT_ID])
    assert stored.properties["name"] == "Our database is sad"
