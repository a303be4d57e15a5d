"""What only the Neo4j store has: migrations, the vector index, URIs, storage layout, errors."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import numpy as np
import pytest
from neo4j import AsyncDriver, AsyncGraphDatabase

from precedent.errors import SchemaError, StoreError, StoreUnavailable
from precedent.graph_schema import load_schema
from precedent.model import Node, SearchFilter
from precedent.store import GraphStore
from precedent.store.neo4j import Neo4jStore
from tests.store.contract_graph import EDGES, NODES, QUERY, at, expected_knn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.neo4j

LATEST = max(m.version for m in load_schema().migrations)


def _auth(server: Neo4jServer) -> tuple[str, str] | None:
    return (server.user, server.password) if server.user and server.password else None


@pytest.fixture
async def driver(neo4j: Neo4jServer) -> AsyncIterator[AsyncDriver]:
    """A raw driver on an empty database, to look behind the store's back."""
    async with AsyncGraphDatabase.driver(
        neo4j.uri, auth=_auth(neo4j), notifications_min_severity="OFF"
    ) as raw:
        await raw.execute_query("MATCH (n) DETACH DELETE n", database_="neo4j")
        yield raw


async def _indexes(driver: AsyncDriver) -> dict[str, str]:
    records, _, _ = await driver.execute_query("SHOW INDEXES YIELD name, type", database_="neo4j")
    return {record["name"]: record["type"] for record in records}


def test_public_surface_and_protocol() -> None:
    import precedent.store.neo4j as package

    assert package.__all__ == ["Neo4jInbox", "Neo4jStore", "check_reachable"]
    # Constructing does no I/O, so even an unreachable address is fine until open().
    assert isinstance(Neo4jStore("bolt://127.0.0.1:1", auth=None), GraphStore)


async def test_open_records_the_schema_version_and_is_idempotent(
    neo4j: Neo4jServer, driver: AsyncDriver
) -> None:
    for _ in range(2):
        store = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
        await store.open()
        assert await store.get_meta("schema_version") == str(LATEST)
        await store.close()
    records, _, _ = await driver.execute_query(
        "MATCH (m:PrecedentMeta {key: 'schema_version'}) RETURN count(m) AS c", database_="neo4j"
    )
    assert records[0]["c"] == 1
    indexes = await _indexes(driver)
    assert indexes["entity_embedding"] == "VECTOR"
    assert indexes["entity_text"] == "FULLTEXT"
    assert indexes["entity_occurred_at"] == "RANGE"


async def test_a_map_a_newer_precedent_migrated_is_refused(neo4j: Neo4jServer, driver: AsyncDriver) -> None:
    # After an upgrade, a serve or worker still on the old version opened the map silently and
    # went on writing the shapes the new migrations had converted away.
    store = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
    await store.open()
    await store.set_meta("schema_version", str(LATEST + 1))
    await store.close()
    older = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
    try:
        with pytest.raises(StoreError) as refused:
            await older.open()
        assert f"schema is version {LATEST + 1}, newer than this Precedent's ({LATEST})" in str(refused.value)
        assert "restore the backup taken before the upgrade" in str(refused.value)
    finally:
        await older.close()
        # The test server's wipe keeps the recorded version for the next test: put it back.
        await driver.execute_query(
            "MATCH (m:PrecedentMeta {key: 'schema_version'}) SET m.value = $v",
            v=str(LATEST),
            database_="neo4j",
        )


async def test_vector_index_waits_for_a_known_dimension(neo4j: Neo4jServer, driver: AsyncDriver) -> None:
    await driver.execute_query("DROP INDEX entity_embedding IF EXISTS", database_="neo4j")
    unknown = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=None)
    await unknown.open()
    assert "entity_embedding" not in await _indexes(driver)
    await unknown.upsert_nodes(NODES)
    # Exact search needs no index, so it works before the dimension is known.
    hits = await unknown.vector_search(QUERY, k=2)
    assert [h.node_id for h in hits] == [node_id for node_id, _ in expected_knn(["inc-1", "inc-3"], k=2)]
    await unknown.close()

    known = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
    await known.open()
    assert (await _indexes(driver))["entity_embedding"] == "VECTOR"
    await known.close()
    # Opened again without a dimension, the existing index is kept.
    await unknown.open()
    assert "entity_embedding" in await _indexes(driver)
    await unknown.close()


