"""The notebook API (precedent.connect's Map) over a small organisation, on both stores.

The embedded tests are plumbing: the hashing embedder stands in for the model. The Neo4j test
opens the map through ``connect()`` from the environment, as a notebook does, with the real
model; the notebooks themselves run in tests/notebooks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

import precedent
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import InvalidQuery, NotFound
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Edge, Node
from precedent.notebook import Map
from precedent.notebook.tables import INCIDENT_COLUMNS, SERVICE_COLUMNS, similar_frame
from precedent.runtime import Runtime
from precedent.store.embedded import EmbeddedStore
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.embedding import Embedder
    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

DEPLOY_AT = at("2024-01-15T08:40:00")


async def _build(store: GraphStore, embedder: Embedder) -> None:
    """The small organisation, plus the config deploy that caused INC-20 (named as its cause)."""
    await build(store, embedder)
    deploy = Node("chg-pool", "ChangeEvent", {"kind": "deploy", "summary": "halve pool size"}, DEPLOY_AT)
    await store.upsert_nodes([deploy])
    await store.upsert_edges(
        [Edge("chg-pool", "CHANGED", "svc-paydb"), Edge("inc-20", "CAUSED_BY", "chg-pool")]
    )


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    embedder = HashEmbedder()
    store = EmbeddedStore(tmp_path / "graph", dimensions=embedder.dimensions)
    await store.open()
    await _build(store, embedder)
    async with Runtime(store=store, embedder=embedder) as opened:
        yield opened
    await store.close()


def test_connect_is_the_package_entry_point() -> None:
    assert precedent.connect.__module__ == "precedent.notebook"


async def test_incidents_table_filters_links_and_hides_private(runtime: Runtime) -> None:
    owner, public = Map(runtime, OWNER_VIEWER), Map(runtime, PUBLIC_VIEWER)
    everything = await owner.incidents()
    assert tuple(everything.columns) == INCIDENT_COLUMNS
    assert list(everything["started_at"]) == sorted(everything["started_at"])
    rows = everything.set_index("id")
    assert rows.loc["inc-14", "related"] == ["inc-10"]
    assert rows.loc["inc-20", "caused_by"] == ["chg-pool"]
    assert (rows.loc["inc-10", "follow_ups"], rows.loc["inc-10", "open_follow_ups"]) == (2, 1)
    assert "inc-14" not in set((await public.incidents())["id"])
    on_db = await owner.incidents(service="payments-db")
    assert set(on_db["id"]) >= {"inc-10", "inc-14"}
    assert all("payments-db" in services for services in on_db["services"])
    since = await owner.incidents(since=at("2024-01-01T00:00:00"))
    assert "inc-20" in set(since["id"])
    assert all(started >= at("2024-01-01T00:00:00") for started in since["started_at"])
    with pytest.raises(NotFound, match="service 'no-such-service' not found"):
        await owner.incidents(service="no-such-service")


async def test_services_and_follow_ups_tables(runtime: Runtime) -> None:
    m = Map(runtime, PUBLIC_VIEWER)
    services = await m.services()
    assert tuple(services.columns) == SERVICE_COLUMNS
    db = services.set_index("name").loc["payments-db"]
    assert db["owners"] == ["payments"]
    assert sorted(db["dependants"]) == ["ledger", "payments-api"]
    assert db["open_follow_ups"] == 1
    assert list(services["incidents"]) == sorted(services["incidents"], reverse=True)
    follow_ups = await m.follow_ups()
    assert set(follow_ups["id"]) == {"fu-1", "fu-2"}
    still_open = await m.follow_ups(open_only=True)
    assert list(still_open["title"]) == ["Alert on pool saturation"]
    assert list(still_open["services"]) == [["payments-db"]]


async def test_incident_similar_and_investigate(runtime: Runtime) -> None:
    m = Map(runtime, PUBLIC_VIEWER)
    detail = await m.incident("INC-10")
    assert detail.lesson.root_cause is not None
    assert "pool" in detail.lesson.root_cause
    answer = await m.similar("INC-20", limit=3)
    assert answer.query.reference == "INC-20"
    assert answer.results
    assert all(r.started_at is not None and r.started_at < at("2024-01-15T09:00:00") for r in answer.results)
    assert list(similar_frame(answer)["reference"]) == [r.reference for r in answer.results]
    described = await m.similar("payments database pool exhausted", services=("payments-db",))
    assert described.query.incident_id is None
    assert "inc-14" not in {r.incident_id for r in described.results}
    investigation = await m.investigate("INC-20")
    assert investigation.incident.reference == "INC-20"
    assert any(e.id == "chg-pool" for h in investigation.hypotheses for e in h.evidence)
    with pytest.raises(NotFound):
        await m.incident("INC-14")
    with pytest.raises(NotFound):
        await m.similar("INC-999")
    with pytest.raises(InvalidQuery):
        await m.similar("  ")
    with pytest.raises(InvalidQuery):
        await m.investigate("INC-20", similar=0)
    # Too large for a time: it raised OverflowError building the window, not the range's refusal.
    for hours in (1e30, float("nan"), float("inf")):
        with pytest.raises(InvalidQuery, match="change_window_hours must be a number of hours above 0"):
            await m.investigate("INC-20", change_window_hours=hours)


async def test_investigate_stores_only_when_writable(runtime: Runtime) -> None:
    await Map(runtime, OWNER_VIEWER, read_only=True).investigate("INC-20")
    assert (await runtime.store.stats()).nodes_by_label.get("Investigation", 0) == 0
    await Map(runtime, OWNER_VIEWER, read_only=False).investigate("INC-20")
    assert (await runtime.store.stats()).nodes_by_label.get("Investigation", 0) == 1


async def test_an_investigation_not_stored_links_to_no_page(runtime: Runtime, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url="https://precedent.example.com")
    async with Runtime(store=runtime.store, embedder=runtime.embedder, settings=settings) as linked:
        beside_serve = await Map(linked, OWNER_VIEWER, read_only=True).investigate("INC-20")
        stored = await Map(linked, OWNER_VIEWER, read_only=False).investigate("INC-20")
    # Read-only, it is built and never stored: a link would lead to "not found".
    assert "precedent.example.com" not in beside_serve.summary_markdown
    assert (
        f"https://precedent.example.com/ui/investigations/{quote(stored.id, safe='')}"
        in stored.summary_markdown
    )


async def test_changes_neighbourhood_and_graphs(runtime: Runtime) -> None:
    m = Map(runtime, PUBLIC_VIEWER)
    changes = await m.changes(service="payments-db", until=DEPLOY_AT + timedelta(hours=1))
    assert list(changes["id"]) == ["chg-pool"]
    assert list(changes["service"]) == ["payments-db"]
    everywhere = await m.changes(since=DEPLOY_AT - timedelta(days=1), until=DEPLOY_AT + timedelta(days=1))
    assert list(everywhere["id"]) == ["chg-pool"]
    assert (await m.changes(until=DEPLOY_AT - timedelta(days=1))).empty
    with pytest.raises(InvalidQuery):
        await m.changes(since=DEPLOY_AT, until=DEPLOY_AT)
    around = await m.neighbourhood(service="payments-db", depth=1)
    assert "svc-paydb" in {n.id for n in around.nodes}
    view = await m.to_networkx(service="payments-db", depth=1)
    assert "svc-paydb" in view
    whole = await m.to_networkx()
    assert {"inc-10", "svc-paydb", "chg-pool"} <= set(whole)
    assert "inc-14" not in whole
    assert (await m.stats()).nodes["Incident"] == len(await m.incidents())
    with pytest.raises(InvalidQuery):
        await m.neighbourhood()


async def test_the_map_closes_its_runtime(runtime: Runtime) -> None:
    async with Map(runtime, OWNER_VIEWER) as m:
        assert not (await m.incidents()).empty
    with pytest.raises(Exception, match="not open"):
        _ = runtime.store


@pytest.mark.neo4j
@pytest.mark.model
async def test_connect_reads_the_cli_settings_and_opens_neo4j(
    neo4j: Neo4jServer, neo4j_store: GraphStore, real_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _build(neo4j_store, real_embedder)
    monkeypatch.setenv("PRECEDENT_STORE", "neo4j")
    monkeypatch.setenv("PRECEDENT_NEO4J_URI", neo4j.uri)
    if neo4j.user and neo4j.password:
        monkeypatch.setenv("PRECEDENT_NEO4J_USER", neo4j.user)
        monkeypatch.setenv("PRECEDENT_NEO4J_PASSWORD", neo4j.password)
    async with await precedent.connect(include_private=False) as m:
        incidents = await m.incidents()
        assert "inc-20" in set(incidents["id"])
        assert "inc-14" not in set(incidents["id"])
        assert (await m.services()).set_index("name").loc["payments-db", "open_follow_ups"] == 1
        answer = await m.similar("INC-20", limit=3)
        assert answer.results[0].reference == "INC-10"
        investigation = await m.investigate("INC-20")
        assert investigation.hypotheses
        assert list((await m.changes(service="payments-db", until=DEPLOY_AT + timedelta(hours=1)))["id"]) == [
            "chg-pool"
        ]
        assert "svc-paydb" in await m.to_networkx(incident="INC-20", depth=2)
    assert (await neo4j_store.stats()).nodes_by_label.get("Investigation", 0) == 0


async def test_a_time_without_a_zone_is_a_sentence_not_a_type_error(runtime: Runtime) -> None:
    # `datetime(2026, 11, 1)` is what a notebook user types first: compared with the map's times,
    # which all have a zone, it was a TypeError traceback from the filter or from the store.
    m = Map(runtime, OWNER_VIEWER)
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - the mistake under test
    for name, call in (
        ("since", m.incidents(since=naive)),
        ("until", m.incidents(until=naive)),
        ("since", m.incidents(since="2024-01-01")),  # type: ignore[arg-type]
        ("declared_at", m.similar("payments database pool exhausted", declared_at=naive)),
        ("since", m.changes(since=naive)),
        ("until", m.changes(until=naive)),
    ):
        with pytest.raises(InvalidQuery, match=f"^{name} needs a time with a time zone") as refused:
            await call
        assert refused.value.field == name
        assert "tzinfo=UTC" in str(refused.value)
    aware = await m.incidents(since=naive.replace(tzinfo=UTC))
    assert "inc-20" in set(aware["id"])


async def test_one_name_given_as_a_string_is_one_name_not_its_letters(runtime: Runtime) -> None:
    m = Map(runtime, OWNER_VIEWER)
    # services="payments-db" was read letter by letter: "p", "a", "y"... each "not in the map".
    one = await m.similar("payments database pool exhausted", services="payments-db")
    assert one.query.services == ["payments-db"]
    assert one.query.unknown_services == []
    # rel_types="DEPENDS_ON" was the relationship types "D", "E"...: "unknown relationship type 'D'".
    around = await m.neighbourhood(service="payments-db", depth=1, rel_types="DEPENDS_ON")
    assert {e.type for e in around.edges} == {"DEPENDS_ON"}
    assert "svc-payments" in set(await m.to_networkx(service="payments-db", depth=1, rel_types="DEPENDS_ON"))


async def test_filters_the_map_does_not_know_are_refused_as_the_api_refuses_them(runtime: Runtime) -> None:
    await runtime.store.upsert_nodes(
        [
            Node("st-live", "IncidentStatus", {"name": "Investigating", "category": "live"}),
            Node("st-closed", "IncidentStatus", {"name": "Closed", "category": "closed"}),
        ]
    )
    m = Map(runtime, OWNER_VIEWER)
    # An unknown status was an empty table, read as "no such incidents"; the API answers 400.
    with pytest.raises(InvalidQuery, match="unknown status 'Resolvd'") as refused:
        await m.incidents(status="Resolvd")
    assert "'Closed'" in str(refused.value)
    assert "'live'" in str(refused.value)
    await m.incidents(status="closed")
    await m.incidents(status="INVESTIGATING")
    # An unknown service says which ones were meant, as changes() and neighbourhood() do.
    with pytest.raises(NotFound, match="did you mean payments-db"):
        await m.incidents(service="payments-dbb")
    # A limit out of the API's range was an empty table (0) or a silent cap.
    for limit in (0, 501):
        with pytest.raises(InvalidQuery, match=f"limit must be a whole number from 1 to 500, not {limit}"):
            await m.changes(limit=limit)


async def test_a_neighbourhood_takes_the_apis_names_for_what_to_walk(runtime: Runtime) -> None:
    # The notebook took rel_types only: label, rel, before and after, the names of the API, the
    # CLI and the MCP tool (README: "every surface's"), were a TypeError.
    m = Map(runtime, OWNER_VIEWER)
    teams = await m.neighbourhood(service="payments-db", depth=1, label="Team")
    assert {n.label for n in teams.nodes} == {"Service", "Team"}
    walked = await m.neighbourhood(service="payments-db", depth=1, rel=["DEPENDS_ON"])
    assert {e.type for e in walked.edges} == {"DEPENDS_ON"}
    older = await m.neighbourhood(service="payments-db", depth=1, rel_types=("DEPENDS_ON",))
    assert {n.id for n in older.nodes} == {n.id for n in walked.nodes}
    before = await m.to_networkx(service="payments-db", depth=1, rel="CHANGED", before=DEPLOY_AT)
    assert "chg-pool" not in before
    after = await m.to_networkx(service="payments-db", depth=1, rel="CHANGED", after=DEPLOY_AT)
    assert "chg-pool" in after
    with pytest.raises(InvalidQuery, match="not both"):
        await m.neighbourhood(service="payments-db", rel="AFFECTS", rel_types="AFFECTS")
    with pytest.raises(InvalidQuery, match=r"^before needs a time with a time zone"):
        await m.neighbourhood(service="payments-db", before=datetime(2024, 1, 1))  # noqa: DTZ001


async def test_an_incident_not_in_the_map_is_investigated_from_its_description(runtime: Runtime) -> None:
    # similar() took a description, investigate() only a reference: "payments-db pool exhausted"
    # was "incident not found", where `precedent investigate --name` and POST /v1/investigations
    # build one.
    m = Map(runtime, OWNER_VIEWER)
    described = await m.investigate("payments database pool exhausted", services="payments-db")
    assert described.incident.reference is None
    assert described.incident.name == "payments database pool exhausted"
    assert "inc-10" in {p.incident_id for p in described.similar}
    assert [s.name for s in described.services] == ["payments-db"]
    with pytest.raises(InvalidQuery, match=r"^declared_at needs a time with a time zone"):
        await m.investigate("payments database pool exhausted", declared_at=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(NotFound):
        await m.investigate("INC-999")
