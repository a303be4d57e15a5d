"""The runtime: a reader opens the map with the vector length recorded in it and loads the model
only when a question needs it, so a lookup that fails (an unknown incident) fails at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.cli.worker import WORKER_OPTIONS
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import NotFound, SchemaError, StoreLocked
from precedent.retrieval import DescribedQuery, IncidentQuery
from precedent.runtime import Runtime, RuntimeOptions
from precedent.store import NewDelivery
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from tests.store.contract_graph import DIMENSIONS, EDGES, NODES
from tests.webhooks.payloads import CREATED, body, incident_event

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.embedding import Embedder


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
