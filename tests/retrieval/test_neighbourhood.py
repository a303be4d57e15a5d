"""Neighbourhood walks around an incident or a service, rendered as stable JSON, in both stores."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.neighbourhood import NeighbourhoodQuery, find_neighbourhood, neighbourhood_json
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
    first = neighbourhood_json(await find_neighbourhood(store, catalog, query))
    second = neighbourhood_json(await find_neighbourhood(store, catalog, query))
    assert json.dumps(first, sort_keys=False) == json.dumps(second, sort_keys=False)
    ids = [n["id"] for n in first["nodes"]]  # type: ignore[index, union-attr]
    # inc-14 is private; inc-15 and inc-10 affect payments-db; payments-api and ledger depend on it
    assert ids == ["inc-10", "inc-15", "svc-ledger", "svc-paydb", "svc-payments"]
    assert first["truncated"] is False
    edges = [(e["source"], e["type"], e["target"]) for e in first["edges"]]  # type: ignore[index, union-attr]
    assert edges == sorted(edges)
    assert ("svc-payments", "DEPENDS_ON", "svc-paydb") in edges
    node = first["nodes"][0]  # type: ignore[index]
    assert node["labels"] == ["Incident"]  # type: ignore[index, call-overload]
    assert node["properties"]["reference"] == "INC-10"  # type: ignore[index, call-overload]


async def test_incident_neighbourhood_with_label_time_filters_and_cap(
    store: GraphStore, catalog: Catalog
) -> None:
    query = NeighbourhoodQuery(
        incident="INC-20",
        depth=3,
        labels=("Service", "Incident"),
        before=at("2024-01-01T00:00:00"),
        include_private=True,
    )
    payload = neighbourhood_json(await find_neighbourhood(store, catalog, query))
    ids = {n["id"] for n in payload["nodes"]}  # type: ignore[index, union-attr]
    assert "inc-20" in ids  # the centre is kept whatever the filters say
    assert "inc-15" not in ids  # started after `before`
    assert {"svc-checkout", "svc-payments", "inc-12"} <= ids
    assert "inc-20:u0" not in ids  # label filter
    capped = neighbourhood_json(
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(incident="inc-20", depth=3, max_nodes=3))
    )
    assert capped["truncated"] is True
    assert len(capped["nodes"]) == 3  # type: ignore[arg-type]


async def test_private_centre_is_hidden_and_unknown_centre_raises(
    store: GraphStore, catalog: Catalog
) -> None:
    with pytest.raises(NotFound):
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(incident="INC-14"))
    with pytest.raises(NotFound):
        await find_neighbourhood(store, catalog, NeighbourhoodQuery(service="no-such-service"))
    with pytest.raises(ValueError, match="exactly one"):
        NeighbourhoodQuery(incident="a", service="b")
