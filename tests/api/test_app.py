"""The HTTP API end to end on the embedded store, loaded from the sample export through the importer.

Plumbing tests (see conftest.py): the hashing embedder stands in for the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from httpx import AsyncClient

    from tests.api.conftest import Api


@pytest.fixture
def client(api: Api) -> AsyncClient:
    """The app's test client presenting a ``read`` token."""
    api.client.headers["Authorization"] = f"Bearer {api.tokens.read}"
    return api.client


async def test_health(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_stats_count_what_was_imported(client: AsyncClient) -> None:
    body = (await client.get("/v1/stats")).json()
    # inc-3 is a test-mode incident (not imported by default); inc-2 is private and the token
    # lacks read:private, so it is not counted.
    assert body["nodes"]["Incident"] == 1
    assert body["edges"]["AFFECTS"] >= 1


async def test_incident_by_reference(client: AsyncClient) -> None:
    response = await client.get("/v1/incidents/INC-1")
    assert response.status_code == 200
    assert response.json()["id"] == "inc-1"
    assert response.json()["label"] == "Incident"


async def test_unknown_incident_is_a_404_problem(client: AsyncClient) -> None:
    response = await client.get("/v1/incidents/INC-999/similar")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "INC-999" in response.json()["detail"]


async def test_similar_for_a_described_incident(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/similar",
        json={"name": "Payments API returning 500s again", "services": ["payments-api"], "limit": 5},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["name"] == "Payments API returning 500s again"
    ids = [r["incident_id"] for r in body["results"]]
    assert "inc-1" in ids
    # inc-2 is private and the caller's token lacks read:private.
    assert "inc-2" not in ids
    first = body["results"][0]
    assert set(first["explanation"]["contributions"]) >= {"semantic", "lexical"}


async def test_similar_refuses_a_bad_body(client: AsyncClient) -> None:
    response = await client.post("/v1/similar", json={"name": "", "limit": 0})
    assert response.status_code == 400


async def test_neighbourhood_of_an_incident(client: AsyncClient) -> None:
    response = await client.get("/v1/neighbourhood", params={"incident": "INC-1", "depth": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {n["id"] for n in body["nodes"]}
    assert "inc-1" in ids
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    assert body["truncated"] is False


async def test_neighbourhood_needs_exactly_one_centre(client: AsyncClient) -> None:
    response = await client.get("/v1/neighbourhood", params={"incident": "INC-1", "service": "x"})
    assert response.status_code == 400
    assert "exactly one centre" in response.json()["detail"]


async def test_openapi_schema_lists_the_routes(client: AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/v1/similar", "/v1/neighbourhood", "/v1/incidents/{incident}/similar"} <= set(paths)
