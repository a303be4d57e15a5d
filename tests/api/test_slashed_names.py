"""A service or team whose name holds "/" named in an API path, escaped as %2F, on both stores.

The server decodes %2F before routing, so ``/v1/services/payments%2Fapi/owners`` matched no route
and the 404 said to name the item by id instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

SERVICE_ROUTES = ("", "/incidents", "/upstream", "/downstream", "/owners", "/on-call", "/hotspots")
MORE_SERVICE_ROUTES = ("/changes", "/neighbourhood")
TEAM_ROUTES = ("", "/members", "/services")


def _timeless(body: dict[str, object]) -> dict[str, object]:
    """A body without the moment it was read at (on-call's ``at``, hotspots' ``until``)."""
    return {key: value for key, value in body.items() if key not in ("at", "until")}


async def _rename(api: Api, node_id: str, name: str) -> None:
    [node] = await api.store.get_nodes([node_id])
    await api.store.upsert_nodes([replace(node, properties={**node.properties, "name": name})])


async def test_a_name_holding_a_slash_names_its_service_and_team_in_every_route(api: Api) -> None:
    await _rename(api, "svc-payments", "payments/api")
    await _rename(api, "team-payments", "core/payments")
    headers = api.auth(api.tokens.read)
    for collection, node_id, name, suffixes in (
        ("services", "svc-payments", "payments/api", SERVICE_ROUTES + MORE_SERVICE_ROUTES),
        ("teams", "team-payments", "core/payments", TEAM_ROUTES),
    ):
        for suffix in suffixes:
            by_id = await api.client.get(f"/v1/{collection}/{node_id}{suffix}", headers=headers)
            escaped = quote(name, safe="")
            by_name = await api.client.get(f"/v1/{collection}/{escaped}{suffix}", headers=headers)
            assert by_id.status_code == 200, (suffix, by_id.text)
            assert by_name.status_code == 200, (suffix, by_name.text)
            assert _timeless(by_name.json()) == _timeless(by_id.json()), suffix
    service = (await api.client.get("/v1/services/payments%2Fapi", headers=headers)).json()["service"]
    assert (service["id"], service["name"]) == ("svc-payments", "payments/api")
    assert [t["name"] for t in service["teams"]] == ["core/payments"]


async def test_a_bare_slash_in_a_name_is_told_to_escape_it(api: Api) -> None:
    await _rename(api, "svc-payments", "payments/api")
    headers = api.auth(api.tokens.read)
    for path in ("/v1/services/payments/api", "/v1/teams/core/payments/members"):
        response = await api.client.get(path, headers=headers)
        assert response.status_code == 404, path
        detail = response.json()["detail"]
        assert "escape that '/' as %2F" in detail, detail
        assert "by its id" in detail, detail
    # An unknown name holding "/" reaches its route, which says where to look.
    response = await api.client.get("/v1/services/payments%2Fweb/owners", headers=headers)
    assert response.status_code == 404
    assert "service 'payments/web' not found" in response.json()["detail"]
    # A literal "%2F" in a name stays as written (the "%" escaped as %25).
    await _rename(api, "svc-payments", "payments%2Fapi")
    response = await api.client.get("/v1/services/payments%252Fapi", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["service"]["name"] == "payments%2Fapi"
