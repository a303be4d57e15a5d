"""The routes that may ask incident.io who is on call, on a service configured with an API key."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

import httpx
from litestar import get
from litestar.exceptions import InternalServerException

from precedent.api.app import create_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from tests.api.conftest import issue_tokens, running

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from precedent.store import GraphStore


async def test_on_call_routes_answer_when_an_incidentio_key_is_set(
    tmp_path: Path, embedded_store: GraphStore
) -> None:
    # With PRECEDENT_INCIDENTIO_API_KEY set (every real deployment) the runtime holds a live
    # on-call source, and litestar checked it against a plain Protocol: a TypeError, so every
    # service and team page, /v1/teams/{team} and /v1/services/{service}/on-call answered 500.
    tokens = await issue_tokens(embedded_store)
    settings = Settings(
        data_dir=tmp_path,
        incidentio_api_key="key",
        incidentio_base_url="http://127.0.0.1:1",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings, store=embedded_store, embedder=HashEmbedder(dimensions=384))
    auth = {"Authorization": f"Bearer {tokens.read}"}
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/v1/teams/nobody", "/v1/services/nothing/on-call"):
            answer = await client.get(path, headers=auth)
            assert answer.status_code == 404, (path, answer.text)
        await client.get("/ui/sign-in")
        signed_in = await client.post(
            "/ui/sign-in", data={"token": tokens.read, "csrf": client.cookies["precedent_csrf"]}
        )
        assert signed_in.status_code == 303
        for path in ("/ui/teams/nobody", "/ui/services/nothing"):
            page = await client.get(path)
            assert page.status_code == 404, (path, page.text[-500:])


async def test_litestars_own_500s_are_logged_with_their_cause(
    tmp_path: Path, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    # The 500s above reached the operator as one access line each: litestar wraps what it could
    # not check in its own InternalServerException, which no handler logged.
    @get("/v1/broken", sync_to_thread=False)
    def broken_route() -> None:
        raise InternalServerException from TypeError("a dependency litestar could not check")

    @get("/ui/broken", sync_to_thread=False)
    def broken_page() -> None:
        raise InternalServerException from TypeError("a dependency litestar could not check")

    tokens = await issue_tokens(embedded_store)
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=embedded_store, embedder=HashEmbedder(dimensions=384))
    app.register(broken_route)
    app.register(broken_page)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/v1/broken", "/ui/broken"):
            caplog.clear()
            answer = await client.get(path, headers={"Authorization": f"Bearer {tokens.read}"})
            assert answer.status_code == 500
            assert "log" in answer.text
            logged = [r for r in caplog.records if r.levelno >= logging.ERROR and path in r.getMessage()]
            assert logged, path
            assert logged[0].exc_info is not None
            assert "a dependency litestar could not check" in "".join(
                traceback.format_exception(*logged[0].exc_info)
            )
