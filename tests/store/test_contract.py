"""The GraphStore contract: every test runs against every store and expects the same answer.

Expectations come from the documented semantics (``store/base.py`` and ``model.py``) applied by hand
to the fixed map in ``contract_graph``, never from either implementation.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pytest

from precedent.errors import InvalidQuery, SchemaError
from precedent.model import Edge, EdgeKey, GraphFilter, Node, SearchFilter
from tests.store.contract_graph import BY_ID, EDGES, EMBEDDINGS, NODES, QUERY, at, expected_knn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.contract

INCIDENTS = ["inc-1", "inc-2", "inc-3", "inc-4"]
EMBEDDED = [*INCIDENTS, "upd-1", "upd-2"]


@pytest.fixture
async def graph(store: GraphStore) -> GraphStore:
    """The store with the fixed map loaded."""
    await store.upsert_nodes(NODES)
    await store.upsert_edges(EDGES)
    return store


def keys(edges: list[Edge] | tuple[Edge, ...]) -> list[tuple[str, str, str]]:
    return [(e.source, e.type, e.target) for e in edges]


def pairs(found: list[tuple[Edge, Node]]) -> list[tuple[str, str, str, str]]:
    return [(edge.source, edge.type, edge.target, node.id) for edge, node in found]


# --- upserts, reads and deletes -----------------------------------------------------------------


async def test_nodes_round_trip_every_field(graph: GraphStore) -> None:
    got = await graph.get_nodes([node.id for node in NODES], with_embeddings=True)
    assert [node.id for node in got] == [node.id for node in NODES]
    for node in got:
        want = BY_ID[node.id]
        assert (node.label, dict(node.properties), node.occurred_at) == (
            want.label,
            dict(want.properties),
            want.occurred_at,
        )
        assert (node.visibility, node.text) == (want.visibility, want.text)
        if want.embedding is None:
            assert node.embedding is None
        else:
            assert node.embedding is not None
            assert node.embedding.dtype == np.float32
            np.testing.assert_array_equal(node.embedding, want.embedding)


async def test_embeddings_are_left_out_unless_asked_for(graph: GraphStore) -> None:
    [node] = await graph.get_nodes(["inc-1"])
    assert node.embedding is None


async def test_get_nodes_keeps_the_order_asked_and_skips_missing(graph: GraphStore) -> None:
    got = await graph.get_nodes(["team-core", "nope", "inc-3", "svc-db", "inc-3"])
    assert [node.id for node in got] == ["team-core", "inc-3", "svc-db"]
    assert await graph.get_nodes([]) == []


async def test_same_id_twice_is_one_node(graph: GraphStore) -> None:
    await graph.upsert_nodes([BY_ID["inc-1"], BY_ID["inc-1"]])
    await graph.upsert_nodes([BY_ID["inc-1"]])
    stats = await graph.stats()
    assert stats.nodes_by_label["Incident"] == 4
    assert stats.nodes == len(NODES)


async def test_upsert_replaces_properties_and_fields(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("inc-1", "Incident", {"severity": "minor", "status": "closed"})])
    [node] = await graph.get_nodes(["inc-1"], with_embeddings=True)
    assert dict(node.properties) == {"severity": "minor", "status": "closed"}
    assert (node.occurred_at, node.text, node.embedding, node.visibility) == (None, None, None, "public")
    assert [hit.node_id for hit in await graph.text_search("latency spike", k=5)] == []


async def test_upsert_can_change_a_nodes_label(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("svc-search", "CatalogEntry", {"name": "search"})])
    [node] = await graph.get_nodes(["svc-search"])
    assert node.label == "CatalogEntry"
    stats = await graph.stats()
    assert (stats.nodes_by_label["Service"], stats.nodes_by_label["CatalogEntry"]) == (3, 1)
    assert [n.id async for n in graph.scan_nodes(["Service"])] == ["svc-checkout", "svc-db", "svc-payments"]


async def test_none_properties_are_dropped(store: GraphStore) -> None:
    node = Node("svc-x", "Service", {"name": "x", "owner": None})  # type: ignore[dict-item]
    await store.upsert_nodes([node])
    [got] = await store.get_nodes(["svc-x"])
    assert dict(got.properties) == {"name": "x"}


async def test_same_edge_key_twice_is_one_edge_with_the_last_properties(graph: GraphStore) -> None:
    await graph.upsert_edges(
        [Edge("svc-payments", "DEPENDS_ON", "svc-db", {"attribute": "old"})] * 2
        + [Edge("svc-payments", "DEPENDS_ON", "svc-db", {"critical": True})]
    )
    edges = [e async for e in graph.scan_edges(["DEPENDS_ON"])]
    found = [e for e in edges if e.key == EdgeKey("svc-payments", "DEPENDS_ON", "svc-db")]
    assert len(found) == 1
    assert dict(found[0].properties) == {"critical": True}
    assert (await graph.stats()).edges == len(EDGES)


async def test_edges_to_missing_nodes_are_ignored(graph: GraphStore) -> None:
    await graph.upsert_edges(
        [Edge("inc-1", "AFFECTS", "svc-ghost"), Edge("ghost", "OWNED_BY", "team-core"), *EDGES[:1]]
    )
    assert (await graph.stats()).edges == len(EDGES)


async def test_unknown_label_or_type_is_a_schema_error(store: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await store.upsert_nodes([Node("x", "Widget")])
    with pytest.raises(SchemaError):
        await store.upsert_nodes([Node("x", "Service) DETACH DELETE (n")])
    await store.upsert_nodes([Node("a", "Service"), Node("b", "Service")])
    with pytest.raises(SchemaError):
        await store.upsert_edges([Edge("a", "LIKES", "b")])
    assert (await store.stats()).edges == 0


@pytest.mark.parametrize(
    "bad",
    [
        Node("inc-x", "Incident", embedding=np.ones(3, dtype=np.float32)),
        Node("inc-x", "Incident", embedding=np.full(384, np.nan, dtype=np.float32)),
        Node("inc-x", "Incident", {"id": "clash"}),
        Node("inc-x", "Incident", {"nested": [[1]]}),  # type: ignore[list-item]
        Node("inc-x", "Incident", visibility="secret"),  # type: ignore[arg-type]
    ],
    ids=["dimension", "nan", "reserved-key", "nested", "visibility"],
)
async def test_invalid_nodes_are_schema_errors_and_nothing_is_written(store: GraphStore, bad: Node) -> None:
    with pytest.raises(SchemaError):
        await store.upsert_nodes([Node("svc-ok", "Service"), bad])
    assert (await store.stats()).nodes == 0


async def test_invalid_query_vectors_are_schema_errors(graph: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await graph.vector_search(np.ones(3, dtype=np.float32), k=3)
    with pytest.raises(SchemaError):
        await graph.vector_search(np.full(384, np.inf, dtype=np.float32), k=3)


async def test_delete_nodes_removes_their_edges_and_ignores_missing(graph: GraphStore) -> None:
    await graph.delete_nodes(["svc-payments", "nope"])
    assert await graph.get_nodes(["svc-payments"]) == []
    remaining = [e async for e in graph.scan_edges()]
    assert all("svc-payments" not in (e.source, e.target) for e in remaining)
    assert len(remaining) == len(EDGES) - 5
    assert (await graph.stats()).nodes == len(NODES) - 1


async def test_delete_edges_by_key_ignores_missing(graph: GraphStore) -> None:
    await graph.delete_edges(
        [EdgeKey("svc-payments", "DEPENDS_ON", "svc-db"), EdgeKey("svc-db", "DEPENDS_ON", "svc-payments")]
    )
    remaining = {e.key async for e in graph.scan_edges()}
    assert EdgeKey("svc-payments", "DEPENDS_ON", "svc-db") not in remaining
    assert len(remaining) == len(EDGES) - 1
    assert len(await graph.get_nodes(["svc-payments", "svc-db"])) == 2


async def test_occurred_at_round_trips_as_an_aware_instant(store: GraphStore) -> None:
    moment = datetime(2024, 6, 30, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=2)))
    await store.upsert_nodes([Node("inc-tz", "Incident", occurred_at=moment)])
    [node] = await store.get_nodes(["inc-tz"])
    assert node.occurred_at == moment
    assert node.occurred_at is not None
    assert node.occurred_at.utcoffset() is not None


async def test_concurrent_calls_from_one_loop(store: GraphStore) -> None:
    batches = [[Node(f"u-{i}-{j}", "User", {"n": j}) for j in range(20)] for i in range(5)]
    await asyncio.gather(*(store.upsert_nodes(batch) for batch in batches))
    counts = await asyncio.gather(*(store.stats() for _ in range(3)))
    assert all(stats.nodes_by_label == {"User": 100} for stats in counts)


# --- neighbours and subgraphs --------------------------------------------------------------------


async def test_neighbours_ordered_by_type_then_neighbour(graph: GraphStore) -> None:
    found = await graph.neighbours("svc-payments")
    assert pairs(found) == [
        ("inc-1", "AFFECTS", "svc-payments", "inc-1"),
        ("inc-3", "AFFECTS", "svc-payments", "inc-3"),
        ("svc-checkout", "DEPENDS_ON", "svc-payments", "svc-checkout"),
        ("svc-payments", "DEPENDS_ON", "svc-db", "svc-db"),
        ("svc-payments", "OWNED_BY", "team-core", "team-core"),
    ]
    checkout = next(edge for edge, _ in found if edge.source == "svc-checkout")
    assert dict(checkout.properties) == {"attribute": "Dependencies"}
    assert found[0][1].label == "Incident"
    assert found[0][1].text == BY_ID["inc-1"].text


async def test_neighbours_follow_direction_and_types(graph: GraphStore) -> None:
    out = await graph.neighbours("svc-payments", GraphFilter(direction="out"))
    assert [node.id for _, node in out] == ["svc-db", "team-core"]
    into = await graph.neighbours("svc-payments", GraphFilter(direction="in", rel_types=("DEPENDS_ON",)))
    assert pairs(into) == [("svc-checkout", "DEPENDS_ON", "svc-payments", "svc-checkout")]
    typed = await graph.neighbours("svc-checkout", GraphFilter(rel_types=("OWNED_BY", "AFFECTS")))
    assert [node.id for _, node in typed] == ["inc-2", "team-core"]


async def test_neighbours_filter_the_far_node(graph: GraphStore) -> None:
    incidents = await graph.neighbours("svc-payments", GraphFilter(labels=("Incident",)))
    assert [node.id for _, node in incidents] == ["inc-1", "inc-3"]
    public = await graph.neighbours("svc-checkout", GraphFilter(visibilities=("public",)))
    assert [node.id for _, node in public] == ["svc-db", "svc-payments", "team-core"]
    # Time filters skip nodes outside the window; nodes with no time pass.
    early = await graph.neighbours("svc-payments", GraphFilter(before=at(2)))
    assert [node.id for _, node in early] == ["inc-1", "svc-checkout", "svc-db", "team-core"]
    late = await graph.neighbours("svc-payments", GraphFilter(after=at(3)))
    assert [node.id for _, node in late] == ["inc-3", "svc-checkout", "svc-db", "team-core"]
    untimed = await graph.neighbours("svc-payments", GraphFilter(before=at(3), after=at(3)))
    assert [node.id for _, node in untimed] == ["svc-checkout", "svc-db", "team-core"]


async def test_neighbours_of_an_isolated_or_missing_node(store: GraphStore) -> None:
    await store.upsert_nodes([Node("lonely", "Team")])
    assert await store.neighbours("lonely") == []
    assert await store.neighbours("nope") == []


async def test_neighbours_both_ways_and_self_loops(store: GraphStore) -> None:
    await store.upsert_nodes([Node("inc-a", "Incident"), Node("inc-b", "Incident")])
    related = [("inc-a", "inc-b"), ("inc-b", "inc-a"), ("inc-a", "inc-a")]
    await store.upsert_edges([Edge(source, "RELATED_TO", target) for source, target in related])
    # A self-loop is one edge at the node, whichever way it is looked at; the same type both ways
    # to one neighbour is ordered by source.
    assert pairs(await store.neighbours("inc-a")) == [
        ("inc-a", "RELATED_TO", "inc-a", "inc-a"),
        ("inc-a", "RELATED_TO", "inc-b", "inc-b"),
        ("inc-b", "RELATED_TO", "inc-a", "inc-b"),
    ]
    out = await store.neighbours("inc-a", GraphFilter(direction="out"))
    assert keys([edge for edge, _ in out]) == [
        ("inc-a", "RELATED_TO", "inc-a"),
        ("inc-a", "RELATED_TO", "inc-b"),
    ]
    into = await store.neighbours("inc-a", GraphFilter(direction="in"))
    assert keys([edge for edge, _ in into]) == [
        ("inc-a", "RELATED_TO", "inc-a"),
        ("inc-b", "RELATED_TO", "inc-a"),
    ]


async def test_subgraph_is_breadth_first_by_hop_then_id(graph: GraphStore) -> None:
    one = await graph.subgraph(["inc-1"], depth=1)
    assert [n.id for n in one.nodes] == ["inc-1", "svc-payments", "upd-1"]
    assert keys(one.edges) == [("inc-1", "AFFECTS", "svc-payments"), ("inc-1", "HAS_UPDATE", "upd-1")]
    assert not one.truncated
    two = await graph.subgraph(["inc-1"], depth=2)
    assert [n.id for n in two.nodes] == [
        "inc-1", "svc-payments", "upd-1",
        "inc-3", "svc-checkout", "svc-db", "team-core",
    ]  # fmt: skip
    assert keys(two.edges) == [
        ("inc-1", "AFFECTS", "svc-payments"),
        ("inc-1", "HAS_UPDATE", "upd-1"),
        ("inc-3", "AFFECTS", "svc-payments"),
        ("svc-checkout", "DEPENDS_ON", "svc-db"),
        ("svc-checkout", "DEPENDS_ON", "svc-payments"),
        ("svc-checkout", "OWNED_BY", "team-core"),
        ("svc-db", "OWNED_BY", "team-core"),
        ("svc-payments", "DEPENDS_ON", "svc-db"),
        ("svc-payments", "OWNED_BY", "team-core"),
    ]
    assert two.nodes[0].text == BY_ID["inc-1"].text


async def test_subgraph_depth_zero_and_missing_seeds(graph: GraphStore) -> None:
    zero = await graph.subgraph(["svc-db", "nope", "svc-payments", "svc-db"], depth=0)
    assert [n.id for n in zero.nodes] == ["svc-db", "svc-payments"]
    assert keys(zero.edges) == [("svc-payments", "DEPENDS_ON", "svc-db")]
    empty = await graph.subgraph(["nope"], depth=2)
    assert (empty.nodes, empty.edges, empty.truncated) == ((), (), False)


async def test_subgraph_label_filter_keeps_seeds_and_stops_at_rejected_nodes(graph: GraphStore) -> None:
    sub = await graph.subgraph(["inc-1"], depth=3, graph_filter=GraphFilter(labels=("Service",)))
    assert [n.id for n in sub.nodes] == ["inc-1", "svc-payments", "svc-checkout", "svc-db"]
    assert keys(sub.edges) == [
        ("inc-1", "AFFECTS", "svc-payments"),
        ("svc-checkout", "DEPENDS_ON", "svc-db"),
        ("svc-checkout", "DEPENDS_ON", "svc-payments"),
        ("svc-payments", "DEPENDS_ON", "svc-db"),
    ]


async def test_subgraph_follows_only_allowed_types_and_direction(graph: GraphStore) -> None:
    walk = GraphFilter(rel_types=("DEPENDS_ON",), direction="out")
    sub = await graph.subgraph(["svc-checkout"], depth=2, graph_filter=walk)
    assert [n.id for n in sub.nodes] == ["svc-checkout", "svc-db", "svc-payments"]
    assert keys(sub.edges) == [
        ("svc-checkout", "DEPENDS_ON", "svc-db"),
        ("svc-checkout", "DEPENDS_ON", "svc-payments"),
        ("svc-payments", "DEPENDS_ON", "svc-db"),
    ]
    upstream = await graph.subgraph(["svc-db"], depth=2, graph_filter=GraphFilter(direction="in"))
    assert [n.id for n in upstream.nodes] == [
        "svc-db", "inc-2", "svc-checkout", "svc-payments", "inc-1", "inc-3",
    ]  # fmt: skip


async def test_subgraph_time_and_visibility_filters(graph: GraphStore) -> None:
    early = await graph.subgraph(["svc-payments"], depth=1, graph_filter=GraphFilter(before=at(2)))
    assert [n.id for n in early.nodes] == ["svc-payments", "inc-1", "svc-checkout", "svc-db", "team-core"]
    public = await graph.subgraph(["svc-db"], depth=1, graph_filter=GraphFilter(visibilities=("public",)))
    assert [n.id for n in public.nodes] == ["svc-db", "svc-checkout", "svc-payments", "team-core"]
    # A seed is kept even when the filter rejects it.
    private_seed = await graph.subgraph(
        ["inc-2"], depth=0, graph_filter=GraphFilter(visibilities=("public",))
    )
    assert [n.id for n in private_seed.nodes] == ["inc-2"]


async def test_subgraph_caps_nodes_in_hop_then_id_order(graph: GraphStore) -> None:
    capped = await graph.subgraph(["svc-payments"], depth=2, max_nodes=3)
    assert [n.id for n in capped.nodes] == ["svc-payments", "inc-1", "inc-3"]
    assert capped.truncated
    assert keys(capped.edges) == [("inc-1", "AFFECTS", "svc-payments"), ("inc-3", "AFFECTS", "svc-payments")]
    exact = await graph.subgraph(["inc-1"], depth=1, max_nodes=3)
    assert [n.id for n in exact.nodes] == ["inc-1", "svc-payments", "upd-1"]
    assert not exact.truncated
    everything = await graph.subgraph(["inc-1"], depth=10)
    assert len(everything.nodes) == 9  # inc-4, svc-search and team-search are another component
    assert not everything.truncated


# --- search --------------------------------------------------------------------------------------


def assert_hits(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [node_id for node_id, _ in got] == [node_id for node_id, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


async def test_vector_search_is_exact_cosine_with_id_tie_break(graph: GraphStore) -> None:
    want = expected_knn(EMBEDDED, k=10)
    scores = [score for _, score in want]
    assert all(a - b > 1e-3 for a, b in itertools.pairwise(scores) if a != b)
    hits = await graph.vector_search(QUERY, k=10)
    assert_hits([(h.node_id, h.score) for h in hits], want)
    # Equal vectors tie and are ordered by id; the anti-aligned vector comes last.
    assert [h.node_id for h in hits][-3:] == ["inc-2", "upd-2", "inc-4"]
    top = await graph.vector_search(QUERY, k=2)
    assert_hits([(h.node_id, h.score) for h in top], want[:2])
    itself = await graph.vector_search(EMBEDDINGS["inc-3"], k=1)
    assert itself[0].node_id == "inc-3"
    assert itself[0].score == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("search_filter", [SearchFilter(), SearchFilter(labels=("IncidentUpdate",))])
async def test_vector_search_on_a_clustered_map_is_the_exact_top_k(
    store: GraphStore, search_filter: SearchFilter
) -> None:
    # Deep hits of near-identical vectors: where an approximate index misorders or misses (an
    # embedded map of 2,766 vectors recalled 0.93-0.96 of the exact top 40 in /v1/search).
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((4, 384))
    vectors = centres[np.arange(1200) % 4] + 0.15 * rng.standard_normal((1200, 384))
    labels = ["Incident" if i % 3 else "IncidentUpdate" for i in range(1200)]
    await store.upsert_nodes(
        [Node(f"v-{i:04d}", labels[i], embedding=vectors[i].astype(np.float32)) for i in range(1200)]
    )
    query = centres[0] + 0.15 * rng.standard_normal(384)
    cosines = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    allowed = [i for i in range(1200) if not search_filter.labels or labels[i] in search_filter.labels]
    want = sorted(allowed, key=lambda i: (-cosines[i], i))[:40]
    hits = await store.vector_search(query.astype(np.float32), k=40, search_filter=search_filter)
    assert_hits([(h.node_id, h.score) for h in hits], [(f"v-{i:04d}", float(cosines[i])) for i in want])


@pytest.mark.parametrize(
    ("search_filter", "candidates"),
    [
        (SearchFilter(labels=("IncidentUpdate",)), ["upd-1", "upd-2"]),
        (SearchFilter(before=at(2)), ["inc-1", "upd-1"]),
        (SearchFilter(after=at(2)), ["inc-2", "inc-3", "inc-4", "upd-2"]),
        (SearchFilter(after=at(2), before=at(4)), ["inc-2", "inc-3", "upd-2"]),
        (SearchFilter(exclude_ids=frozenset({"inc-1", "inc-3"})), ["inc-2", "inc-4", "upd-1", "upd-2"]),
        (SearchFilter(visibilities=("public",)), ["inc-1", "inc-3", "inc-4", "upd-1"]),
        (SearchFilter(labels=("Incident",), visibilities=("private",)), ["inc-2"]),
        (SearchFilter(labels=("Service",)), []),
    ],
)
async def test_vector_search_filters(
    graph: GraphStore, search_filter: SearchFilter, candidates: list[str]
) -> None:
    hits = await graph.vector_search(QUERY, k=3, search_filter=search_filter)
    assert_hits([(h.node_id, h.score) for h in hits], expected_knn(candidates, k=3))


@pytest.fixture(params=["embedded", "neo4j"])
async def approximate_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    """Each store built approximate, as Precedent's settings build them: an HNSW index proposes
    over-fetched candidates, then the filter and exact cosines apply (the embedded store's index
    at any size, where it scans maps of up to 50,000 embeddings otherwise)."""
    store: GraphStore
    if request.param == "neo4j":
        from precedent.store.neo4j import Neo4jStore

        request.applymarker(pytest.mark.neo4j)
        server: Neo4jServer = request.getfixturevalue("neo4j")
        await server.empty()
        store = Neo4jStore(server.uri, auth=server.auth, dimensions=384, exact_search=False)
    else:
        from precedent.store.embedded import EmbeddedStore

        store = EmbeddedStore(tmp_path / "graph", dimensions=384, exact_search=False, scan_below=0)
    await store.open()
    yield store
    await store.close()


async def test_a_filter_rejecting_the_indexs_nearest_still_gets_the_k_nearest_it_allows(
    approximate_store: GraphStore,
) -> None:
    # The index proposes a few hundred nearest (200 on Neo4j, max(200, 4k) embedded); a viewer of
    # public incidents, or an old incident's "declared before", can reject every one of them.
    # Neo4j returned the few that passed (here none) while enough visible matches existed.
    rng = np.random.default_rng(7)
    query = rng.standard_normal(384)
    near = query + 0.3 * rng.standard_normal((300, 384))  # private: the index's nearest
    far = query + 1.5 * rng.standard_normal((60, 384))  # public, and further
    vectors = np.vstack([near, far])
    nodes = [
        Node(f"v-{i:03d}", "Incident", embedding=vectors[i].astype(np.float32), visibility=visibility)
        for i, visibility in enumerate(["private"] * 300 + ["public"] * 60)
    ]
    await approximate_store.upsert_nodes(nodes)
    cosines = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    want = [
        (f"v-{i:03d}", float(cosines[i])) for i in sorted(range(300, 360), key=lambda i: (-cosines[i], i))
    ]
    public = SearchFilter(visibilities=("public",))
    hits = await approximate_store.vector_search(query.astype(np.float32), k=10, search_filter=public)
    assert_hits([(h.node_id, h.score) for h in hits], want[:10])
    labelled = await approximate_store.vector_search_labelled(
        query.astype(np.float32), k=10, search_filter=public, key="name"
    )
    assert_hits([(h.node_id, h.score) for h in labelled], want[:10])


@pytest.mark.parametrize(
    "search_filter",
    [None, SearchFilter(labels=("Incident", "IncidentUpdate"), visibilities=("public", "private"))],
)
async def test_vector_search_labelled_is_vector_search_with_each_hits_label_and_value(
    graph: GraphStore, search_filter: SearchFilter | None
) -> None:
    plain = await graph.vector_search(QUERY, k=10, search_filter=search_filter)
    labelled = await graph.vector_search_labelled(QUERY, k=10, search_filter=search_filter, key="incident_id")
    assert [(h.node_id, h.score) for h in labelled] == [(h.node_id, h.score) for h in plain]
    nodes = {n.id: n for n in await graph.get_nodes([h.node_id for h in plain])}
    assert [(h.label, h.value) for h in labelled] == [
        (nodes[h.node_id].label, nodes[h.node_id].properties.get("incident_id")) for h in plain
    ]
    assert ("IncidentUpdate", "inc-1") in [
        (h.label, h.value) for h in labelled
    ]  # an update names its incident
    assert await graph.vector_search_labelled(QUERY, k=0, key="incident_id") == []
    with pytest.raises(SchemaError):
        await graph.vector_search_labelled(QUERY, k=3, key="no such key")
    with pytest.raises(SchemaError, match="Widget"):
        await graph.vector_search_labelled(
            QUERY, k=3, search_filter=SearchFilter(labels=("Widget",)), key="name"
        )


async def test_vector_search_ignores_nodes_without_embeddings(graph: GraphStore) -> None:
    hits = await graph.vector_search(QUERY, k=100)
    assert sorted(h.node_id for h in hits) == EMBEDDED


@pytest.mark.parametrize(
    ("query", "top"),
    [
        ("certificate expired", "inc-3"),
        ("out of memory", "inc-4"),
        ("connection pool exhausted", "inc-2"),
        ("rolled back", "upd-1"),
        ("latency spike", "inc-1"),
    ],
)
async def test_text_search_finds_the_clear_match_first(graph: GraphStore, query: str, top: str) -> None:
    hits = await graph.text_search(query, k=3)
    assert hits[0].node_id == top
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


async def test_text_search_filters_and_orders(graph: GraphStore) -> None:
    both = await graph.text_search("payments", k=10)
    assert {h.node_id for h in both} == {"inc-1", "inc-3", "upd-1"}
    assert [(h.score, h.node_id) for h in both] == sorted(
        ((h.score, h.node_id) for h in both), key=lambda sn: (-sn[0], sn[1])
    )
    updates = await graph.text_search(
        "payments", k=10, search_filter=SearchFilter(labels=("IncidentUpdate",))
    )
    assert [h.node_id for h in updates] == ["upd-1"]
    public = await graph.text_search("pool", k=10, search_filter=SearchFilter(visibilities=("public",)))
    assert public == []
    later = await graph.text_search("payments", k=10, search_filter=SearchFilter(after=at(2)))
    assert [h.node_id for h in later] == ["inc-3"]
    rest = await graph.text_search(
        "payments", k=10, search_filter=SearchFilter(exclude_ids=frozenset({"inc-3"}))
    )
    assert {h.node_id for h in rest} == {"inc-1", "upd-1"}
    assert len(await graph.text_search("payments", k=1)) == 1


@pytest.mark.parametrize(
    "query",
    ["a:b (c) [d] ~ * ? \\ /", "", "   ", "AND", "NOT OR", '"unbalanced', "{x TO y}", "-+!^&&||", "*"],
)
async def test_text_search_is_safe_for_any_string(graph: GraphStore, query: str) -> None:
    hits = await graph.text_search(query, k=5)
    assert all(h.node_id in BY_ID for h in hits)


@pytest.mark.parametrize(
    "query",
    [
        "payments " + " ".join(f"w{i}" for i in range(3000)),  # a pasted log: more words than Lucene takes
        "payments " * 2000,
        "payments " + " ".join(f"{i}-{i}-{i}-{i}" for i in range(600)),  # words of several terms each
    ],
)
async def test_text_search_takes_a_query_of_any_length(graph: GraphStore, query: str) -> None:
    hits = await graph.text_search(query, k=10)
    assert {h.node_id for h in hits} == {"inc-1", "inc-3", "upd-1"}


async def test_text_search_special_characters_do_not_hide_words(graph: GraphStore) -> None:
    hits = await graph.text_search("certificate:(expired)", k=3)
    assert hits[0].node_id == "inc-3"


# --- whole-map reads -----------------------------------------------------------------------------


async def test_stats_count_nodes_per_label_and_edges_per_type(graph: GraphStore) -> None:
    stats = await graph.stats()
    # A label or type with no nodes may be reported as 0 or left out; both read the same.
    assert {k: v for k, v in stats.nodes_by_label.items() if v} == {
        "Incident": 4, "IncidentUpdate": 2, "Service": 4, "Team": 2,
    }  # fmt: skip
    assert {k: v for k, v in stats.edges_by_type.items() if v} == {
        "AFFECTS": 5, "HAS_UPDATE": 2, "DEPENDS_ON": 3, "OWNED_BY": 4,
    }  # fmt: skip
    assert (stats.nodes, stats.edges) == (len(NODES), len(EDGES))


async def test_stats_for_a_public_viewer_leave_out_private_nodes_and_their_edges(graph: GraphStore) -> None:
    stats = await graph.stats(visibilities=("public",))
    # inc-2 and upd-2 are private: gone, with AFFECTS x2 and HAS_UPDATE that touch them
    assert {k: v for k, v in stats.nodes_by_label.items() if v} == {
        "Incident": 3, "IncidentUpdate": 1, "Service": 4, "Team": 2,
    }  # fmt: skip
    assert {k: v for k, v in stats.edges_by_type.items() if v} == {
        "AFFECTS": 3, "HAS_UPDATE": 1, "DEPENDS_ON": 3, "OWNED_BY": 4,
    }  # fmt: skip
    assert await graph.stats(visibilities=("public", "private")) == await graph.stats()


async def test_empty_store_stats(store: GraphStore) -> None:
    stats = await store.stats()
    assert (stats.nodes, stats.edges) == (0, 0)


async def test_scan_nodes_in_id_order_with_label_filter(graph: GraphStore) -> None:
    assert [n.id async for n in graph.scan_nodes()] == sorted(BY_ID)
    assert [n.id async for n in graph.scan_nodes(["Team", "IncidentUpdate"])] == [
        "team-core", "team-search", "upd-1", "upd-2",
    ]  # fmt: skip
    [first] = [n async for n in graph.scan_nodes(["Incident"], with_embeddings=True) if n.id == "inc-1"]
    assert first.embedding is not None
    np.testing.assert_array_equal(first.embedding, EMBEDDINGS["inc-1"])


async def test_scan_edges_by_source_type_target(graph: GraphStore) -> None:
    assert keys([e async for e in graph.scan_edges()]) == sorted(keys(EDGES))
    owned = [e async for e in graph.scan_edges(["OWNED_BY", "HAS_UPDATE"])]
    assert keys(owned) == sorted(keys([e for e in EDGES if e.type in {"OWNED_BY", "HAS_UPDATE"}]))
    [edge] = [e async for e in graph.scan_edges(["DEPENDS_ON"]) if e.target == "svc-payments"]
    assert dict(edge.properties) == {"attribute": "Dependencies"}


async def test_scans_cross_page_boundaries(store: GraphStore) -> None:
    users = [Node(f"user-{i:05d}", "User", {"i": i}) for i in range(2345)]
    await store.upsert_nodes(users[::-1])
    await store.upsert_nodes([Node("team", "Team")])
    await store.upsert_edges([Edge(u.id, "MEMBER_OF", "team") for u in users])
    assert [n.id async for n in store.scan_nodes(["User"])] == [u.id for u in users]
    edges = [e async for e in store.scan_edges()]
    assert [e.source for e in edges] == [u.id for u in users]


async def test_export_whole_map(graph: GraphStore) -> None:
    exported = await graph.export()
    assert isinstance(exported, nx.MultiDiGraph)
    assert (exported.number_of_nodes(), exported.number_of_edges()) == (len(NODES), len(EDGES))
    inc = exported.nodes["inc-2"]
    assert (inc["label"], inc["visibility"], inc["severity"]) == ("Incident", "private", "critical")
    assert datetime.fromisoformat(inc["occurred_at"]) == at(2)
    assert exported.nodes["svc-payments"]["aliases"] == ["payments", "pay"]
    assert exported.nodes["svc-payments"]["occurred_at"] is None
    edge = exported.edges["svc-checkout", "svc-db", "DEPENDS_ON"]
    assert (edge["type"], edge["attribute"]) == ("DEPENDS_ON", "Dependencies")


async def test_export_a_subgraph(graph: GraphStore) -> None:
    sub = await graph.subgraph(["inc-1"], depth=1)
    exported = await graph.export(sub)
    assert sorted(exported.nodes) == ["inc-1", "svc-payments", "upd-1"]
    assert sorted(exported.edges(keys=True)) == [
        ("inc-1", "svc-payments", "AFFECTS"),
        ("inc-1", "upd-1", "HAS_UPDATE"),
    ]


async def test_meta_round_trip(store: GraphStore) -> None:
    assert await store.get_meta("sync.incidents") is None
    await store.set_meta("sync.incidents", "2024-05-01T00:00:00+00:00")
    await store.set_meta("sync.incidents", "2024-06-01T00:00:00+00:00")
    await store.set_meta("other", "")
    assert await store.get_meta("sync.incidents") == "2024-06-01T00:00:00+00:00"
    assert await store.get_meta("other") == ""


async def test_meta_is_not_a_node(store: GraphStore) -> None:
    await store.set_meta("k", "v")
    assert (await store.stats()).nodes == 0
    assert [n async for n in store.scan_nodes()] == []


async def test_replace_meta_writes_only_over_the_expected_value(store: GraphStore) -> None:
    assert await store.replace_meta("lease", "a", expected=None)
    assert not await store.replace_meta("lease", "b", expected=None)  # already there
    assert not await store.replace_meta("lease", "b", expected="x")  # not what it holds
    assert await store.get_meta("lease") == "a"
    assert await store.replace_meta("lease", "b", expected="a")
    assert await store.get_meta("lease") == "b"
    assert not await store.replace_meta("absent", "v", expected="b")
    assert await store.get_meta("absent") is None
    assert (await store.stats()).nodes == 0


async def test_replace_meta_has_one_winner_among_concurrent_callers(store: GraphStore) -> None:
    created = await asyncio.gather(*(store.replace_meta("k", f"c{n}", expected=None) for n in range(8)))
    assert created.count(True) == 1
    assert await store.get_meta("k") == f"c{created.index(True)}"
    current = await store.get_meta("k")
    replaced = await asyncio.gather(*(store.replace_meta("k", f"r{n}", expected=current) for n in range(8)))
    assert replaced.count(True) == 1
    assert await store.get_meta("k") == f"r{replaced.index(True)}"


async def _drain_nodes(store: GraphStore, labels: list[str]) -> list[Node]:
    return [node async for node in store.scan_nodes(labels)]


async def _drain_edges(store: GraphStore, types: list[str]) -> list[Edge]:
    return [edge async for edge in store.scan_edges(types)]


@pytest.mark.parametrize(
    ("read", "bad"),
    [
        (lambda s: s.neighbours("svc-db", GraphFilter(labels=("Widget",))), "Widget"),
        (lambda s: s.neighbours("svc-db", GraphFilter(rel_types=("LIKES",))), "LIKES"),
        (lambda s: s.subgraph(["svc-db"], depth=1, graph_filter=GraphFilter(labels=("Widget",))), "Widget"),
        (lambda s: s.subgraph(["svc-db"], depth=1, graph_filter=GraphFilter(rel_types=("TYPO",))), "TYPO"),
        (lambda s: s.vector_search(QUERY, k=3, search_filter=SearchFilter(labels=("Widget",))), "Widget"),
        (lambda s: s.text_search("payments", k=3, search_filter=SearchFilter(labels=("Widget",))), "Widget"),
        (lambda s: _drain_nodes(s, ["Service", "Widget"]), "Widget"),
        (lambda s: _drain_edges(s, ["LIKES"]), "LIKES"),
    ],
    ids=[
        "neighbours-label",
        "neighbours-type",
        "subgraph-label",
        "subgraph-type",
        "vector-label",
        "text-label",
        "scan-nodes",
        "scan-edges",
    ],
)
async def test_unknown_label_or_type_in_a_read_is_a_schema_error_naming_it(
    graph: GraphStore, read: Callable[[GraphStore], Awaitable[object]], bad: str
) -> None:
    with pytest.raises(SchemaError, match=bad) as raised:
        await read(graph)
    # The message lists what is allowed, so a typo is easy to fix.
    assert "Incident" in str(raised.value) or "AFFECTS" in str(raised.value)


# --- linked_recent ------------------------------------------------------------------------------


def ids_by_anchor(found: dict[str, list[Node]]) -> dict[str, list[str]]:
    return {anchor: [node.id for node in nodes] for anchor, nodes in found.items()}


async def test_linked_recent_lists_newest_first_per_anchor_and_every_anchor(graph: GraphStore) -> None:
    found = await graph.linked_recent(
        ["svc-payments", "svc-db", "svc-search", "team-core", "ghost"],
        label="Incident",
        edge_type="AFFECTS",
        visibilities=("public", "private"),
    )
    assert ids_by_anchor(found) == {
        "svc-payments": ["inc-3", "inc-1"],
        "svc-db": ["inc-2"],
        "svc-search": ["inc-4"],
        "team-core": [],
        "ghost": [],
    }
    newest, want = found["svc-payments"][0], BY_ID["inc-3"]
    assert (newest.label, dict(newest.properties), newest.occurred_at, newest.text) == (
        want.label,
        dict(want.properties),
        want.occurred_at,
        want.text,
    )
    assert all(node.embedding is None for nodes in found.values() for node in nodes)


async def test_linked_recent_applies_visibility_window_and_cap(graph: GraphStore) -> None:
    public = await graph.linked_recent(["svc-db", "svc-payments"], label="Incident", edge_type="AFFECTS")
    assert ids_by_anchor(public) == {"svc-db": [], "svc-payments": ["inc-3", "inc-1"]}
    # after is inclusive, before exclusive
    window = await graph.linked_recent(
        ["svc-payments"], label="Incident", edge_type="AFFECTS", after=at(1), before=at(3)
    )
    assert ids_by_anchor(window) == {"svc-payments": ["inc-1"]}
    capped = await graph.linked_recent(["svc-payments"], label="Incident", edge_type="AFFECTS", per_anchor=1)
    assert ids_by_anchor(capped) == {"svc-payments": ["inc-3"]}
    wrong_label = await graph.linked_recent(["svc-payments"], label="IncidentUpdate", edge_type="AFFECTS")
    assert ids_by_anchor(wrong_label) == {"svc-payments": []}
    assert await graph.linked_recent([], label="Incident", edge_type="AFFECTS") == {}


async def test_linked_recent_breaks_time_ties_by_id_and_puts_undated_last(graph: GraphStore) -> None:
    await graph.upsert_nodes(
        [
            Node("inc-0", "Incident", occurred_at=at(3)),  # same time as inc-3
            Node("inc-undated", "Incident"),
        ]
    )
    await graph.upsert_edges(
        [Edge("inc-0", "AFFECTS", "svc-payments"), Edge("inc-undated", "AFFECTS", "svc-payments")]
    )
    everything = await graph.linked_recent(["svc-payments"], label="Incident", edge_type="AFFECTS")
    assert ids_by_anchor(everything) == {"svc-payments": ["inc-0", "inc-3", "inc-1", "inc-undated"]}
    bounded = await graph.linked_recent(
        ["svc-payments"], label="Incident", edge_type="AFFECTS", before=at(12)
    )
    assert ids_by_anchor(bounded) == {"svc-payments": ["inc-0", "inc-3", "inc-1"]}


async def test_linked_recent_rejects_unknown_names_and_empty_caps(graph: GraphStore) -> None:
    with pytest.raises(SchemaError, match="Widget"):
        await graph.linked_recent(["svc-db"], label="Widget", edge_type="AFFECTS")
    with pytest.raises(SchemaError, match="LIKES"):
        await graph.linked_recent(["svc-db"], label="Incident", edge_type="LIKES")
    with pytest.raises(InvalidQuery):
        await graph.linked_recent(["svc-db"], label="Incident", edge_type="AFFECTS", per_anchor=0)


async def test_linked_recent_ids_are_linked_recent_without_the_nodes(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("inc-0", "Incident", occurred_at=at(3)), Node("inc-undated", "Incident")])
    await graph.upsert_edges(
        [Edge("inc-0", "AFFECTS", "svc-payments"), Edge("inc-undated", "AFFECTS", "svc-payments")]
    )
    anchors = ["svc-payments", "svc-db", "svc-search", "team-core", "ghost", "svc-payments"]
    cases: list[dict[str, object]] = [
        {},
        {"visibilities": ("public", "private")},
        {"after": at(1), "before": at(3)},
        {"before": at(12), "per_anchor": 2},
        {"per_anchor": 1, "visibilities": ("private",)},
    ]
    for case in cases:
        ids = await graph.linked_recent_ids(anchors, label="Incident", edge_type="AFFECTS", **case)  # type: ignore[arg-type]
        nodes = await graph.linked_recent(anchors, label="Incident", edge_type="AFFECTS", **case)  # type: ignore[arg-type]
        assert ids == ids_by_anchor(nodes), case
    assert await graph.linked_recent_ids(["svc-payments"], label="Incident", edge_type="AFFECTS") == {
        "svc-payments": ["inc-0", "inc-3", "inc-1", "inc-undated"]
    }
    assert await graph.linked_recent_ids([], label="Incident", edge_type="AFFECTS") == {}
    with pytest.raises(SchemaError, match="Widget"):
        await graph.linked_recent_ids(["svc-db"], label="Widget", edge_type="AFFECTS")
    with pytest.raises(SchemaError, match="LIKES"):
        await graph.linked_recent_ids(["svc-db"], label="Incident", edge_type="LIKES")
    with pytest.raises(InvalidQuery):
        await graph.linked_recent_ids(["svc-db"], label="Incident", edge_type="AFFECTS", per_anchor=0)


# --- neighbours_of ------------------------------------------------------------------------------


async def test_neighbours_of_batches_neighbours_with_a_cap_per_node(graph: GraphStore) -> None:
    into = GraphFilter(labels=("Incident",), rel_types=("AFFECTS",), direction="in", visibilities=("public",))
    found = await graph.neighbours_of(["svc-payments", "svc-db", "ghost"], into)
    assert {node_id: pairs(found_pairs) for node_id, found_pairs in found.items()} == {
        "svc-payments": [
            ("inc-1", "AFFECTS", "svc-payments", "inc-1"),
            ("inc-3", "AFFECTS", "svc-payments", "inc-3"),
        ],
        "svc-db": [],
        "ghost": [],
    }
    capped = await graph.neighbours_of(["svc-payments"], into, per_node=1)
    assert pairs(capped["svc-payments"]) == [("inc-1", "AFFECTS", "svc-payments", "inc-1")]
    assert await graph.neighbours_of([]) == {}


@pytest.mark.parametrize(
    "graph_filter",
    [
        None,
        GraphFilter(direction="out"),
        GraphFilter(labels=("Service", "Team"), rel_types=("AFFECTS", "OWNED_BY"), direction="out"),
        GraphFilter(before=at(3), visibilities=("public",)),
    ],
    ids=["any", "out", "services-and-teams", "window"],
)
async def test_neighbours_of_agrees_with_neighbours(
    graph: GraphStore, graph_filter: GraphFilter | None
) -> None:
    ids = ["inc-2", "svc-payments", "svc-db", "team-core", "inc-1"]
    found = await graph.neighbours_of(ids, graph_filter, per_node=3)
    assert list(found) == ids
    for node_id in ids:
        assert pairs(found[node_id]) == pairs(await graph.neighbours(node_id, graph_filter))[:3]


async def test_neighbours_of_rejects_unknown_names_and_empty_caps(graph: GraphStore) -> None:
    with pytest.raises(SchemaError, match="TYPO"):
        await graph.neighbours_of(["svc-db"], GraphFilter(rel_types=("TYPO",)))
    with pytest.raises(InvalidQuery):
        await graph.neighbours_of(["svc-db"], per_node=0)


# --- lexical analysis ---------------------------------------------------------------------------


async def test_text_search_stems_like_lucenes_english_analyzer(store: GraphStore) -> None:
    texts = {
        "doc-fail": "The canary failed twice",
        "doc-connect": "Connect refused by the proxy",
        "doc-restart": "Restarting the worker fixed it",
        "doc-deploy": "Deployed a new build",
        "doc-timeout": "Timing budget exceeded",
        "doc-pod": "One pod was evicted",
        "doc-other": "Certificates expired overnight",
        "doc-stop": "the and of to was with",
    }
    await store.upsert_nodes([Node(node_id, "Incident", text=text) for node_id, text in texts.items()])
    hits = await store.text_search("Deploys failing: connections timed out, restarted pods", k=20)
    # fail(ing|ed), connect(ions), restart(ed|ing), deploy(s|ed), tim(ed|ing), pod(s) all meet;
    # stop words never match anything.
    assert {hit.node_id for hit in hits} == {
        "doc-fail",
        "doc-connect",
        "doc-restart",
        "doc-deploy",
        "doc-timeout",
        "doc-pod",
    }


async def test_text_search_weighs_a_term_repeated_in_the_query_once(store: GraphStore) -> None:
    # A similar-incident query repeats its service's name in every update it quotes; Lucene summed
    # each repetition as a clause of its own, so Neo4j ranked by the service's name where the
    # embedded store ranked by the other words (INC-42's similar incidents differed in order).
    texts = {
        "doc-pay-1": "payments outage",
        "doc-pay-2": "payments refund stuck",
        "doc-latency": "latency spike",
    }
    await store.upsert_nodes([Node(node_id, "Incident", text=text) for node_id, text in texts.items()])
    once = await store.text_search("payments latency", k=5)
    assert once[0].node_id == "doc-latency"  # the rarer word weighs more
    repeated = await store.text_search("payments payment: payments, Payments' latency", k=5)
    assert [(hit.node_id, round(hit.score, 9)) for hit in repeated] == [
        (hit.node_id, round(hit.score, 9)) for hit in once
    ]


async def test_text_search_rounds_a_documents_length_as_lucene_does(store: GraphStore) -> None:
    # Lucene keeps lengths above 24 terms to their top four bits: 40 and 41 terms score alike, so
    # the two tie and go by id; with exact lengths the shorter came first on the embedded store.
    def words(count: int) -> str:
        return " ".join(["payments", *(f"filler{i}" for i in range(count - 1))])

    await store.upsert_nodes(
        [Node("doc-a", "Incident", text=words(41)), Node("doc-b", "Incident", text=words(40))]
    )
    hits = await store.text_search("payments", k=2)
    assert [hit.node_id for hit in hits] == ["doc-a", "doc-b"]
    assert hits[0].score == hits[1].score


# --- similarities -------------------------------------------------------------------------------


async def test_similarities_are_the_cosines_of_the_ids_with_embeddings(graph: GraphStore) -> None:
    ids = ["inc-3", "svc-db", "nope", "upd-2", "inc-1", "inc-3"]
    got = await graph.similarities(QUERY, ids)
    want = dict(expected_knn(["inc-3", "upd-2", "inc-1"], k=3))
    assert list(got) == ["inc-3", "upd-2", "inc-1"]
    np.testing.assert_allclose([got[i] for i in got], [want[i] for i in got], atol=1e-5)
    assert await graph.similarities(QUERY, []) == {}
    with pytest.raises(SchemaError):
        await graph.similarities(np.ones(3, dtype=np.float32), ["inc-1"])


async def test_a_merge_into_a_private_incident_is_hidden_from_a_public_viewer(store: GraphStore) -> None:
    # An update of a public incident says it was merged into a private one (MERGED_INTO): whichever
    # way a public reader walks from it, the private incident's id never comes back.
    await store.upsert_nodes(
        [
            Node("inc-pub", "Incident", {"name": "Checkout slow"}),
            Node("upd-pub", "IncidentUpdate", {"message": "Merging"}),
            Node("inc-priv", "Incident", {"name": "Secret"}, visibility="private"),
        ]
    )
    await store.upsert_edges(
        [Edge("inc-pub", "HAS_UPDATE", "upd-pub"), Edge("upd-pub", "MERGED_INTO", "inc-priv")]
    )
    public = GraphFilter(visibilities=("public",))
    assert [n.id for _, n in await store.neighbours("upd-pub", public)] == ["inc-pub"]
    found = await store.neighbours_of(["upd-pub"], public)
    assert [n.id for _, n in found["upd-pub"]] == ["inc-pub"]
    walked = await store.subgraph(["inc-pub"], depth=2, graph_filter=public)
    assert "inc-priv" not in {x for e in walked.edges for x in (e.source, e.target)} | {
        n.id for n in walked.nodes
    }
    everything = GraphFilter(visibilities=("public", "private"))
    merged = await store.neighbours(
        "upd-pub", GraphFilter(rel_types=("MERGED_INTO",), visibilities=everything.visibilities)
    )
    assert [(e.type, n.id) for e, n in merged] == [("MERGED_INTO", "inc-priv")]
    assert len((await store.subgraph(["inc-pub"], depth=2, graph_filter=everything)).edges) == 2
