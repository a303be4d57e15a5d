"""A service as it stands (``service_snapshot``): what its page, the MCP tool and an investigation show."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.investigation import service_snapshot
from precedent.model import PUBLIC_VIEWER, Edge, Node
from precedent.retrieval.catalog import Catalog
from tests.investigation.org import DECLARED, build_investigation_org

if TYPE_CHECKING:
    from precedent.store import GraphStore


async def test_an_active_incident_on_the_service_and_its_dependency_is_listed_once(
    embedded_store: GraphStore,
) -> None:
    await build_investigation_org(embedded_store, HashEmbedder(dimensions=384))
    # Declared on checkout and on payments-api, which checkout depends on: the page listed it twice,
    # once as checkout's and again "on payments-api, which it depends on".
    both = Node(
        "inc-40",
        "Incident",
        {"reference": "INC-40", "name": "Checkout payments failing", "status_category": "live"},
        DECLARED - timedelta(minutes=5),
    )
    await embedded_store.upsert_nodes([both])
    await embedded_store.upsert_edges(
        [Edge("inc-40", "AFFECTS", "svc-checkout"), Edge("inc-40", "AFFECTS", "svc-payments")]
    )
    snapshot = await service_snapshot(
        embedded_store, Catalog(embedded_store), "checkout", viewer=PUBLIC_VIEWER, at=DECLARED
    )
    active = [(b.reference, b.service) for b in snapshot.context.active_incidents]
    assert active == [("INC-40", "checkout"), ("INC-30", "payments-db")]
