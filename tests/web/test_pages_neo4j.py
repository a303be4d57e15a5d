"""The pages on Neo4j: the same app and reads over the other store, on the small sample organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import api, api_settings, api_store  # noqa: F401 - the app on a chosen store

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["neo4j_store"], indirect=True)


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    await client.get("/ui/sign-in")
    response = await client.post(
        "/ui/sign-in", data={"token": token, "csrf": client.cookies["precedent_csrf"], "next": "/ui/"}
    )
    assert response.status_code == 303


async def test_pages_and_visibility_on_neo4j(api: Api) -> None:  # noqa: F811 - the imported fixture
    client = api.client
    await sign_in(client, api.tokens.private)
    for path in (
        "/ui/",
        "/ui/incidents/INC-1",
        "/ui/incidents/INC-1/investigation",
        "/ui/incidents/INC-2",
        "/ui/services/payments-api",
        "/ui/search?q=payments",
        "/ui/incidents",
        "/ui/services",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
    assert 'href="/ui/incidents/INC-2"' in (await client.get("/ui/incidents")).text  # private
    assert 'href="/ui/incidents/INC-1"' in (await client.get("/ui/incidents?service=payments-api")).text
    assert 'href="/ui/teams/Payments"' in (await client.get("/ui/services")).text
    incident = (await client.get("/ui/incidents/INC-1")).text
    assert "Payments API returning 500s" in incident
    assert 'href="/ui/services/payments-api"' in incident
    service = (await client.get("/ui/services/payments-api")).text
    assert "Payments" in service  # the owning team
    assert 'href="/ui/teams/Payments"' in service
    team = await client.get("/ui/teams/Payments")
    assert team.status_code == 200
    assert 'href="/ui/incidents/INC-1"' in team.text  # on payments-api, which it owns
    assert 'href="/ui/services/payments-api"' in team.text
    assert "Database connection pool exhausted" in (await client.get("/ui/incidents/INC-2")).text

    await client.post("/ui/sign-out", data={"csrf": client.cookies["precedent_csrf"]})
    await sign_in(client, api.tokens.read)
    hidden = await client.get("/ui/incidents/INC-2")
    assert hidden.status_code == 404
    assert "Database connection pool exhausted" not in hidden.text
    for path in (
        "/ui/",
        "/ui/search?q=database+connection+pool",
        "/ui/incidents/INC-1/investigation",
        "/ui/teams/Payments",
        "/ui/incidents",
        "/ui/incidents?service=payments-api",
    ):
        assert "INC-2" not in (await client.get(path)).text, path
