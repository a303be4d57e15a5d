"""``GET /v1/incidents/{incident}`` answers the incident with its parts, as every other surface does.

It answered the bare node (id, label, properties), while the MCP tool ``get_incident``, the
notebook's ``incident()`` and the incident page gave its services, teams, updates, post-mortems and
lesson: a responder's script saw less over HTTP than an agent did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.api.examples import INCIDENT_DETAIL_EXAMPLE
from precedent.model import Edge, Node, Viewer
from precedent.responses import IncidentDetailResponse
from precedent.retrieval import incident_detail
from precedent.retrieval.catalog import Catalog

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)


async def test_an_incident_is_the_detail_the_mcp_tool_and_the_notebook_give(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    answer = await api.client.get("/v1/incidents/INC-1", headers=api.auth(api.tokens.read))
    assert answer.status_code == 200, answer.text
    detail = IncidentDetailResponse.model_validate(answer.json())
    # What the MCP tool and the notebook build for the same viewer (a read token: public only).
    built = await incident_detail(api.store, Catalog(api.store), "INC-1", Viewer())
    assert detail == IncidentDetailResponse.from_detail(built)
    assert detail.incident.id == "inc-1"
    assert detail.services == ["payments-api"]
    assert [u.id for u in detail.updates] == ["upd-1", "upd-2"]
    assert [p.id for p in detail.postmortems] == ["pm-1"]
    assert [(f.title, f.open) for f in detail.lesson.follow_ups] == [("Add canary stage", True)]


async def test_a_private_incident_is_a_404_without_read_private(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    hidden = await api.client.get("/v1/incidents/INC-2", headers=api.auth(api.tokens.read))
    assert (hidden.status_code, hidden.json()["title"]) == (404, "NotFound")
    assert "Raised pool size" not in hidden.text
    seen = await api.client.get("/v1/incidents/INC-2", headers=api.auth(api.tokens.private))
    assert seen.status_code == 200, seen.text
    detail = IncidentDetailResponse.model_validate(seen.json())
    assert (detail.incident.id, detail.incident.visibility) == ("inc-2", "private")
    assert [u.id for u in detail.updates] == ["upd-3"]
    assert [f.title for f in detail.lesson.follow_ups] == ["Alert on pool usage"]


async def test_a_private_part_of_a_public_incident_needs_read_private(api: Api) -> None:
    await api.store.upsert_nodes(
        [
            Node("upd-secret", "IncidentUpdate", {"message": "Acme's card data"}, visibility="private"),
            Node("fu-secret", "FollowUp", {"title": "Rotate Acme's keys"}, visibility="private"),
        ]
    )
    await api.store.upsert_edges(
        [Edge("inc-1", "HAS_UPDATE", "upd-secret"), Edge("inc-1", "HAS_FOLLOW_UP", "fu-secret")]
    )
    public = await api.client.get("/v1/incidents/INC-1", headers=api.auth(api.tokens.read))
    assert public.status_code == 200, public.text
    assert "Acme" not in public.text
    everything = IncidentDetailResponse.model_validate(
        (await api.client.get("/v1/incidents/INC-1", headers=api.auth(api.tokens.private))).json()
    )
    assert "upd-secret" in {u.id for u in everything.updates}
    assert "Rotate Acme's keys" in {f.title for f in everything.lesson.follow_ups}


async def test_the_openapi_document_shows_the_detail_with_an_example(read_api: Api) -> None:
    document = (await read_api.client.get("/schema/openapi.json")).json()
    ok = document["paths"]["/v1/incidents/{incident}"]["get"]["responses"]["200"]["content"]
    media = ok["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/IncidentDetailResponse"}
    [example] = media["examples"].values()
    # The example is a valid answer, whole (the document drops a null: none is left to drop).
    assert IncidentDetailResponse.model_validate(example["value"]) == INCIDENT_DETAIL_EXAMPLE
    # The list stays small: its items are bare incidents, without their text.
    listing = document["paths"]["/v1/incidents"]["get"]["responses"]["200"]["content"]
    assert listing["application/json"]["schema"] == {"$ref": "#/components/schemas/IncidentPageResponse"}


async def test_every_part_of_the_detail_is_described_in_the_document(read_api: Api) -> None:
    # `postmortems` was the one part a reader of /schema was told nothing about.
    document = (await read_api.client.get("/schema/openapi.json")).json()
    parts = document["components"]["schemas"]["IncidentDetailResponse"]["properties"]
    assert set(parts) == set(IncidentDetailResponse.model_fields)
    assert all(part.get("description") for part in parts.values()), parts
