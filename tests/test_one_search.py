"""One search, one answer: the HTTP API, the CLI, the page and the MCP tool find the same hits.

The page and the MCP tool searched by words and meaning, the API and the CLI by words only (and
MCP returned 10 where the others gave 20), so a responder got different incidents for the same
words depending on where they asked. The CLI loads the model named in its settings, so every
surface here uses the real one; the map is the small hand-built organisation of the retrieval
tests, with one private incident that no surface may show to a reader.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import httpx
import pytest
from markupsafe import escape
from mcp import Client

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.mcp import build_server
from precedent.model import PUBLIC_VIEWER
from precedent.runtime import Runtime, RuntimeOptions
from precedent.store.embedded import EmbeddedStore
from tests.api.conftest import running
from tests.cli.output import run_main, said
from tests.retrieval.small_org import build

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.embedding import Embedder

pytestmark = [pytest.mark.model, pytest.mark.slow]

DIMENSIONS = 384
# Its words are in a few nodes only: by words alone the answer is short, by meaning it is not.
QUERY = "database connections timing out"


class Surfaces:
    """The four places a responder can search, over one map, each asked as a reader (public only)."""

    def __init__(self, client: httpx.AsyncClient, runtime: Runtime, token: str) -> None:
        self.client = client
        self.runtime = runtime
        self.auth = {"Authorization": f"Bearer {token}"}
        self.token = token

    async def api(self, **params: str) -> httpx.Response:
        return await self.client.get("/v1/search", params=params, headers=self.auth)

    async def page(self, q: str, **params: str) -> httpx.Response:
        form = await self.client.get("/ui/sign-in")
        csrf = form.cookies.get("precedent_csrf") or self.client.cookies.get("precedent_csrf")
        await self.client.post("/ui/sign-in", data={"token": self.token, "csrf": csrf, "next": "/ui/"})
        return await self.client.get("/ui/search", params={"q": q, **params})

    async def tool(self, **arguments: object) -> tuple[bool, dict[str, object] | None, str]:
        async with Client(build_server(lambda: self.runtime, viewer=PUBLIC_VIEWER)) as client:
            result = await client.call_tool("search", arguments)
        return result.is_error, result.structured_content, result.content[0].text  # type: ignore[union-attr]


@pytest.fixture
async def surfaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_embedder: Embedder
) -> AsyncIterator[Surfaces]:
    data_dir = tmp_path / "data"
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await build(store, real_embedder)
        token = (await TokenRegistry(store).create(["read"], name="reader")).secret
    finally:
        await store.close()
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(data_dir))  # where the CLI reads the map
    # Read-only, as `precedent search` opens it beside this one.
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS, read_only=True)
    await store.open()
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=real_embedder)
    transport = httpx.ASGITransport(app=app)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        async with (
            Runtime(store=store, embedder=real_embedder, options=RuntimeOptions()) as runtime,
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield Surfaces(client, runtime, token)
            # The CLI pointed the root logger at the test's captured stderr, closed by now.
            root.handlers[:] = handlers
            root.setLevel(level)
    finally:
        await store.close()


def _ids(body: dict[str, object]) -> list[str]:
    hits = body["hits"]
    assert isinstance(hits, list)
    return [hit["node"]["id"] for hit in hits]


async def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await run_main(["search", *argv])
    return code, capsys.readouterr().out


async def test_the_same_query_finds_the_same_hits_in_the_same_order_everywhere(
    surfaces: Surfaces, capsys: pytest.CaptureFixture[str]
) -> None:
    api = await surfaces.api(q=QUERY)
    assert api.status_code == 200, api.text
    expected = _ids(api.json())
    code, out = await _cli([*QUERY.split(), "--public-only", "--json"], capsys)
    assert code == 0
    page = await surfaces.page(QUERY)
    assert page.status_code == 200, page.text
    error, body, text = await surfaces.tool(q=QUERY)
    assert not error, text
    assert body is not None
    answers = {
        "cli": _ids(httpx.Response(200, content=out).json()),
        "page": re.findall(r'<li data-node="([^"]+)">', page.text),
        "mcp": _ids(body),
    }
    assert answers == {"cli": expected, "page": expected, "mcp": expected}
    # Words and meaning: the words alone are in fewer nodes than the answer holds.
    words = await surfaces.api(q=QUERY, mode="text")
    assert words.status_code == 200, words.text
    assert len(_ids(words.json())) < len(expected)
    assert not any(i.startswith("inc-14") for i in expected)  # the private incident and its updates


async def test_words_only_is_one_switch_everywhere(
    surfaces: Surfaces, capsys: pytest.CaptureFixture[str]
) -> None:
    api = await surfaces.api(q=QUERY, mode="text", limit="5")
    assert api.status_code == 200, api.text
    code, out = await _cli(
        [*QUERY.split(), "--public-only", "--mode", "text", "--limit", "5", "--json"], capsys
    )
    assert code == 0
    error, body, text = await surfaces.tool(q=QUERY, mode="text", limit=5)
    assert not error, text
    assert body is not None
    expected = _ids(api.json())
    assert expected
    assert (_ids(httpx.Response(200, content=out).json()), _ids(body)) == (expected, expected)


@pytest.mark.parametrize(
    ("q", "limit", "message"),
    [
        ("  ", "20", "nothing to search for: give some words"),
        # Words the index drops: the meaning half answered services with empty snippets.
        (
            "the a",
            "20",
            "nothing to search for: give some words, e.g. checkout timeout ('the a' has no words",
        ),
        ("x" * 501, "20", "a search takes at most 500 characters, not 501"),
        ("pool", "0", "limit must be a whole number from 1 to 100, not 0: send one in that range"),
        ("pool", "101", "limit must be a whole number from 1 to 100, not 101: send one in that range"),
    ],
)
async def test_bad_input_is_refused_in_the_same_words_everywhere(
    surfaces: Surfaces, capsys: pytest.CaptureFixture[str], q: str, limit: str, message: str
) -> None:
    api = await surfaces.api(q=q, limit=limit)
    assert api.status_code == 400
    assert message in api.json()["detail"]
    try:
        code = await run_main(["search", q, "--limit", limit])
    except SystemExit as exited:  # a flag's error (--limit's), as argparse exits on one
        code = int(str(exited.code))
    assert code == 2
    assert message in said(capsys)
    error, _, text = await surfaces.tool(q=q, limit=int(limit))
    assert error
    assert message in text
    if limit == "20":  # the page takes no limit; an empty box is the empty search page
        page = await surfaces.page(q)
        if q.strip():
            assert page.status_code == 400
            assert str(escape(message)) in page.text
        else:
            assert page.status_code == 200
            assert 'id="hit-count"' not in page.text


async def test_an_unknown_kind_is_refused_naming_the_kinds_on_the_page_as_in_the_api(
    surfaces: Surfaces,
) -> None:
    # The page ignored kinds=bogus and searched every kind, as if the link had asked for that.
    api = await surfaces.api(q=QUERY, kinds="bogus")
    assert api.status_code == 400
    detail = api.json()["detail"]
    assert detail.startswith("unknown kind 'bogus' in kinds; use any of incident, postmortem"), detail
    page = await surfaces.page(QUERY, kinds="bogus")
    assert page.status_code == 400
    assert str(escape(detail)) in page.text
    only = await surfaces.page("payments", kinds="service")
    assert only.status_code == 200, only.text
    nodes = re.findall(r'<li data-node="([^"]+)">', only.text)
    assert nodes
    assert all(n.startswith("svc") for n in nodes), nodes
