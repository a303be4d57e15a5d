"""The runtime: a reader opens the map with the vector length recorded in it and loads the model
only when a question needs it, so a lookup that fails (an unknown incident) fails at once."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from precedent.cli.mcp import reader_runtime
from precedent.cli.worker import WORKER_OPTIONS
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import ConfigError, NotFound, SchemaError, StoreLocked, StoreUnavailable
from precedent.notebook import connect
from precedent.retrieval import DescribedQuery, IncidentQuery
from precedent.runtime import Runtime, RuntimeOptions
from precedent.store import NewDelivery
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from tests.store.contract_graph import DIMENSIONS, EDGES, NODES
from tests.support.flaky_port import FlakyPort
from tests.webhooks.payloads import CREATED, body, incident_event

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.embedding import Embedder
    from tests.support.neo4j_server import Neo4jServer


class ModelLoader:
    """Stands in for loading the model: hands out a hashing embedder and counts the loads."""

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        self.loads = 0

    async def __call__(self, settings: Settings) -> Embedder:
        self.loads += 1
        return HashEmbedder(dimensions=self.dimensions)


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    """A data directory holding the contract suite's small map (384-dimensional vectors)."""
    store = EmbeddedStore(tmp_path / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await store.upsert_nodes(NODES)
        await store.upsert_edges(EDGES)
    finally:
        await store.close()
    return tmp_path


def _reader(data_dir: Path, loader: ModelLoader) -> Runtime:
    return Runtime(
        settings=Settings(data_dir=data_dir), options=RuntimeOptions(read_only=True), model_loader=loader
    )


async def test_an_unknown_incident_is_not_found_without_loading_the_model(data_dir: Path) -> None:
    loader = ModelLoader()
    async with _reader(data_dir, loader) as runtime:
        with pytest.raises(NotFound, match="incident 'INC-99999' not found"):
            await runtime.finder.find(IncidentQuery("INC-99999"))
        assert loader.loads == 0
        # A question that needs vectors loads the model, once for the runtime's life.
        answer = await runtime.finder.find(IncidentQuery("inc-3"))
        assert loader.loads == 1
        assert [r.incident_id for r in answer.results] == ["inc-1"]
        await runtime.finder.find(DescribedQuery(name="Payments API latency"))
        assert loader.loads == 1


async def test_a_writer_loads_the_model_before_opening_the_store(data_dir: Path) -> None:
    # Its store is created, or checked, with the model's vector length.
    loader = ModelLoader()
    async with Runtime(settings=Settings(data_dir=data_dir), model_loader=loader) as runtime:
        assert loader.loads == 1
        assert runtime.embedder.dimensions == DIMENSIONS
    with pytest.raises(SchemaError, match="8 dimensions but the store holds 384"):
        async with Runtime(settings=Settings(data_dir=data_dir), model_loader=ModelLoader(dimensions=8)):
            pass


async def test_a_second_writer_is_refused_before_it_loads_the_model(data_dir: Path) -> None:
    # A second `serve` on one map loaded the model (a minute on a busy machine), then failed.
    holder = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await holder.open()
    try:
        loader = ModelLoader()
        with pytest.raises(StoreLocked, match="open for writing by process") as refused:
            async with Runtime(settings=Settings(data_dir=data_dir), model_loader=loader):
                pass
        assert loader.loads == 0
        assert "precedent.connect()" in str(refused.value)
        async with _reader(data_dir, loader) as reader:  # reading beside it still works
            assert (await reader.store.stats()).nodes
    finally:
        await holder.close()


async def test_a_reader_given_a_model_of_another_length_is_told_at_the_first_question(data_dir: Path) -> None:
    async with _reader(data_dir, ModelLoader(dimensions=8)) as runtime:
        with pytest.raises(SchemaError, match="the query embedding has 8 dimensions but the store holds 384"):
            await runtime.finder.find(DescribedQuery(name="Payments API latency"))


async def test_a_runtime_without_the_model_never_loads_it(data_dir: Path) -> None:
    loader = ModelLoader()
    options = RuntimeOptions(model=False, read_only=True)
    async with Runtime(settings=Settings(data_dir=data_dir), options=options, model_loader=loader) as runtime:
        assert (await runtime.store.stats()).nodes == len(NODES)
    assert loader.loads == 0


async def test_a_restarted_worker_redoes_the_delivery_a_killed_one_held_at_once(data_dir: Path) -> None:
    # On the embedded store the runtime that works the inbox holds the map's writer lock, so a
    # lease it finds was left by a process that died: waiting out its minute only delays the work.
    now = datetime.now(UTC)
    left = SqliteInbox(data_dir / "webhooks.sqlite")
    await left.open()
    await left.record(NewDelivery("msg_1", CREATED, body(incident_event()).decode(), now))
    await left.claim("killed-serve", now=now, lease=timedelta(minutes=1))
    await left.close()
    options = RuntimeOptions(webhooks=True, webhook_worker=False)
    async with Runtime(
        settings=Settings(data_dir=data_dir), options=options, model_loader=ModelLoader()
    ) as runtime:
        assert await runtime.webhooks.worker.drain() == 1
        delivery = await runtime.webhooks.inbox.get("msg_1")
    assert delivery is not None
    assert delivery.state == "done"


async def test_the_worker_says_what_it_does_and_warns_of_no_webhook_secret(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # `precedent worker` serves no HTTP: no signing secret is no concern of it.
    with caplog.at_level(logging.INFO, logger="precedent"):
        async with Runtime(
            settings=Settings(data_dir=data_dir), options=WORKER_OPTIONS, model_loader=ModelLoader()
        ) as runtime:
            assert await runtime.webhooks.worker.drain() == 0
    said = [r.getMessage() for r in caplog.records if r.name == "precedent.webhooks"]
    assert not [m for m in said if "OFF" in m or "503" in m], said
    assert any("webhook worker: processing the incident.io deliveries" in m for m in said), said
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records


async def test_a_process_serving_webhooks_without_a_secret_warns_they_are_off(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="precedent"):
        async with Runtime(
            settings=Settings(data_dir=data_dir),
            options=RuntimeOptions(webhooks=True, webhook_worker=False),
            model_loader=ModelLoader(),
        ):
            pass
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("webhooks are OFF" in m and "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET" in m for m in warned), warned


def _neo4j_on_a_closed_port(data_dir: Path, wait: float, closed: int) -> Settings:
    """Settings for a Neo4j map on a loopback port nothing listens on (``closed``), waited for ``wait`` s."""
    return Settings(
        store="neo4j",
        neo4j_uri=f"bolt://127.0.0.1:{closed}",
        neo4j_start_wait_seconds=wait,
        data_dir=data_dir,
    )


async def test_the_worker_waits_for_a_neo4j_not_up_yet_as_serve_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    # `precedent worker` started beside Neo4j (compose, systemd) exited at its first attempt,
    # where `serve` waits PRECEDENT_NEO4J_START_WAIT_SECONDS: restarted, it crash-looped.
    settings = _neo4j_on_a_closed_port(tmp_path, wait=1, closed=refused_port)
    runtime = Runtime(settings=settings, options=WORKER_OPTIONS, model_loader=ModelLoader())
    with (
        caplog.at_level(logging.INFO, logger="precedent"),
        pytest.raises(StoreUnavailable, match="unreachable"),
    ):
        await runtime.open()
    waits = [
        r.getMessage() for r in caplog.records if r.name == "precedent.store" and r.levelname == "WARNING"
    ]
    assert waits, "no attempt was waited for"
    assert all(m.startswith("waiting for the store: attempt") for m in waits), waits
    gave_up = [
        r.getMessage() for r in caplog.records if r.name == "precedent.store" and r.levelname == "ERROR"
    ]
    assert gave_up == [f"the store did not come up in 1 s ({len(waits) + 1} attempts)"]


async def test_the_worker_checks_the_embedding_cache_before_it_loads_the_model(
    tmp_path: Path, refused_port: int
) -> None:
    # With Neo4j the data directory still holds the embedding cache, which `serve` checks first;
    # the worker loaded the model, and then failed on each delivery's first write of the cache.
    occupied = tmp_path / "occupied"
    occupied.write_text("a file where the data directory should be")
    loader = ModelLoader()
    runtime = Runtime(
        settings=_neo4j_on_a_closed_port(occupied, wait=0, closed=refused_port),
        options=WORKER_OPTIONS,
        model_loader=loader,
    )
    with pytest.raises(ConfigError, match=r"cannot write the embedding cache in .*occupied"):
        await runtime.open()
    assert loader.loads == 0  # said before the model's load, and before Neo4j was asked for


async def test_a_service_is_told_of_a_neo4j_it_cannot_reach_before_it_loads_the_model(
    tmp_path: Path, refused_port: int
) -> None:
    # `precedent worker` (and each `serve` worker) loaded the model, seconds, and only then
    # learnt that Neo4j's URI or password was wrong.
    loader = ModelLoader()
    runtime = Runtime(
        settings=_neo4j_on_a_closed_port(tmp_path, wait=0, closed=refused_port),
        options=WORKER_OPTIONS,
        model_loader=loader,
    )
    with pytest.raises(StoreUnavailable, match="unreachable"):
        await runtime.open()
    assert loader.loads == 0


async def test_a_service_whose_entry_point_made_the_start_up_checks_does_not_make_them_again(
    data_dir: Path,
) -> None:
    # `serve` in one process made check_before_model's checks before it bound, then its app's
    # start made every one again. A malformed secret is what only those checks refuse here (no
    # webhook service is built), so it shows whether they ran.
    settings = Settings(data_dir=data_dir, incidentio_webhook_secret=SecretStr("whsec_short"))
    options = RuntimeOptions(model=False, service=True)
    with pytest.raises(ConfigError, match="not a valid whsec_ secret"):
        async with Runtime(settings=settings, options=options):
            pass
    checked = replace(options, checked_before_model=True)
    async with Runtime(settings=settings, options=checked) as runtime:
        assert (await runtime.store.stats()).nodes == len(NODES)


async def test_the_worker_deletes_deliveries_older_than_the_retention_setting(data_dir: Path) -> None:
    now = datetime.now(UTC)
    inbox = SqliteInbox(data_dir / "webhooks.sqlite")
    await inbox.open()
    for delivery_id, age in [("msg_old", timedelta(days=3)), ("msg_recent", timedelta(days=1))]:
        await inbox.record(NewDelivery(delivery_id, "x", "{}", now - age, "ignored", "not acted on"))
    await inbox.close()
    options = RuntimeOptions(webhooks=True, webhook_worker=False)
    settings = Settings(data_dir=data_dir, webhook_retention_days=2)
    async with Runtime(settings=settings, options=options, model_loader=ModelLoader()) as runtime:
        assert await runtime.webhooks.worker.drain() == 0
        assert await runtime.webhooks.inbox.get("msg_old") is None
        assert await runtime.webhooks.inbox.get("msg_recent") is not None


@pytest.mark.neo4j
@pytest.mark.parametrize("client", ["notebook", "mcp"])
async def test_the_notebook_and_mcp_wait_for_a_neo4j_still_starting_as_serve_does(
    neo4j: Neo4jServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, client: str
) -> None:
    # Started with a Neo4j just started (compose), connect() and `precedent mcp` failed at their
    # first attempt, where serve waits PRECEDENT_NEO4J_START_WAIT_SECONDS for it.
    target = urlsplit(neo4j.uri)
    assert target.hostname is not None
    assert target.port is not None
    async with FlakyPort(target.hostname, target.port, drops=2) as starting:
        settings = Settings(
            store="neo4j",
            neo4j_uri=f"bolt://127.0.0.1:{starting.port}",
            neo4j_user=neo4j.user or "neo4j",
            neo4j_password=SecretStr(neo4j.password or ""),
            neo4j_start_wait_seconds=60,
            data_dir=tmp_path,
        )
        with caplog.at_level(logging.INFO, logger="precedent.store"):
            if client == "notebook":
                opened = await connect(settings)
                await opened.close()
            else:
                async with reader_runtime(settings) as runtime:
                    assert await runtime.store.get_meta("schema_version") is not None
        assert starting.connections > 2
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "precedent.store"]
    assert said[0][0] == "WARNING"
    assert said[0][1].startswith("waiting for the store: attempt 1 failed")
    assert said[-1][0] == "INFO"
    assert said[-1][1].startswith("the store is up (attempt ")
