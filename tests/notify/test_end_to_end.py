"""A signed incident.io delivery into the app → the investigation → its message on the Slack stand-in.

Everything is built the way ``precedent serve`` builds it, from settings: the runtime makes the
webhook inbox, verifier and worker, the investigation builder, and the Slack notifier pointed at
``PRECEDENT_SLACK_API_URL``. (A fake embedder: this is plumbing, not retrieval quality.)
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr

from precedent.api.app import create_app
from precedent.api.auth import TOKENS_STATE_KEY
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.investigation import latest_for_incident
from precedent.metrics import REGISTRY
from precedent.model import OWNER_VIEWER
from precedent.notify import MessageRecord
from tests.support.slack_server import SlackStandIn, blocks_text
from tests.webhooks.payloads import CREATED, INCIDENT_ID, UPDATED, body, incident_event
from tests.webhooks.signing import SECRET, signed_headers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

TOKEN = "xoxb-9999-8888-endtoendsecret"
CHANNEL = "C02AW36C1M5"  # the spec's example payload's slack_channel_id
URL = "/v1/webhooks/incident-io"


async def _app(store: GraphStore | None, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=384))
    started, stopping = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait([holder, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        holder.result()
    try:
        tokens = TokenRegistry(store) if store is not None else app.state[TOKENS_STATE_KEY]
        admin = (await tokens.create(["admin"])).secret
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {admin}"},
        ) as client:
            yield client
    finally:
        stopping.set()
        await holder


@contextlib.asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as ``precedent serve`` runs it: the runtime opens the store named by ``settings``."""
    async for client in _app(None, settings):
        yield client


def _settings(tmp_path: Path, slack: SlackStandIn, **store: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        incidentio_webhook_secret=SecretStr(SECRET),
        slack_bot_token=SecretStr(TOKEN),
        slack_api_url=slack.url,
        public_url="https://precedent.example.com",
        **store,
    )


def _neo4j(server: Neo4jServer) -> dict[str, object]:
    return {
        "store": "neo4j",
        "neo4j_uri": server.uri,
        "neo4j_user": server.user or "neo4j",
        "neo4j_password": SecretStr(server.password or ""),
    }


