"""Neighbourhood walks around an incident or a service, rendered as stable JSON, in both stores."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import InvalidQuery, NotFound
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Edge, Node
from precedent.responses import NeighbourhoodResponse
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.neighbourhood import NeighbourhoodQuery, find_neighbourhood
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]


@pytest.fixture
async def catalog(store: GraphStore) -> Catalog:
    await build(store, HashEmbedder())
    return Catalog(store)


async def test_service_neighbourhood_json_is_stable(store: GraphStore, catalog: Catalog) -> None:
    query = NeighbourhoodQuery(service="payments-db", depth=1, rel_types=("DEPENDS_ON", "AFFECTS"))
    first = NeighbourhoodResponse.from_subgraph(await find_neighbourhood(store, catalog, query, OWNER_VIEWER))
    second = NeighbourhoodResponse.from_subgraph(
        await find_neighbourhood(store, catalog, query, OWNER_VIEWER)
    )
    assert first.model_dump_json() == second.model_dump_json()
    public = NeighbourhoodResponse.from_subgraph(
        await find_neighbourhood(store, catalog, query, PUBLIC_VIEWER)
    )
    ids = [n.id for n in public.nodes]
    # inc-14 is private; inc-15 and inc-10 affect payments-db; payments-api and ledger depend on it
    assert ids == ["inc-10", "inc-15", "svc-ledger", "svc-paydb", "svc-payments"]
    assert "inc-14" in {n.id for n in first.nodes}  # the owner sees the private one
    assert public.truncated is False
    edges = [(e.source, e.type, e.target) for e in public.edges]
    assert edges == sorted(edges)
    assert ("svc-payments", "DEPENDS_ON", "svc-paydb") in edges
    node = public.nodes[0]
    assert node.label == "Incident"
    assert node.properties["reference"] == "INC-10"
    assert json.loads(public.model_dump_json())["nodes"][0]["visibility"] == "public"


async def test_incident_neighbourhood_with_label_time_filters_and_cap(
    store: GraphStore, catalog: Catalog
) -> None:
    query = NeighbourhoodQuery(
        incident="INC-20",
        depth=3,
        labels=("Service", "Incident"),
        before=at("2024-01-01T00:00:00"),
    )
    payload = NeighbourhoodResponse.from_subgraph(
        await find_neighbourhood(store, catalog, query, OWNER_VIEWER)
    )
    ids = {n.id for n in payload.nodes}
    assert "inc-20" in ids  # the centre is kept whatever the filters say
    assert "inc-15" not in ids  # started after `before`
    assert {"svc-checkout", "svc-payments", "inc-12"} <= ids
    assert "inc-20:u0" not in ids  # label filter
    capped = await find_neighbourhood(
        store, catalog, NeighbourhoodQuery(incident="inc-20", depth=3, max_nodes=3), OWNER_VIEWER
    )
    assert capped.truncated is True
    assert len(capped.nodes) == 3


async def test_private_centre_is_hidden_and_unknown_centre_raises(
    store: GraphStore, catalog: Catalog
) -> None:
    with pytest.raises(NotFound):
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(incident="INC-14"), PUBLIC_VIEWER)
    assert (
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(incident="INC-14"), OWNER_VIEWER)
    ).nodes
    with pytest.raises(NotFound):
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(service="no-such-service"), OWNER_VIEWER)
    with pytest.raises(ValueError, match="exactly one"):
        NeighbourhoodQuery(incident="a", service="b")
    with pytest.raises(InvalidQuery, match="time zone") as naive:
        NeighbourhoodQuery(incident="a", before=datetime(2024, 1, 1))  # noqa: DTZ001 - the point
    assert naive.value.field == "before"


async def _share_a_severity_and_a_reporter(store: GraphStore) -> None:
    """INC-12 (checkout) and INC-11 (search, another component) share a severity and a reporter."""
    await store.upsert_nodes(
        [Node("sev-3", "Severity", {"name": "SEV3"}), Node("user-ana", "User", {"name": "Ana"})]
    )
    await store.upsert_edges(
        [
            Edge(i, t, n)
            for i in ("inc-11", "inc-12")
            for t, n in [("HAS_SEVERITY", "sev-3"), ("REPORTED_BY", "user-ana")]
        ]
    )


async def test_a_default_walk_stops_at_hubs_and_a_named_one_walks_through(
    store: GraphStore, catalog: Catalog
) -> None:
    # Through a severity or a person, three hops from checkout reach every incident of that
    # severity or that person: none of them is around checkout.
    await _share_a_severity_and_a_reporter(store)
    default = await find_neighbourhood(
        store, catalog, NeighbourhoodQuery(service="checkout", depth=3), OWNER_VIEWER
    )
    ids = {n.id for n in default.nodes}
    assert {"sev-3", "user-ana", "inc-12", "svc-paydb", "team-payments"} <= ids
    assert "inc-11" not in ids
    assert "svc-search" not in ids

    named = NeighbourhoodQuery(service="checkout", depth=3, rel_types=("AFFECTS", "HAS_SEVERITY"))
    assert "inc-11" in {n.id for n in (await find_neighbourhood(store, catalog, named, OWNER_VIEWER)).nodes}


async def test_the_cap_keeps_services_and_teams_first_and_says_how_to_narrow(
    store: GraphStore, catalog: Catalog
) -> None:
    # checkout's first hop: INC-12, INC-15, INC-20, payments-api and team-web; three fit.
    query = NeighbourhoodQuery(service="checkout", depth=2, max_nodes=4)
    response = NeighbourhoodResponse.from_subgraph(
        await find_neighbourhood(store, catalog, query, OWNER_VIEWER)
    )
    assert [n.id for n in response.nodes] == ["inc-15", "svc-checkout", "svc-payments", "team-web"]
    assert response.truncated
    assert response.truncation_note is not None
    assert "4 nodes, 2 of them Service" in response.truncation_note
    assert "narrow it" in response.truncation_note
    whole = NeighbourhoodQuery(service="checkout", depth=1)
    assert (
        NeighbourhoodResponse.from_subgraph(
            await find_neighbourhood(store, catalog, whole, OWNER_VIEWER)
        ).truncation_note
        is None
    )
