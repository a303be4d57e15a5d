"""An incident naming a service the map does not hold yet says so, on every surface, and what to do.

Found declaring an incident on a service added to incident.io's catalog since the last sync: its
edge to the entry was not made, and the investigation showed no service ("services: none named"
on its page), no owner, no on-call, and nothing in Slack to say why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, build_investigation
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.retrieval import IncidentQuery, SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog

if TYPE_CHECKING:
    from precedent.store import GraphStore

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


async def test_a_catalog_entry_the_map_lacks_is_named_with_what_to_do(embedded_store: GraphStore) -> None:
    store = embedded_store
    await store.upsert_nodes(
        [
            Node("svc-checkout", "Service", {"name": "checkout-api"}),
            Node("svc-gateway", "Service", {"name": "payments-gateway"}),
            Node(
                "inc-9",
                "Incident",
                {
                    "reference": "INC-9",
                    "name": "Payments timing out",
                    "status": "Investigating",
                    "status_category": "live",
                    # As mapped from incident.io: the entries its "Affected services" field names.
                    "affected_entries": ["checkout-api", "payments-gateway-v2", "ledger-queue"],
                },
                NOW - timedelta(minutes=5),
            ),
        ]
    )
    await store.upsert_edges([Edge("inc-9", "AFFECTS", "svc-checkout")])
    embedder = HashEmbedder(dimensions=384)
    catalog = Catalog(store)
    collaborators = Collaborators(
        store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog, clock=lambda: NOW
    )

    investigation = await build_investigation(IncidentQuery("INC-9"), collaborators, OWNER_VIEWER)

    incident = investigation.incident
    assert incident.service_names == ("checkout-api",)
    assert incident.unknown_services == ("payments-gateway-v2", "ledger-queue")
    assert incident.services_meant["payments-gateway-v2"] == ("payments-gateway",)
    # Slack's message says it before the owners: the name came from incident.io, so neither
    # "check the name" nor "did you mean", but sync.
    said = next(
        line for line in investigation.summary_markdown.splitlines() if line.startswith("**Services**")
    )
    # A hard line break (a trailing backslash) ends it: the owners' line follows.
    assert said.removesuffix(" \\") == (
        "**Services**: not in the map, so left out: payments-gateway-v2, ledger-queue (in incident.io's "
        "catalog, not yet in the map: run precedent sync)"
    )
