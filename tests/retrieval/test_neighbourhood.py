"""Neighbourhood walks around an incident or a service, rendered as stable JSON, in both stores."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
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
    with pytest.raises(ValueError, match="time zone"):
        NeighbourhoodQuery(incident="a", before=datetime(2024, 1, 1))  # noqa: DTZ001 - the point
