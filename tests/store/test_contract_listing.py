"""The ``list_nodes`` contract: newest first, filtered, keyset-paged alike on both stores.

Expectations come from ``GraphStore.list_nodes``'s documented order applied by hand to the
fixed map in ``contract_graph`` (inc-1..inc-4 a month apart, inc-2 private), never from a store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.errors import InvalidQuery, SchemaError
from precedent.model import Edge, Node, NodeLink, NodeListing
from tests.store.contract_graph import EDGES, NODES, at

if TYPE_CHECKING:
    from precedent.model import ListingKey
    from precedent.store import GraphStore

pytestmark = pytest.mark.contract

BOTH = ("public", "private")


@pytest.fixture
async def graph(store: GraphStore) -> GraphStore:
    await store.upsert_nodes(NODES)
    await store.upsert_edges(EDGES)
    return store


async def ids(
    store: GraphStore, listing: NodeListing, limit: int = 50, after: ListingKey | None = None
) -> list[str]:
    return [node.id for node in await store.list_nodes(listing, limit=limit, start_after=after)]


async def test_newest_first_and_only_what_the_viewer_may_see(graph: GraphStore) -> None:
    assert await ids(graph, NodeListing("Incident")) == ["inc-4", "inc-3", "inc-1"]
    assert await ids(graph, NodeListing("Incident", visibilities=BOTH)) == [
        "inc-4",
        "inc-3",
        "inc-2",
        "inc-1",
    ]
    assert await ids(graph, NodeListing("IncidentUpdate", visibilities=BOTH)) == ["upd-2", "upd-1"]
    assert await ids(graph, NodeListing("Service")) == []  # undated nodes are never listed


async def test_property_filters_match_any_value_and_combine(graph: GraphStore) -> None:
    minor = NodeListing("Incident", equals=(("severity", ("minor",)),), visibilities=BOTH)
    assert await ids(graph, minor) == ["inc-4", "inc-3"]
    either = NodeListing("Incident", equals=(("severity", ("major", "critical")),), visibilities=BOTH)
    assert await ids(graph, either) == ["inc-2", "inc-1"]
    both = NodeListing(
        "Incident", equals=(("severity", ("minor",)), ("name", ("Search cluster ran out of memory",)))
    )
    assert await ids(graph, both) == ["inc-4"]
    assert await ids(graph, NodeListing("Incident", equals=(("missing", ("x",)),))) == []
    # A number is not the string of its digits.
    assert await ids(graph, NodeListing("Incident", equals=(("duration_seconds", ("600",)),))) == []


async def test_time_range_is_after_inclusive_before_exclusive(graph: GraphStore) -> None:
    window = NodeListing("Incident", after=at(2), before=at(4), visibilities=BOTH)
    assert await ids(graph, window) == ["inc-3", "inc-2"]
    assert await ids(graph, NodeListing("Incident", before=at(1))) == []
    assert await ids(graph, NodeListing("Incident", after=at(4, hour=1))) == []


async def test_linked_nodes_and_ids(graph: GraphStore) -> None:
    payments = NodeLink("AFFECTS", frozenset({"svc-payments"}))
    assert await ids(graph, NodeListing("Incident", linked=payments)) == ["inc-3", "inc-1"]
    core = NodeLink("AFFECTS", frozenset({"svc-payments", "svc-checkout", "svc-db"}))
    # inc-2 affects two of the anchors and is listed once.
    assert await ids(graph, NodeListing("Incident", linked=core, visibilities=BOTH)) == [
        "inc-3",
        "inc-2",
        "inc-1",
    ]
    assert await ids(graph, NodeListing("Incident", linked=core)) == ["inc-3", "inc-1"]
    assert await ids(graph, NodeListing("Incident", linked=NodeLink("AFFECTS", frozenset({"nope"})))) == []
    among = NodeListing("Incident", among=frozenset({"inc-1", "inc-2", "inc-4", "svc-db", "nope"}))
    assert await ids(graph, among) == ["inc-4", "inc-1"]
    both = NodeListing("Incident", linked=payments, among=frozenset({"inc-1", "inc-4"}))
    assert await ids(graph, both) == ["inc-1"]
    minor_on_payments = NodeListing(
        "Incident", linked=payments, equals=(("severity", ("minor",)),), after=at(2)
    )
    assert await ids(graph, minor_on_payments) == ["inc-3"]


async def test_a_link_may_require_text_in_an_edge_property(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("user-1", "User", {"name": "Ada"})])
    await graph.upsert_edges(
        [
            Edge("inc-1", "ROLE_HELD_BY", "user-1", {"role": "Incident Lead, Reviewer"}),
            Edge("inc-3", "ROLE_HELD_BY", "user-1", {"role": "Reviewer"}),
            Edge("inc-4", "ROLE_HELD_BY", "user-1"),
        ]
    )
    led = NodeListing("Incident", linked=NodeLink("ROLE_HELD_BY", frozenset({"user-1"}), ("role", "Lead")))
    assert await ids(graph, led) == ["inc-1"]
    held = NodeListing("Incident", linked=NodeLink("ROLE_HELD_BY", frozenset({"user-1"})))
    assert await ids(graph, held) == ["inc-4", "inc-3", "inc-1"]


@pytest.mark.parametrize("linked", [False, True])
async def test_pages_neither_repeat_nor_skip_and_ties_go_by_id(graph: GraphStore, linked: bool) -> None:
    # Five more incidents at inc-3's very time: the id breaks the tie.
    twins = [Node(f"inc-3{c}", "Incident", {"severity": "minor"}, occurred_at=at(3)) for c in "edcba"]
    await graph.upsert_nodes(twins)
    await graph.upsert_edges([Edge(t.id, "AFFECTS", "svc-payments") for t in twins])
    listing = NodeListing(
        "Incident",
        visibilities=BOTH,
        linked=NodeLink("AFFECTS", frozenset({"svc-payments", "svc-db", "svc-search"})) if linked else None,
    )
    want = ["inc-4", "inc-3", "inc-3a", "inc-3b", "inc-3c", "inc-3d", "inc-3e", "inc-2", "inc-1"]
    seen: list[str] = []
    start: ListingKey | None = None
    while True:
        page = await graph.list_nodes(listing, limit=2, start_after=start)
        seen += [node.id for node in page]
        if len(page) < 2:
            break
        last = page[-1]
        assert last.occurred_at is not None
        start = (last.occurred_at, last.id)
    assert seen == want


async def test_the_order_follows_writes(graph: GraphStore) -> None:
    listing = NodeListing("Incident", visibilities=BOTH)
    assert await ids(graph, listing, limit=1) == ["inc-4"]  # the store may build its order here
    await graph.upsert_nodes([Node("inc-1", "Incident", {"severity": "major"}, occurred_at=at(5))])
    await graph.upsert_nodes([Node("inc-0", "Incident", occurred_at=at(6)), Node("inc-4", "Incident")])
    await graph.delete_nodes(["inc-3"])
    await graph.upsert_nodes([Node("inc-2", "Service", {"name": "now a service"})])
    assert await ids(graph, listing) == ["inc-0", "inc-1"]
    assert await ids(graph, listing, after=(at(6), "inc-0")) == ["inc-1"]


async def test_a_page_starts_strictly_after_its_key(graph: GraphStore) -> None:
    listing = NodeListing("Incident", visibilities=BOTH)
    assert await ids(graph, listing, after=(at(3), "inc-3")) == ["inc-2", "inc-1"]
    # A key between two nodes (a node deleted since the previous page) skips nothing.
    assert await ids(graph, listing, after=(at(3, hour=5), "zzz")) == ["inc-3", "inc-2", "inc-1"]
    assert await ids(graph, listing, after=(at(3), "inc-2")) == ["inc-3", "inc-2", "inc-1"]
    assert await ids(graph, listing, after=(at(1), "inc-1")) == []


PAYMENTS = NodeLink("AFFECTS", frozenset({"svc-payments"}))


@pytest.mark.parametrize(
    "listing",
    [
        NodeListing("Incident"),
        NodeListing("Incident", visibilities=BOTH),
        NodeListing("Incident", equals=(("severity", ("minor",)),), visibilities=BOTH),
        NodeListing("Incident", after=at(2), before=at(4), visibilities=BOTH),
        NodeListing("Incident", linked=PAYMENTS),
        NodeListing("Incident", among=frozenset({"inc-1", "inc-2", "inc-4", "svc-db", "nope"})),
        NodeListing("Incident", linked=PAYMENTS, equals=(("severity", ("minor",)),), after=at(2)),
        NodeListing("Service"),
    ],
)
async def test_the_ids_of_a_listing_are_its_nodes_ids_in_order(
    graph: GraphStore, listing: NodeListing
) -> None:
    # Five more at one time: all of them, not a page, ties by id.
    await graph.upsert_nodes(
        [Node(f"inc-3{c}", "Incident", {"severity": "minor"}, occurred_at=at(3)) for c in "edcba"]
    )
    assert await graph.list_node_ids(listing) == await ids(graph, listing, limit=100)


async def test_the_ids_of_a_bad_listing_are_refused(graph: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await graph.list_node_ids(NodeListing("Nope"))
    with pytest.raises(SchemaError):
        await graph.list_node_ids(NodeListing("Incident", linked=NodeLink("NOPE", frozenset({"x"}))))
    with pytest.raises(SchemaError):
        await graph.list_node_ids(NodeListing("Incident", equals=(("sev`) DETACH DELETE n //", ("x",)),)))


async def test_bad_listings_are_refused(graph: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await graph.list_nodes(NodeListing("Nope"), limit=5)
    with pytest.raises(SchemaError):
        await graph.list_nodes(NodeListing("Incident", linked=NodeLink("NOPE", frozenset({"x"}))), limit=5)
    with pytest.raises(SchemaError):
        await graph.list_nodes(
            NodeListing("Incident", equals=(("sev`) DETACH DELETE n //", ("x",)),)), limit=5
        )
    with pytest.raises(InvalidQuery):
        await graph.list_nodes(NodeListing("Incident"), limit=0)
