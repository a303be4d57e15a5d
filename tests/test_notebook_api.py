"""The notebook API (precedent.connect's Map) over a small organisation on the embedded store.

Plumbing: the hashing embedder stands in for the model; the notebooks themselves run with the
real one in tests/notebooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import precedent
from precedent.embedding import HashEmbedder
from precedent.errors import InvalidQuery, NotFound
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.notebook import Map
from precedent.runtime import Runtime
from precedent.store.embedded import EmbeddedStore
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    embedder = HashEmbedder()
    store = EmbeddedStore(tmp_path / "graph", dimensions=embedder.dimensions)
    await store.open()
    await build(store, embedder)
    async with Runtime(store=store, embedder=embedder) as opened:
        yield opened
    await store.close()


def test_connect_is_the_package_entry_point() -> None:
    assert precedent.connect.__module__ == "precedent.notebook"


async def test_incidents_table_filters_and_hides_private(runtime: Runtime) -> None:
    owner, public = Map(runtime, OWNER_VIEWER), Map(runtime, PUBLIC_VIEWER)
    everything = await owner.incidents()
    assert list(everything.columns[:3]) == ["id", "reference", "name"]
    assert "inc-14" in set(everything["id"])
    assert "inc-14" not in set((await public.incidents())["id"])
    on_db = await owner.incidents(service="payments-db")
    assert all("payments-db" in services for services in on_db["services"])
    assert set(on_db["id"]) >= {"inc-10", "inc-14"}
    since = await owner.incidents(since=at("2024-01-01T00:00:00"))
    assert all(started >= at("2024-01-01T00:00:00") for started in since["started_at"])
    assert list(everything["started_at"]) == sorted(everything["started_at"])
    with pytest.raises(InvalidQuery, match="no service"):
        await owner.incidents(service="no-such-service")


async def test_services_similar_and_graphs(runtime: Runtime) -> None:
    m = Map(runtime, PUBLIC_VIEWER)
    services = await m.services()
    db = services.set_index("name").loc["payments-db"]
    assert db["owners"]
    assert db["incidents"] >= 1
    answer = await m.similar("INC-20", limit=3)
    assert answer.query.reference == "INC-20"
    assert answer.results
    described = await m.similar(name="payments database pool exhausted", services=("payments-db",))
    assert "inc-14" not in {r.incident_id for r in described.results}
    view = await m.to_networkx(service="payments-db", depth=1)
    assert "svc-paydb" in view
    assert "inc-14" not in await m.graph()
    assert (await m.stats()).nodes["Incident"] == len(await m.incidents())
    with pytest.raises(NotFound):
        await m.incident("INC-14")
    with pytest.raises(InvalidQuery):
        await m.similar()
