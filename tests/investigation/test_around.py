"""A service as it stands (``service_snapshot``): what its page, the MCP tool and an investigation show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.ingest.changes import ChangeRecord, ChangeRecorder
from precedent.investigation import recent_changes, service_snapshot
from precedent.model import PUBLIC_VIEWER, Edge, Node
from precedent.retrieval.catalog import Catalog
from tests.investigation.org import DECLARED, LiveStub, build_investigation_org

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


async def test_on_call_asks_incident_io_when_the_synced_entries_do_not_cover_now(
    embedded_store: GraphStore,
) -> None:
    # The service page and the MCP tool read the synced entries only: a month after the last sync
    # they said nobody was on call, while the on-call route and the team page asked incident.io.
    await build_investigation_org(embedded_store, HashEmbedder(dimensions=384))
    catalog, later, live = Catalog(embedded_store), DECLARED + timedelta(days=30), LiveStub()
    snapshot = await service_snapshot(
        embedded_store, catalog, "checkout", viewer=PUBLIC_VIEWER, at=later, live=live
    )
    assert live.asked == [(("sched-web",), later)]
    assert [(o.person.name, o.source) for o in snapshot.context.on_call] == [("Dana Live", "live")]
    synced = await service_snapshot(embedded_store, catalog, "checkout", viewer=PUBLIC_VIEWER, at=DECLARED)
    assert [o.source for o in synced.context.on_call] == ["synced"]


async def test_recent_changes_name_a_service_the_catalog_does_not_have_yet(
    embedded_store: GraphStore,
) -> None:
    # The API and `precedent changes list` showed a change CI recorded for a service not in the
    # catalog yet; the MCP tool said the service was not found, though it listed the change
    # across the map.
    start = datetime(2026, 3, 1, 10, tzinfo=UTC)
    recorder = ChangeRecorder(embedded_store)
    for hours, version in ((1, "v1"), (30, "v0")):
        await recorder.record(
            ChangeRecord("brand-new", "deploy", start - timedelta(hours=hours), version=version)
        )
    catalog = Catalog(embedded_store)
    since, until = start - timedelta(hours=24), start

    async def changes(service: str) -> list[tuple[str | None, str]]:
        found = await recent_changes(
            embedded_store, catalog, service=service, since=since, until=until, viewer=PUBLIC_VIEWER
        )
        return [(c.version, c.service_name) for c in found]

    assert await changes("Brand-New") == [("v1", "brand-new")]  # the day before, in any case
    with pytest.raises(NotFound):
        await changes("never-recorded")
