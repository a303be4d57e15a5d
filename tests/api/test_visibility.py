"""A ``read`` token never sees the private incident (inc-2) or its parts; ``read:private`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

PRIVATE_IDS = {"inc-2", "upd-3", "fu-2"}


async def test_get_a_private_incident_or_node(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    for path in ("/v1/incidents/INC-2", "/v1/incidents/inc-2", "/v1/nodes/inc-2", "/v1/nodes/upd-3"):
        hidden = await api.client.get(path, headers=api.auth(api.tokens.read))
        assert hidden.status_code == 404, path
        # Indistinguishable from an id that does not exist.
        assert hidden.json()["title"] == "NotFound"
        seen = await api.client.get(path, headers=api.auth(api.tokens.private))
        assert seen.status_code == 200, path
        # An incident comes with its parts; a node alone.
        node = seen.json()["incident"] if path.startswith("/v1/incidents/") else seen.json()
        assert node["visibility"] == "private"


async def test_similar_to_a_private_incident(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    hidden = await api.client.get("/v1/incidents/INC-2/similar", headers=api.auth(api.tokens.read))
    assert hidden.status_code == 404
    assert "Database" not in hidden.text
    seen = await api.client.get("/v1/incidents/INC-2/similar", headers=api.auth(api.tokens.private))
    assert seen.status_code == 200
    assert seen.json()["query"]["name"] == "Database connection pool exhausted"


async def test_similar_to_a_description(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    body = {"name": "Database connection pool exhausted", "services": ["svc-db"], "limit": 10}
    hidden = await api.client.post("/v1/similar", json=body, headers=api.auth(api.tokens.read))
    assert hidden.status_code == 200
    assert "inc-2" not in {r["incident_id"] for r in hidden.json()["results"]}
    seen = await api.client.post("/v1/similar", json=body, headers=api.auth(api.tokens.private))
    assert "inc-2" in {r["incident_id"] for r in seen.json()["results"]}


async def test_neighbourhood(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    centred = "/v1/incidents/INC-2/neighbourhood"
    assert (await api.client.get(centred, headers=api.auth(api.tokens.read))).status_code == 404
    seen = await api.client.get(centred, headers=api.auth(api.tokens.private))
    assert seen.status_code == 200
    assert "inc-2" in {n["id"] for n in seen.json()["nodes"]}

    around_db = "/v1/services/svc-db/neighbourhood?depth=2"
    public = await api.client.get(around_db, headers=api.auth(api.tokens.read))
    ids = {n["id"] for n in public.json()["nodes"]}
    assert "svc-db" in ids
    assert not ids & PRIVATE_IDS
    assert not {e["source"] for e in public.json()["edges"]} & PRIVATE_IDS
    private = await api.client.get(around_db, headers=api.auth(api.tokens.private))
    assert "inc-2" in {n["id"] for n in private.json()["nodes"]}


async def test_stats_counts(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    public = (await api.client.get("/v1/stats", headers=api.auth(api.tokens.read))).json()
    everything = (await api.client.get("/v1/stats", headers=api.auth(api.tokens.private))).json()
    assert (public["nodes"]["Incident"], everything["nodes"]["Incident"]) == (1, 2)
    assert (public["nodes"]["FollowUp"], everything["nodes"]["FollowUp"]) == (1, 2)
    assert (public["nodes"]["IncidentUpdate"], everything["nodes"]["IncidentUpdate"]) == (2, 3)
    assert sum(public["edges"].values()) < sum(everything["edges"].values())
    admin = (await api.client.get("/v1/stats", headers=api.auth(api.tokens.admin))).json()
    assert admin == everything


async def test_the_include_private_parameter_is_gone(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    response = await api.client.get(
        "/v1/incidents/INC-2", params={"include_private": "true"}, headers=api.auth(api.tokens.read)
    )
    # Refused by name (an unknown parameter), never honoured.
    assert response.status_code == 400
    assert "include_private" in response.json()["detail"]
    assert "Database" not in response.text
    openapi = (await api.client.get("/schema/openapi.json")).text
    assert "include_private" not in openapi