async def test_a_vector_index_of_another_dimension_is_refused(neo4j: Neo4jServer) -> None:
    existing = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
    await existing.open()
    await existing.close()
    store = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=512)
    with pytest.raises(StoreError, match="384 dimensions but the embedder gives 512"):
        await store.open()


async def test_a_store_opened_without_a_dimension_checks_vectors_against_the_index(
    neo4j: Neo4jServer,
) -> None:
    # A reader opens the map before its model is loaded: a model of another length is named, not
    # left to a Neo4j error deep in a query.
    writer = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384)
    await writer.open()
    await writer.upsert_nodes(NODES)
    await writer.close()
    reader = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=None)
    await reader.open()
    try:
        for exact in (True, False):
            with pytest.raises(
                SchemaError, match="the query embedding has 8 dimensions but the store holds 384"
            ):
                await reader.vector_search(np.ones(8, dtype=np.float32), k=2, exact=exact)
        assert len(await reader.vector_search(QUERY, k=2)) == 2
    finally:
        await reader.close()


async def test_nodes_are_entity_plus_label_with_prefixed_properties(
    neo4j_store: GraphStore, driver: AsyncDriver
) -> None:
    await neo4j_store.upsert_nodes([NODES[0]])
    records, _, _ = await driver.execute_query(
        "MATCH (n {id: 'inc-1'}) RETURN labels(n) AS labels, properties(n) AS props", database_="neo4j"
    )
    [record] = records
    assert sorted(record["labels"]) == ["Entity", "Incident"]
    props = record["props"]
    assert props["p_severity"] == "major"
    assert isinstance(props["occurred_at"], int)
    assert len(props["embedding"]) == 384
    assert "severity" not in props


async def test_routing_uri_works_against_a_single_server(neo4j: Neo4jServer, driver: AsyncDriver) -> None:
    store = Neo4jStore(neo4j.uri.replace("bolt://", "neo4j://"), auth=_auth(neo4j), dimensions=384)
    await store.open()
    await store.upsert_nodes(NODES)
    await store.upsert_edges(EDGES)
    assert (await store.stats()).edges == len(EDGES)
    assert [n.id for n in await store.get_nodes(["svc-db"])] == ["svc-db"]
    await store.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_closed_port_is_store_unavailable() -> None:
    store = Neo4jStore(f"bolt://127.0.0.1:{_closed_port()}", auth=None)
    with pytest.raises(StoreUnavailable, match="Check the server is running"):
        await store.open()
    await store.close()


async def test_a_bad_uri_is_store_unavailable() -> None:
    for uri in ("http://127.0.0.1:7474", "127.0.0.1:7687"):
        with pytest.raises(StoreUnavailable, match="must start with one of"):
            await Neo4jStore(uri, auth=None).open()
    with pytest.raises(StoreUnavailable, match="cannot use Neo4j URI"):
        await Neo4jStore("bolt://127.0.0.1:port", auth=None).open()


@pytest.mark.parametrize(
    "uri",
    ["bolt://neo4j:hunter2@127.0.0.1:7687", "neo4j://neo4j:hunter2@127.0.0.1:7687", "ftp://neo4j:hunter2@db"],
)
async def test_a_password_written_into_the_uri_is_never_repeated(uri: str) -> None:
    # The driver refuses userinfo, quoting the whole URI into its error: the password went to
    # the terminal and the service's log.
    with pytest.raises(StoreUnavailable) as refused:
        await Neo4jStore(uri, auth=None).open()
    message = str(refused.value)
    assert "hunter2" not in message
    assert "neo4j@" not in message
    assert "PRECEDENT_NEO4J_PASSWORD" in message or "must start with one of" in message


async def test_a_database_the_server_lacks_says_which_setting_to_change(neo4j: Neo4jServer) -> None:
    store = Neo4jStore(neo4j.uri, auth=_auth(neo4j), database="prod")
    with pytest.raises(StoreUnavailable, match=r"has no database 'prod'.*Set PRECEDENT_NEO4J_DATABASE"):
        await store.open()
    await store.close()


async def test_use_before_open_says_what_to_do(neo4j: Neo4jServer) -> None:
    store = Neo4jStore(neo4j.uri, auth=_auth(neo4j))
    with pytest.raises(StoreError, match=r"call `await store.open\(\)` first"):
        await store.stats()
    await store.close()


