"""The GraphStore contract for the catalog reads: ``linked_times``, ``find_nodes`` and label scans.

Run on both stores against the fixed map of ``contract_graph``; expectations follow the documented
semantics in ``store/base.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.errors import InvalidQuery, SchemaError
from precedent.model import Edge, Node
from tests.store.contract_graph import EDGES, NODES, at

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = pytest.mark.contract


@pytest.fixture
async def graph(store: GraphStore) -> GraphStore:
    """The store with the fixed map loaded."""
    await store.upsert_nodes(NODES)
    await store.upsert_edges(EDGES)
    return store


# --- linked_times --------------------------------------------------------------------------------


async def test_linked_times_are_newest_first_for_every_anchor(graph: GraphStore) -> None:
    found = await graph.linked_times(
        ["svc-payments", "svc-db", "team-core", "ghost", "svc-payments"],
        label="Incident",
        edge_type="AFFECTS",
        visibilities=("public", "private"),
    )
    assert found == {"svc-payments": [at(3), at(1)], "svc-db": [at(2)], "team-core": [], "ghost": []}
    assert all(t.tzinfo is not None for times in found.values() for t in times)
    assert await graph.linked_times([], label="Incident", edge_type="AFFECTS") == {}


async def test_linked_times_apply_visibility_window_and_cap(graph: GraphStore) -> None:
    public = await graph.linked_times(["svc-db", "svc-checkout"], label="Incident", edge_type="AFFECTS")
    assert public == {"svc-db": [], "svc-checkout": []}
    # after is inclusive, before exclusive
    window = await graph.linked_times(
        ["svc-payments"], label="Incident", edge_type="AFFECTS", after=at(1), before=at(3)
    )
    assert window == {"svc-payments": [at(1)]}
    capped = await graph.linked_times(["svc-payments"], label="Incident", edge_type="AFFECTS", per_anchor=1)
    assert capped == {"svc-payments": [at(3)]}
    other_label = await graph.linked_times(["svc-payments"], label="IncidentUpdate", edge_type="AFFECTS")
    assert other_label == {"svc-payments": []}


async def test_linked_times_leave_undated_nodes_out_and_keep_equal_times(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("inc-0", "Incident", occurred_at=at(3)), Node("inc-undated", "Incident")])
    await graph.upsert_edges(
        [Edge("inc-0", "AFFECTS", "svc-payments"), Edge("inc-undated", "AFFECTS", "svc-payments")]
    )
    found = await graph.linked_times(["svc-payments"], label="Incident", edge_type="AFFECTS")
    assert found == {"svc-payments": [at(3), at(3), at(1)]}


async def test_linked_times_refuse_unknown_names_and_a_zero_cap(graph: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await graph.linked_times(["svc-db"], label="Nope", edge_type="AFFECTS")
    with pytest.raises(SchemaError):
        await graph.linked_times(["svc-db"], label="Incident", edge_type="NOPE")
    with pytest.raises(InvalidQuery):
        await graph.linked_times(["svc-db"], label="Incident", edge_type="AFFECTS", per_anchor=0)


# --- find_nodes ----------------------------------------------------------------------------------

FIELDS = ("name", "external_id", "aliases")


def ids(nodes: list[Node]) -> list[str]:
    return [node.id for node in nodes]


async def test_find_nodes_matches_a_field_ignoring_case_and_spaces(graph: GraphStore) -> None:
    assert ids(await graph.find_nodes("Service", "  Payments-API ", fields=FIELDS)) == ["svc-payments"]
    # an item of a list property
    assert ids(await graph.find_nodes("Service", "PAY", fields=FIELDS)) == ["svc-payments"]
    # only the label asked for: the team "Search" is not the service "search"
    assert ids(await graph.find_nodes("Service", "Search", fields=FIELDS)) == ["svc-search"]
    assert ids(await graph.find_nodes("Team", "search", fields=FIELDS)) == ["team-search"]
    # only the fields asked for, and whole values (no substring)
    assert await graph.find_nodes("Service", "pay", fields=("name",)) == []
    assert await graph.find_nodes("Service", "payments", fields=("name",)) == []
    # a number matches its text
    assert ids(await graph.find_nodes("Service", "1", fields=("tier",))) == ["svc-db"]
    found = await graph.find_nodes("Service", "payments-api", fields=FIELDS)
    assert dict(found[0].properties) == dict(NODES[6].properties)
    assert found[0].embedding is None


async def test_find_nodes_ignores_outer_and_repeated_whitespace_of_any_kind(graph: GraphStore) -> None:
    # Python's strip and Cypher's trim disagree on what whitespace is (a no-break space stayed on
    # Neo4j), and neither collapsed a doubled space: one name matched on one store only.
    await graph.upsert_nodes(
        [
            Node("svc-ledger", "Service", {"name": "Ledger\u00a0API\u00a0"}),
            Node("svc-fx", "Service", {"name": "fx", "aliases": ["Foreign  exchange", "\tcurrency\n"]}),
        ]
    )
    for query in ("ledger api", "  LEDGER   API ", "\u3000ledger\tapi\n", "ledger\u00a0api"):
        assert ids(await graph.find_nodes("Service", query, fields=FIELDS)) == ["svc-ledger"], repr(query)
    for query in ("foreign exchange", " Foreign\u00a0\u00a0Exchange", "currency", "\u2003CURRENCY"):
        assert ids(await graph.find_nodes("Service", query, fields=FIELDS)) == ["svc-fx"], repr(query)
    # Still whole values, word for word: whitespace separates words, it never joins them.
    assert await graph.find_nodes("Service", "ledgerapi", fields=FIELDS) == []
    assert await graph.find_nodes("Service", "   ", fields=FIELDS) == []


async def test_find_nodes_orders_a_clash_by_id(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("svc-a-payments", "Service", {"name": "PAYMENTS-API"})])
    found = await graph.find_nodes("Service", "payments-api", fields=FIELDS)
    assert ids(found) == ["svc-a-payments", "svc-payments"]


async def test_find_nodes_follows_relabels_and_deletes(graph: GraphStore) -> None:
    await graph.upsert_nodes([Node("svc-search", "CatalogEntry", {"name": "search"})])
    assert await graph.find_nodes("Service", "search", fields=FIELDS) == []
    assert ids(await graph.find_nodes("CatalogEntry", "search", fields=FIELDS)) == ["svc-search"]
    await graph.delete_nodes(["svc-payments"])
    assert await graph.find_nodes("Service", "payments-api", fields=FIELDS) == []


async def test_find_nodes_refuses_unknown_labels_and_odd_fields(graph: GraphStore) -> None:
    with pytest.raises(SchemaError):
        await graph.find_nodes("Nope", "x", fields=FIELDS)
    with pytest.raises(SchemaError):
        await graph.find_nodes("Service", "x", fields=("name) OR true //",))


# --- scanning by label ---------------------------------------------------------------------------


async def test_scanning_a_label_follows_relabels_and_deletes(graph: GraphStore) -> None:
    assert [n.id async for n in graph.scan_nodes(["Service"])] == [
        "svc-checkout",
        "svc-db",
        "svc-payments",
        "svc-search",
    ]
    await graph.upsert_nodes([Node("svc-search", "CatalogEntry", {"name": "search"})])
    await graph.delete_nodes(["svc-db"])
    assert [n.id async for n in graph.scan_nodes(["Service"])] == ["svc-checkout", "svc-payments"]
    assert [n.id async for n in graph.scan_nodes(["Service", "Team"])] == [
        "svc-checkout",
        "svc-payments",
        "team-core",
        "team-search",
    ]
    assert [n.id async for n in graph.scan_nodes(["CatalogEntry"])] == ["svc-search"]
