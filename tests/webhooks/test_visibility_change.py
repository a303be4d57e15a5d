"""An incident made private in incident.io takes what was written of it while public along.

incident.io lets a public incident be made private. Its updates, post-mortem, follow-ups, actions and
investigation were written with the visibility it had then; they must not stay readable to a
``read`` token (search hits, the investigation list) once the incident is private.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.investigation import get, save
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Edge, Node, SearchFilter
from precedent.webhooks import IncidentWriter
from tests.investigation.test_persist import investigation
from tests.webhooks.conftest import RecordingBuilder, app_client, investigation_id
from tests.webhooks.payloads import INCIDENT_ID, body, incident, incident_event
from tests.webhooks.signing import signed_headers
from tests.webhooks.test_refetch import incident_io

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore
    from tests.webhooks.conftest import Backend

PUBLIC_ONLY = SearchFilter(visibilities=("public",))
URL = "/v1/webhooks/incident-io"
PRIVATE_UPDATED = "private_incident.incident_updated_v2"
PARTS = [
    Node("upd-1", "IncidentUpdate", {"message": "zebra pool drained"}, text="zebra pool drained"),
    Node("fu-1", "FollowUp", {"title": "rotate the zebra credentials"}, text="rotate the zebra credentials"),
    Node("act-1", "Action", {"description": "page the zebra team"}, text="page the zebra team"),
    Node("pm-1", "Postmortem", {"title": "Zebra outage"}, text="Zebra outage"),
    Node("chunk-1", "PostmortemChunk", {"heading": "Cause"}, text="the zebra cache expired"),
    Node(
        "inv-1", "Investigation", {"incident_id": INCIDENT_ID, "status": "open"}, text="zebra investigation"
    ),
]
EDGES = [
    Edge(INCIDENT_ID, "HAS_UPDATE", "upd-1"),
    Edge(INCIDENT_ID, "HAS_FOLLOW_UP", "fu-1"),
    Edge(INCIDENT_ID, "HAS_ACTION", "act-1"),
    Edge(INCIDENT_ID, "HAS_POSTMORTEM", "pm-1"),
    Edge("pm-1", "HAS_CHUNK", "chunk-1"),
    Edge("inv-1", "INVESTIGATES", INCIDENT_ID),
]


async def test_an_incident_made_private_hides_what_was_written_while_it_was_public(store: GraphStore) -> None:
    writer = IncidentWriter(store, HashEmbedder(dimensions=384))
    await writer.write(incident(visibility="public"), updates=None)
    await store.upsert_nodes(PARTS)
    await store.upsert_edges(EDGES)
    before = await store.text_search("zebra", k=10, search_filter=PUBLIC_ONLY)
    assert {p.id for p in PARTS} <= {h.node_id for h in before}

    made_private = await writer.write(incident(visibility="private", updated_at="2026-12-02T11:00:00Z"), None)

    assert made_private.kind == "updated"
    after = await store.text_search("zebra", k=10, search_filter=PUBLIC_ONLY)
    assert not {p.id for p in PARTS} & {h.node_id for h in after}
    nodes = await store.get_nodes([INCIDENT_ID, *(p.id for p in PARTS)])
    assert {n.id: n.visibility for n in nodes} == {n.id: "private" for n in nodes}
    assert len(nodes) == len(PARTS) + 1
    # Still found by a viewer who may see private incidents.
    assert {p.id for p in PARTS} <= {h.node_id for h in await store.text_search("zebra", k=10)}


async def test_another_incidents_investigation_that_cites_it_is_hidden_too(store: GraphStore) -> None:
    # A public incident's stored investigation names its precedents with their root cause and
    # resolution: once one of them is made private, a read token must not read it there.
    writer = IncidentWriter(store, HashEmbedder(dimensions=384))
    await writer.write(incident(visibility="public"), updates=None)
    await store.upsert_nodes([Node("inc-other", "Incident", {"reference": "INC-OTHER"})])
    base = investigation("inc-other", 0)
    cites = replace(base, similar=(replace(base.similar[0], incident_id=INCIDENT_ID),))
    unrelated = replace(investigation("inc-other", 5), similar=())
    await save(store, cites)
    await save(store, unrelated)
    assert await get(store, cites.id, PUBLIC_VIEWER) == cites

    await writer.write(incident(visibility="private", updated_at="2026-12-02T11:00:00Z"), None)

    with pytest.raises(NotFound):
        await get(store, cites.id, PUBLIC_VIEWER)
    assert await get(store, cites.id, OWNER_VIEWER) == cites
    assert await get(store, unrelated.id, PUBLIC_VIEWER) == unrelated
    assert [n.visibility for n in await store.get_nodes(["inc-other"])] == ["public"]


@pytest.mark.parametrize("key", [False, True], ids=["without an API key", "with a key that cannot see it"])
async def test_a_private_event_hides_an_incident_mapped_public_though_it_cannot_be_read(
    backend: Backend, tmp_path: Path, key: bool
) -> None:
    # Made private in incident.io, an incident is sent as private_incident.* with its id alone;
    # when it could not be read, the map still held it, its parts and its investigation as
    # public, for any read token to read.
    builder = RecordingBuilder(backend.store)
    incident_io_api = incident_io(set(), []) if key else contextlib.nullcontext()
    async with incident_io_api as api:
        service = backend.service(builder, client=api)
        async for client in app_client(backend, service, tmp_path):
            public = body(incident_event())
            await client.post(URL, content=public, headers=signed_headers(public, "msg_public"))
            await service.worker.drain()
            mapped = await backend.store.get_nodes([INCIDENT_ID, investigation_id(INCIDENT_ID)])
            assert [n.visibility for n in mapped] == ["public", "public"]

            made_private = body({"event_type": PRIVATE_UPDATED, PRIVATE_UPDATED: {"id": INCIDENT_ID}})
            await client.post(URL, content=made_private, headers=signed_headers(made_private, "msg_private"))
            await service.worker.drain()
            outcome = (await client.get("/v1/webhooks/deliveries")).json()["items"][0]["outcome"]

    nodes = await backend.store.get_nodes([INCIDENT_ID, investigation_id(INCIDENT_ID)])
    assert [n.visibility for n in nodes] == ["private", "private"]
    assert "private now" in outcome
    assert builder.calls == [INCIDENT_ID]
