"""Changes near an incident: the dependency path a change takes to an affected service, and its weight."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.investigation.changes import changes_near
from precedent.investigation.context import surroundings
from precedent.investigation.hypotheses import change_hypotheses
from precedent.model import Edge, Node
from tests.investigation.test_hypotheses import DECLARED, INCIDENT

if TYPE_CHECKING:
    from precedent.store import GraphStore

# checkout -> payments-api -> payments-db; ledger and audit depend on payments-api too, reviews on
# payments-db; gateway depends on checkout, search, audit and reviews. Search shares only a
# dependent with checkout: no path.
SERVICES = ("checkout", "payments-api", "payments-db", "ledger", "audit", "gateway", "search", "reviews")
DEPENDS = [
    ("checkout", "payments-api"),
    ("payments-api", "payments-db"),
    ("ledger", "payments-api"),
    ("audit", "payments-api"),
    ("gateway", "checkout"),
    ("gateway", "search"),
    ("gateway", "audit"),
    ("gateway", "reviews"),
    ("reviews", "payments-db"),
]
DEPLOYS = {
    "search": 5,
    "payments-db": 30,
    "ledger": 10,
    "audit": 10,
    "reviews": 10,
}  # minutes before the declaration


async def _map(store: GraphStore) -> None:
    nodes = [Node(f"svc-{name}", "Service", {"name": name}) for name in SERVICES]
    nodes += [
        Node(f"chg-{name}", "ChangeEvent", {"kind": "deploy"}, DECLARED - timedelta(minutes=minutes))
        for name, minutes in DEPLOYS.items()
    ]
    await store.upsert_nodes(nodes)
    edges = [Edge(f"svc-{a}", "DEPENDS_ON", f"svc-{b}") for a, b in DEPENDS]
    edges += [Edge(f"chg-{name}", "CHANGED", f"svc-{name}") for name in DEPLOYS]
    await store.upsert_edges(edges)


async def test_a_change_is_weighed_by_its_dependency_path_and_says_it(embedded_store: GraphStore) -> None:
    # A deploy of search, which only shares a dependent (gateway) with checkout, ranked about as
    # high as a deploy of payments-db, which checkout depends on, and said "2 hops from checkout".
    await _map(embedded_store)
    around = await surroundings(embedded_store, ["svc-checkout"])
    changes = await changes_near(embedded_store, around, at=DECLARED)
    assert {c.id: (c.relation, c.hops, c.through) for c in changes} == {
        "chg-search": ("unlinked", 2, ("gateway",)),
        "chg-payments-db": ("upstream", 2, ("payments-api",)),
        "chg-ledger": ("nearby", 2, ("payments-api",)),
        # Reached both ways in two hops: through the dependency it shares with checkout, not
        # through gateway, which depends on both.
        "chg-audit": ("nearby", 2, ("payments-api",)),
        # Within two hops only through gateway, but a path of three: no "no path" said of it.
        "chg-reviews": ("nearby", 3, ("payments-api", "payments-db")),
    }
    said = {h.evidence[0].id: h for h in change_hypotheses(INCIDENT, changes, [])}
    assert said["chg-search"].confidence < said["chg-payments-db"].confidence / 2
    assert said["chg-search"].confidence < said["chg-ledger"].confidence / 2
    assert (
        "on search, with no known dependency path to checkout (gateway depends on both):"
        in said["chg-search"].statement
    )
    assert (
        "on payments-db, which checkout depends on through payments-api:" in said["chg-payments-db"].statement
    )
    assert (
        "on ledger, which shares a dependency with checkout through payments-api:"
        in said["chg-ledger"].statement
    )
    assert (
        "on reviews, which shares a dependency with checkout through payments-api and payments-db:"
        in said["chg-reviews"].statement
    )
    why = said["chg-payments-db"].evidence[0].why
    assert (
        why
        == "deploy 30 min before declaration, on payments-db, which checkout depends on through payments-api"
    )