@pytest.fixture(params=["embedded", "neo4j"])
def map_settings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings naming the map: the embedded store in the data directory, or the test Neo4j."""
    if request.param == "embedded":
        return {}
    request.applymarker(pytest.mark.neo4j)
    request.getfixturevalue("neo4j_store")  # empties the database
    return _neo4j(request.getfixturevalue("neo4j"))


async def _until(check: Callable[[], object], seconds: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def _deliver(client: httpx.AsyncClient, document: dict[str, object], delivery_id: str) -> None:
    payload = body(document)
    response = await client.post(URL, content=payload, headers=signed_headers(payload, delivery_id))
    assert response.status_code == 200


async def _processed(client: httpx.AsyncClient, delivery_id: str) -> dict[str, object]:
    found: dict[str, object] = {}

    async def look() -> bool:
        listed = (await client.get("/v1/webhooks/deliveries")).json()["items"]
        found.update(next((d for d in listed if d["id"] == delivery_id), {}))
        return found.get("state") == "done"

    deadline = asyncio.get_running_loop().time() + 300  # a first Neo4j build on a loaded machine is slow
    while not await look():
        assert asyncio.get_running_loop().time() < deadline, f"delivery {delivery_id} not processed: {found}"
        await asyncio.sleep(0.1)
    return found


async def test_a_declared_incident_is_posted_to_its_channel_and_updated_when_it_changes(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        async for client in _app(embedded_store, _settings(tmp_path, slack)):
            await _deliver(client, incident_event(), "msg_created")
            await _until(slack.posted)
            investigation = await latest_for_incident(embedded_store, INCIDENT_ID, OWNER_VIEWER)
            assert investigation is not None
            assert investigation.incident.slack_channel_id == CHANNEL
            [posted] = slack.posted()
            assert posted.body["channel"] == CHANNEL
            assert "Our database is sad" in blocks_text(posted.body)
            # Linked by its incident's reference (the message is redrawn when superseded), not by
            # the build's opaque id; under PRECEDENT_PUBLIC_URL, the summary's links too.
            shown = blocks_text(posted.body)
            assert "https://precedent.example.com/ui/incidents/INC-123/investigation" in shown
            assert "/ui/investigations/" not in shown

            renamed = incident_event(
                UPDATED, name="Our database is very sad", updated_at="2026-12-02T10:05:00Z"
            )
            await _deliver(client, renamed, "msg_updated")
            await _until(slack.updated)
            [updated] = slack.updated()
            [(_, ts)] = slack.messages
            assert updated.body["ts"] == ts
            assert "Our database is very sad" in blocks_text(updated.body)
            assert len(slack.posted()) == 1


async def test_without_a_public_url_the_message_links_where_a_wildcard_bind_is_reached(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    # Bound to every interface and no PRECEDENT_PUBLIC_URL: the message linked http://0.0.0.0:...,
    # which no browser opens; the CLI and the demo already gave the loopback address.
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        wildcard = {"public_url": None, "host": "0.0.0.0", "port": 18931}
        async for client in _app(embedded_store, _settings(tmp_path, slack).model_copy(update=wildcard)):
            await _deliver(client, incident_event(), "msg_created")
            await _until(slack.posted)
            [posted] = slack.posted()
    shown = blocks_text(posted.body)
    assert "http://127.0.0.1:18931/ui/incidents/INC-123/investigation" in shown
    assert "0.0.0.0" not in shown


async def test_slack_down_does_not_touch_the_investigation_or_the_delivery(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    failed = REGISTRY.get_sample_value("precedent_slack_messages_total", {"outcome": "failed"}) or 0.0
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        slack.down()
        async for client in _app(embedded_store, _settings(tmp_path, slack)):
            await _deliver(client, incident_event(), "msg_created")
            delivery = await _processed(client, "msg_created")
            assert "investigation inv:" in str(delivery["outcome"])
            assert await latest_for_incident(embedded_store, INCIDENT_ID, OWNER_VIEWER) is not None
            await _until(
                lambda: (
                    (REGISTRY.get_sample_value("precedent_slack_messages_total", {"outcome": "failed"}) or 0)
                    > failed
                )
            )
        assert slack.posted() == []
        assert {c.status for c in slack.calls} == {503}


async def test_the_message_is_posted_once_incident_io_has_made_the_channel(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        async for client in _app(embedded_store, _settings(tmp_path, slack)):
            # incident.io creates the channel asynchronously: the created event may carry none.
            created = incident_event()
            created[CREATED]["slack_channel_id"] = ""
            await _deliver(client, created, "msg_created")
            await _processed(client, "msg_created")
            assert slack.calls == []
            later = incident_event(UPDATED, updated_at="2026-12-02T10:01:00Z")
            await _deliver(client, later, "msg_channel")
            delivery = await _processed(client, "msg_channel")
            assert "investigation inv:" in str(delivery["outcome"])  # the channel is a material change
            await _until(slack.posted)
            assert slack.posted()[0].body["channel"] == CHANNEL


async def test_after_a_restart_the_next_build_updates_the_message_posted_before_it(
    map_settings: dict[str, object], tmp_path: Path
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        settings = _settings(tmp_path, slack, **map_settings)
        async with _serving(settings) as client:
            await _deliver(client, incident_event(), "msg_created")
            await _processed(client, "msg_created")
            await _until(slack.posted)
        # That process is gone (store, inbox and notifier closed); a new one opens the same map.
        async with _serving(settings) as client:
            renamed = incident_event(
                UPDATED, name="Our database is very sad", updated_at="2026-12-02T10:05:00Z"
            )
            await _deliver(client, renamed, "msg_updated")
            await _processed(client, "msg_updated")
            await _until(slack.updated)
        [posted] = slack.posted()
        [(_, ts)] = slack.messages
        assert slack.updated()[0].body["ts"] == ts
        assert "Our database is very sad" in blocks_text(slack.messages[(posted.body["channel"], ts)].body)


async def test_a_message_a_stop_cut_short_is_posted_once_by_the_next_process(
    map_settings: dict[str, object], tmp_path: Path
) -> None:
    # The delivery is done before its message is posted (Slack is called in the background):
    # a process stopped in between, here while Slack had not answered yet, left no message, and
    # nothing posted it until the incident changed again.
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        slack.stall()  # answers nothing before the stop
        settings = _settings(tmp_path, slack, **map_settings)
        async with _serving(settings) as client:
            await _deliver(client, incident_event(), "msg_created")
            await _processed(client, "msg_created")
        slack.unstall()
        assert slack.posted() == []
        async with _serving(settings):
            await _until(slack.posted)
        async with _serving(settings):  # what was published is not published again
            pass
    [posted] = slack.posted()
    assert "Our database is sad" in blocks_text(posted.body)
    assert slack.updated() == []


async def test_two_runtimes_on_one_neo4j_map_keep_one_message_showing_the_latest_build(
    neo4j: Neo4jServer, neo4j_store: GraphStore, tmp_path: Path
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        slack.latency = 0.3  # both workers build before either has posted
        first = _settings(tmp_path / "a", slack, **_neo4j(neo4j))
        second = _settings(tmp_path / "b", slack, **_neo4j(neo4j))
        async with _serving(first) as a, _serving(second) as b:
            created = incident_event()
            renamed = incident_event(
                UPDATED, name="Our database is very sad", updated_at="2026-12-02T10:01:00Z"
            )
            await asyncio.gather(_deliver(a, created, "msg_created"), _deliver(b, renamed, "msg_renamed"))
            later = [
                incident_event(
                    UPDATED, name=f"Our database is sad ({n})", updated_at=f"2026-12-02T10:0{n}:00Z"
                )
                for n in (2, 3, 4)
            ]
            for n, event in enumerate(later):
                await _deliver((a, b)[n % 2], event, f"msg_later_{n}")
            for delivery_id in ("msg_created", "msg_renamed", "msg_later_0", "msg_later_1", "msg_later_2"):
                await _processed(a, delivery_id)
            latest = await latest_for_incident(neo4j_store, INCIDENT_ID, OWNER_VIEWER)
            assert latest is not None

            async def shown() -> bool:
                record = MessageRecord.loads(await neo4j_store.get_meta(f"slack:message:{INCIDENT_ID}"))
                return record.built_at == latest.built_at and record.holder is None

            deadline = asyncio.get_running_loop().time() + 60
            while not await shown():
                assert asyncio.get_running_loop().time() < deadline, "the latest build was never shown"
                await asyncio.sleep(0.1)
        assert len(slack.posted()) == 1
        [(_, ts)] = slack.messages
        assert {c.body["ts"] for c in slack.updated()} <= {ts}
        assert latest.incident.name in blocks_text(slack.messages[(CHANNEL, ts)].body)
