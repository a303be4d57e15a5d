"""The read paths behind the MCP tools, on both stores: incident detail, map search, service
snapshots and recent changes ask the store only through ``GraphStore``, so both answer alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.ingest import Loader, import_export
from precedent.investigation import recent_changes, service_snapshot
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.retrieval import Catalog, SearchQuery, incident_detail, search_map
from precedent.retrieval.search import rrf

if TYPE_CHECKING:
    from precedent.store import GraphStore
    from tests.mcp.conftest import Org


def test_rrf_rewards_agreement_and_breaks_ties_by_id() -> None:
    fused = rrf([["a", "b", "c"], ["b", "a", "d"]])
    assert [i for i, _ in fused] == ["a", "b", "c", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert rrf([]) == []


@pytest.fixture
async def loaded(store: GraphStore, org: Org) -> GraphStore:
    await import_export(org.export, Loader(store, HashEmbedder(dimensions=384)))
    return store


async def check_incident_detail(loaded: GraphStore, org: Org) -> None:
    catalog = Catalog(loaded)
    detail = await incident_detail(loaded, catalog, str(org.public.properties["reference"]), PUBLIC_VIEWER)
    assert detail.incident.id == org.public.id
    assert detail.services
    # Whom a responder reaches for: the teams it affected, and those owning what it affected.
    owners = {
        n.id
        for s in detail.services
        for e, n in await loaded.neighbours(s.id)
        if e.type == "OWNED_BY" and n.label == "Team"
    }
    affected = {
        n.id for e, n in await loaded.neighbours(org.public.id) if e.type == "AFFECTS" and n.label == "Team"
    }
    assert owners, "the services it affected have owners"
    assert {t.id for t in detail.teams} == owners | affected
    assert detail.updates
    assert all(u.properties.get("incident_id") == org.public.id for u in detail.updates)
    with pytest.raises(NotFound):
        await incident_detail(loaded, catalog, org.private.id, PUBLIC_VIEWER)
    private = await incident_detail(loaded, catalog, org.private.id, OWNER_VIEWER)
    assert private.incident.visibility == "private"


async def check_search_map_by_kind_and_visibility(loaded: GraphStore, org: Org) -> None:
    embedder = HashEmbedder(dimensions=384)
    name = str(org.private.properties["name"])
    query = SearchQuery(name, kinds=("incident",), limit=50)
    public = await search_map(loaded, embedder, query, viewer=PUBLIC_VIEWER)
    assert public
    assert {h.node.label for h in public} == {"Incident"}
    assert all(h.node.visibility == "public" for h in public)
    owner = await search_map(loaded, embedder, query, viewer=OWNER_VIEWER)
    assert org.private.id in {h.node.id for h in owner}
    scores = [h.score for h in owner]
    assert scores == sorted(scores, reverse=True)
    # A service has no time: found by its name, but never within a window (as the halves find none).
    service = str(org.service.properties["name"])
    assert org.service.id in {
        h.node.id
        for h in await search_map(
            loaded, embedder, SearchQuery(service, kinds=("service",)), viewer=PUBLIC_VIEWER
        )
    }
    since = SearchQuery(service, kinds=("service",), after=datetime(2000, 1, 1, tzinfo=UTC))
    assert "Service" not in {
        h.node.label for h in await search_map(loaded, embedder, since, viewer=PUBLIC_VIEWER)
    }


async def check_service_snapshot_and_recent_changes(loaded: GraphStore, org: Org) -> None:
    catalog = Catalog(loaded)
    now = datetime.now(UTC)
    snapshot = await service_snapshot(
        loaded, catalog, org.service.id, viewer=PUBLIC_VIEWER, at=now, window=timedelta(days=7)
    )
    assert snapshot.context.id == org.service.id
    assert snapshot.context.teams
    assert snapshot.changes
    own = await recent_changes(
        loaded,
        catalog,
        service=org.service.id,
        since=now - timedelta(days=30),
        until=now,
        viewer=PUBLIC_VIEWER,
    )
    assert own
    assert {c.service_id for c in own} == {org.service.id}
    everywhere = await recent_changes(
        loaded,
        catalog,
        service=None,
        since=now - timedelta(days=30),
        until=now,
        viewer=PUBLIC_VIEWER,
        limit=10,
    )
    assert len(everywhere) == 10
    assert all(c.service_id for c in everywhere)
    starts = [c.started_at for c in everywhere]
    assert starts == sorted(starts, reverse=True)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="since must be before until"):
        await recent_changes(loaded, catalog, service=None, since=now, until=now, viewer=PUBLIC_VIEWER)
    with pytest.raises(NotFound):
        await service_snapshot(loaded, catalog, "no-such-service", viewer=PUBLIC_VIEWER, at=now)


async def test_reads_behind_the_tools(loaded: GraphStore, org: Org) -> None:
    # One import per store (a Neo4j import is the slow part), then each read path in turn.
    await check_incident_detail(loaded, org)
    await check_search_map_by_kind_and_visibility(loaded, org)
    await check_service_snapshot_and_recent_changes(loaded, org)
