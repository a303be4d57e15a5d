"""A map an older Precedent wrote is brought up to date when a writer opens it, on both stores.

Updates written before a merge became a ``MERGED_INTO`` edge kept incident.io's
``merged_into_incident_id`` as a property, which showed a private incident's id to anyone who could
see the update. Each test opens such a map (``old_map``) as a writer of this version and reads it
as a public and as an owner viewer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.responses import NeighbourhoodResponse, NodeResponse
from precedent.retrieval import Catalog, NeighbourhoodQuery, find_neighbourhood
from precedent.store.embedded import EmbeddedStore
from precedent.store.neo4j import Neo4jStore
from tests.store.contract_graph import DIMENSIONS, EMBEDDINGS, at
from tests.store.old_map import old_embedded_map, old_neo4j_map

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.store import GraphStore


@pytest.fixture(params=["embedded_store", "neo4j_store"])
async def reopened(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    """The old map, opened again by a writer of this version."""
    store: GraphStore
    if request.param == "neo4j_store":
        request.applymarker(pytest.mark.neo4j)
        server = request.getfixturevalue("neo4j")
        await old_neo4j_map(server)
        store = Neo4jStore(server.uri, auth=server.auth, database="neo4j", dimensions=DIMENSIONS)
    else:
        await old_embedded_map(tmp_path / "graph")
        store = EmbeddedStore(tmp_path / "graph", dimensions=DIMENSIONS)
    await store.open()
    yield store
    await store.close()


async def test_the_merge_property_becomes_an_edge_and_is_removed(reopened: GraphStore) -> None:
    upd_1, upd_2 = await reopened.get_nodes(["upd-1", "upd-2"], with_embeddings=True)
    assert dict(upd_1.properties) == {"incident_id": "inc-1", "message": "Merged"}
    assert dict(upd_2.properties) == {"incident_id": "inc-1"}
    # The rest of the node is kept, its embedding included.
    assert (upd_1.text, upd_1.occurred_at, upd_1.visibility) == ("Merged", at(1, hour=1), "public")
    assert upd_1.embedding is not None
    np.testing.assert_array_equal(upd_1.embedding, EMBEDDINGS["upd-1"])
    merged = [(e.source, e.target) for e, _ in await reopened.neighbours("upd-1") if e.type == "MERGED_INTO"]
    assert merged == [("upd-1", "inc-2")]
    # No incident to link to: the property goes all the same, and no edge is made up.
    assert [e for e, _ in await reopened.neighbours("upd-2") if e.type == "MERGED_INTO"] == []


async def test_a_public_viewer_never_sees_the_private_target(reopened: GraphStore) -> None:
    query = NeighbourhoodQuery(incident="inc-1", depth=2, max_nodes=500)
    public = await find_neighbourhood(reopened, Catalog(reopened), query, PUBLIC_VIEWER)
    assert {n.id for n in public.nodes} == {"inc-1", "upd-1", "upd-2"}
    shown = NeighbourhoodResponse.from_subgraph(public).model_dump_json()
    [update] = await reopened.get_nodes(["upd-1"])
    shown += NodeResponse.from_node(update).model_dump_json()  # the node page
    assert "inc-2" not in shown
    owner = await find_neighbourhood(reopened, Catalog(reopened), query, OWNER_VIEWER)
    assert ("upd-1", "MERGED_INTO", "inc-2") in {(e.source, e.type, e.target) for e in owner.edges}
    assert "inc-2" not in json.dumps([dict(n.properties) for n in owner.nodes])
