"""Every route needs a valid token with its scope; public routes answer without one. Both stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.testing import AsyncTestClient

from precedent.api.auth import PUBLIC_PATHS, TOKENS_STATE_KEY, BearerAuthMiddleware, require_scope
from precedent.api.errors import EXCEPTION_HANDLERS
from precedent.auth import TokenRegistry

if TYPE_CHECKING:
    import httpx

    from precedent.store import GraphStore
    from tests.api.conftest import Api

BOTH_STORES = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

# Every route the app serves behind a token: (method, path, JSON body).
PROTECTED = [
    ("GET", "/v1/stats", None),
    ("GET", "/v1/nodes/inc-1", None),
    ("GET", "/v1/incidents/INC-1", None),
    ("GET", "/v1/incidents/INC-1/similar", None),
    ("POST", "/v1/similar", {"name": "Payments API returning 500s again"}),
    ("GET", "/v1/incidents/INC-1/neighbourhood?depth=1", None),
    ("GET", "/v1/services/payments-api/neighbourhood?depth=1", None),
    ("GET", "/metrics", None),
]


async def _call(api: Api, route: tuple[str, str, object], headers: dict[str, str]) -> httpx.Response:
    method, path, body = route
    return await api.client.request(method, path, json=body, headers=headers)


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "precedent token create" in response.json()["detail"]


@BOTH_STORES
@pytest.mark.parametrize("route", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
async def test_route_needs_a_valid_token_with_its_scope(
    read_api: Api, route: tuple[str, str, object]
) -> None:
    api = read_api  # it only reads, so the map is imported once per store
    _assert_401(await _call(api, route, {}))
    for refused in (
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        api.auth("not-a-precedent-token"),
        api.auth("prec_" + "A" * 43),
        api.auth(api.tokens.revoked),
        api.auth(api.tokens.expired),
    ):
        _assert_401(await _call(api, route, refused))

    # A scraper's token reads /metrics and nothing else; every reader's reads /metrics too.
    scraping = route[1] == "/metrics"
    needed = "metrics" if scraping else "read"
    refused_tokens = [api.tokens.write] + ([] if scraping else [api.tokens.metrics])
    for refused_token in refused_tokens:
        forbidden = await _call(api, route, api.auth(refused_token))
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"].startswith("application/problem+json")
        assert f"'{needed}' scope" in forbidden.json()["detail"]
        assert f"precedent token create --scope {needed}" in forbidden.json()["detail"]

    allowed_tokens = [api.tokens.read, api.tokens.private, api.tokens.admin]
    for allowed in allowed_tokens + ([api.tokens.metrics] if scraping else []):
        response = await _call(api, route, api.auth(allowed))
        assert response.status_code == 200, response.text


async def test_a_revoked_or_expired_token_is_told_so(read_api: Api) -> None:
    # The caller holds the secret, so naming its state leaks nothing and says what to do.
    for secret, state in ((read_api.tokens.revoked, "revoked"), (read_api.tokens.expired, "expired")):
        response = await read_api.client.get("/v1/stats", headers=read_api.auth(secret))
        _assert_401(response)
        detail = response.json()["detail"]
        assert f"token {'was revoked' if state == 'revoked' else 'has expired'}" in detail
        # It did send a token: the answer is a new one, not "send 'Authorization: Bearer <token>'".
        assert "issue a new one with 'precedent token create'" in detail
        assert "send 'Authorization" not in detail


async def test_an_unknown_or_cut_short_token_is_told_it_is_not_this_maps(read_api: Api) -> None:
    # A token from another map (the demo's data directory made afresh) or one pasted without its
    # last characters: "send 'Authorization: Bearer <token>'" told a caller who did send one to
    # send one, and "does not hold a Precedent token (prec_...)" to one holding prec_....
    for secret in ("prec_" + "A" * 43, read_api.tokens.read[:-1], read_api.tokens.read + "x"):
        response = await read_api.client.get("/v1/stats", headers=read_api.auth(secret))
        _assert_401(response)
        detail = response.json()["detail"]
        assert detail.startswith("this API token is not one this map issued"), detail
        assert "copied whole" in detail
        assert "send 'Authorization" not in detail
    not_ours = await read_api.client.get("/v1/stats", headers=read_api.auth("ghp_" + "A" * 36))
    assert not_ours.json()["detail"].startswith("the Authorization header does not hold a Precedent token")


async def test_a_token_under_another_scheme_is_told_to_use_bearer(read_api: Api) -> None:
    # "Token prec_..." was told its header held no Precedent token, though it did.
    headers = {"Authorization": f"Token {read_api.tokens.read}"}
    response = await read_api.client.get("/v1/stats", headers=headers)
    _assert_401(response)
    detail = response.json()["detail"]
    assert detail.startswith("the Authorization header uses the 'Token' scheme; Precedent takes Bearer"), (
        detail
    )
    assert "send 'Authorization: Bearer <token>'" in detail
    assert read_api.tokens.read not in response.text


@pytest.mark.parametrize("path", ["/health", "/ready", "/schema", "/schema/openapi.json", "/schema/swagger"])
async def test_public_routes_answer_without_a_token(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200, response.text


async def test_a_refusal_never_echoes_the_token(api: Api) -> None:
    secret = api.tokens.revoked
    response = await api.client.get("/v1/stats", headers=api.auth(secret))
    assert response.status_code == 401
    assert secret not in response.text
    assert all(secret not in value for value in response.headers.values())


@get("/admin-only", opt={"scope": "admin"}, sync_to_thread=False)
def admin_only() -> dict[str, str]:
    return {"ok": "yes"}


async def test_a_route_declares_its_scope_and_admin_implies_it(embedded_store: GraphStore) -> None:
    registry = TokenRegistry(embedded_store)
    reader = await registry.create(["read", "read:private", "write"])
    admin = await registry.create(["admin"])
    app = Litestar(
        route_handlers=[admin_only],
        middleware=[DefineMiddleware(BearerAuthMiddleware, exclude=list(PUBLIC_PATHS))],
        guards=[require_scope],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({TOKENS_STATE_KEY: registry}),
    )
    async with AsyncTestClient(app) as client:
        refused = await client.get("/admin-only", headers={"Authorization": f"Bearer {reader.secret}"})
        assert refused.status_code == 403
        assert "'admin' scope" in refused.json()["detail"]
        allowed = await client.get("/admin-only", headers={"Authorization": f"Bearer {admin.secret}"})
        assert allowed.status_code == 200


async def test_the_openapi_document_says_which_routes_need_a_token(api: Api) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/health"]["get"]["security"] == [{}]
    stats = document["paths"]["/v1/stats"]["get"]["responses"]
    assert {"401", "403"} <= set(stats)
    assert "401" not in document["paths"]["/ready"]["get"]["responses"]