async def test_server_errors_become_store_errors(neo4j: Neo4jServer, driver: AsyncDriver) -> None:
    # Opened without a dimension and with no vector index to read one from, the store cannot check
    # a query vector; the server's refusal to compare vectors of different lengths must surface as
    # a StoreError with the driver's cause.
    await driver.execute_query("DROP INDEX entity_embedding IF EXISTS", database_="neo4j")
    store = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=None)
    await store.open()
    try:
        await store.upsert_nodes(NODES)
        with pytest.raises(StoreError, match="Neo4j failed while searching vectors") as caught:
            await store.vector_search(np.ones(3, dtype=np.float32), k=3)
        assert caught.value.__cause__ is not None
    finally:
        await store.close()


@pytest.mark.parametrize("mixed", [["a", 1], [True, 1], ["a", False]])
async def test_lists_neo4j_cannot_hold_are_schema_errors(
    neo4j_store: Neo4jStore, mixed: list[object]
) -> None:
    with pytest.raises(SchemaError, match="mixes"):
        await neo4j_store.upsert_nodes([Node("svc-a", "Service"), Node("svc-b", "Service", {"tags": mixed})])  # type: ignore[dict-item]
    assert (await neo4j_store.stats()).nodes == 0


async def test_index_vector_search_agrees_with_exact_on_a_small_map(neo4j_store: Neo4jStore) -> None:
    await neo4j_store.upsert_nodes(NODES)
    exact = await neo4j_store.vector_search(QUERY, k=4)
    approximate = await neo4j_store.vector_search(QUERY, k=4, exact=False)
    assert [h.node_id for h in approximate] == [h.node_id for h in exact]
    np.testing.assert_allclose([h.score for h in approximate], [h.score for h in exact], atol=1e-5)


async def test_index_vector_search_scans_when_the_filter_rejects_the_nearest(
    neo4j: Neo4jServer, neo4j_store: Neo4jStore
) -> None:
    # The two nearest are filtered out; with an over-fetch of two, the index path found no hit
    # and answered [] where the embedded store (and the exact scan) answer the next two.
    axis = [1.0] + [0.0] * 383
    nodes = [
        Node(f"n{i}", "Incident", embedding=[1.0, 0.05 * i] + [0.0] * 382, occurred_at=at(10 - i))
        for i in range(6)
    ]
    await neo4j_store.upsert_nodes(nodes)
    short = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384, over_fetch=2, exact_search=False)
    await short.open()
    try:
        later = SearchFilter(before=at(9))
        hits = await short.vector_search(axis, k=2, search_filter=later)
        assert [h.node_id for h in hits] == ["n2", "n3"]
        labelled = await short.vector_search_labelled(axis, k=2, search_filter=later, key="name")
        assert [h.node_id for h in labelled] == ["n2", "n3"]
    finally:
        await short.close()


async def test_text_search_over_a_few_lucene_hits_is_still_exact(
    neo4j: Neo4jServer, neo4j_store: Neo4jStore
) -> None:
    # Scores spread by repetition, ties (identical texts), and filters that reject the best hits,
    # so the short path must fall back to the full search for some of the cases below.
    nodes = [
        Node(
            f"doc-{i:02d}",
            "Incident" if i % 3 else "IncidentUpdate",
            text=" ".join(["disk full"] * (1 + i % 4)),
            occurred_at=at(1 + i % 12),
            visibility="private" if i % 5 == 0 else "public",
        )
        for i in range(40)
    ]
    await neo4j_store.upsert_nodes(nodes)
    short = Neo4jStore(neo4j.uri, auth=_auth(neo4j), dimensions=384, text_over_fetch=2)
    await short.open()
    try:
        for search_filter in [
            None,
            SearchFilter(labels=("Incident",)),
            SearchFilter(labels=("IncidentUpdate",), visibilities=("public",)),
            SearchFilter(before=at(3), after=at(2)),
        ]:
            for k in (1, 3, 7, 40):
                want = await neo4j_store.text_search("full disk", k=k, search_filter=search_filter)
                assert await short.text_search("full disk", k=k, search_filter=search_filter) == want
    finally:
        await short.close()
