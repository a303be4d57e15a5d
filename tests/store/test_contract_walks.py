"""The ``subgraph`` contract for neighbourhoods people read: hubs reached but not walked through,
and what the node cap keeps first; alike on both stores.

Expectations come from ``GraphStore.subgraph``'s documented semantics applied by hand to the
fixed map in ``contract_graph`` (plus one severity shared by two incidents), never from a store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.errors import SchemaError
from precedent.model import Edge, GraphFilter, Node
from tests.store.contract_graph import EDGES, NODES

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = pytest.mark.contract

# inc-3 (on payments-api) and inc-4 (on search, another component) share a severity: through it,
# every incident of that severity is two hops from any one of them.
SEVERITY = Node("sev-minor", "Severity", {"name": "Minor"})
SHARED = (Edge("inc-3", "HAS_SEVERITY", "sev-minor"), Edge("inc-4", "HAS_SEVERITY", "sev-minor"))


@pytest.fixture
async def graph(store: GraphStore) -> GraphStore:
    await store.upsert_nodes([*NODES, SEVERITY])
    await store.upsert_edges([*EDGES, *SHARED])
    return store


def ids(nodes: tuple[Node, ...]) -> list[str]:
    return [node.id for node in nodes]


async def test_a_stop_label_is_reached_but_not_walked_through(graph: GraphStore) -> None:
    walked = await graph.subgraph(["svc-payments"], depth=3)
    assert "inc-4" in ids(walked.nodes)  # through the severity, into another component

    stopped = await graph.subgraph(
        ["svc-payments"], depth=3, graph_filter=GraphFilter(stop_labels=("Severity",))
    )
    assert ids(stopped.nodes) == [
        "svc-payments",
        "inc-1", "inc-3", "svc-checkout", "svc-db", "team-core",
        "inc-2", "sev-minor", "upd-1",
        "upd-2",
    ]  # fmt: skip
    assert ("inc-3", "HAS_SEVERITY", "sev-minor") in [(e.source, e.type, e.target) for e in stopped.edges]
    assert not stopped.truncated


async def test_a_seed_with_a_stop_label_is_walked_from(graph: GraphStore) -> None:
    sub = await graph.subgraph(["sev-minor"], depth=1, graph_filter=GraphFilter(stop_labels=("Severity",)))
    assert ids(sub.nodes) == ["sev-minor", "inc-3", "inc-4"]


async def test_the_cap_keeps_the_first_labels_then_the_newest(graph: GraphStore) -> None:
    # svc-payments' first hop: inc-1 (January), inc-3 (March), svc-checkout, svc-db, team-core.
    newest = await graph.subgraph(["svc-payments"], depth=1, max_nodes=2)
    assert (ids(newest.nodes), newest.truncated) == (["svc-payments", "inc-3"], True)

    services = await graph.subgraph(
        ["svc-payments"], depth=1, max_nodes=3, label_ranks={"Service": 0, "Team": 0}
    )
    assert ids(services.nodes) == ["svc-payments", "svc-checkout", "svc-db"]
    assert [(e.source, e.target) for e in services.edges] == [
        ("svc-checkout", "svc-db"),
        ("svc-checkout", "svc-payments"),
        ("svc-payments", "svc-db"),
    ]

    team = await graph.subgraph(["svc-payments"], depth=1, max_nodes=3, label_ranks={"Team": 0})
    assert ids(team.nodes) == ["svc-payments", "inc-3", "team-core"]  # then the newest, by id

    # One rank: its dated nodes the newest first, then its undated ones by id.
    shared = await graph.subgraph(
        ["svc-payments"], depth=1, max_nodes=4, label_ranks={"Service": 1, "Incident": 1}
    )
    assert ids(shared.nodes) == ["svc-payments", "inc-1", "inc-3", "svc-checkout"]


async def test_the_cap_ranks_a_later_hop_too(graph: GraphStore) -> None:
    # The second hop reaches inc-2 (February), sev-minor (undated) and upd-1 (January); one fits.
    walk = GraphFilter(stop_labels=("Severity",))
    newest = await graph.subgraph(["svc-payments"], depth=2, graph_filter=walk, max_nodes=7)
    assert ids(newest.nodes)[6:] == ["inc-2"]
    update = await graph.subgraph(
        ["svc-payments"], depth=2, graph_filter=walk, max_nodes=7, label_ranks={"IncidentUpdate": 0}
    )
    assert ids(update.nodes)[6:] == ["upd-1"]
    assert update.truncated


@pytest.mark.parametrize(
    ("walk", "ranks"),
    [(GraphFilter(stop_labels=("Widget",)), {}), (None, {"Widget": 0})],
    ids=["stop-label", "label-rank"],
)
async def test_unknown_labels_are_refused(
    graph: GraphStore, walk: GraphFilter | None, ranks: dict[str, int]
) -> None:
    with pytest.raises(SchemaError, match="Widget"):
        await graph.subgraph(["svc-db"], depth=1, graph_filter=walk, label_ranks=ranks)
