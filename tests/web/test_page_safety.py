"""What a hostile value in the map can do to a reader's browser: links that are not web addresses.

Names and texts are escaped by the templates' autoescape; an address inside ``href`` is not made
safe by escaping, so a ``javascript:`` link from incident.io, an export or a ``write`` token's change
event would run in the page of whoever clicks it, signed in as them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import pytest

from precedent.api.app import create_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.store.embedded import EmbeddedStore
from precedent.web.format import external_url
from tests.api.conftest import running
from tests.web.conftest import DIMENSIONS, Pages, copy_map

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.web.conftest import WebOrg


@pytest.fixture
async def own_pages(web_org: WebOrg) -> AsyncIterator[Pages]:
    """The pages over a copy of the map of their own: these tests write to it."""
    data_dir = copy_map(web_org, "page-safety-data")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=DIMENSIONS))
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield Pages(client, web_org)
    finally:
        await store.close()


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/path",
        "/ui/../v1/stats",
        "https:no-host",
        "http://[::1",
        "",
    ],
)
def test_only_web_addresses_become_links(address: str) -> None:
    assert external_url(address) == ""


@pytest.mark.parametrize(
    "address", ["https://app.incident.io/acme/incidents/42", "HTTP://ci.example/runs/7?x=1#y"]
)
def test_web_addresses_are_linked_as_they_are(address: str) -> None:
    assert external_url(address) == address


async def test_a_change_with_a_script_address_is_shown_without_its_link(own_pages: Pages) -> None:
    org = own_pages.org
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    changes = {
        "script": {"url": "javascript:alert(document.cookie)", "version": "evil-1.0"},
        "web": {"url": "https://ci.example/runs/42", "version": "good-2.0"},
    }
    for change in changes.values():
        recorded = await own_pages.client.post(
            "/v1/changes",
            json={"service": org.service_name, "kind": "deploy", "started_at": started, **change},
            headers={"Authorization": f"Bearer {org.write_token}"},
        )
        assert recorded.status_code == 202, recorded.text
    await own_pages.sign_in(org.read_token)
    page = await own_pages.client.get(f"/ui/services/{quote(org.service_name)}")
    assert page.status_code == 200
    assert "evil-1.0" in page.text  # the change is listed, as text
    assert "javascript:" not in page.text.lower()
    assert 'href="https://ci.example/runs/42"' in page.text


async def test_a_changes_bidirectional_controls_are_shown_not_obeyed(own_pages: Pages) -> None:
    # U+202E reversed what followed it on the page: "v1.0\u202e1.2v" read as "v1.0v2.1", a version
    # that was never deployed (Trojan Source). Shown as the code points they are.
    org = own_pages.org
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    recorded = await own_pages.client.post(
        "/v1/changes",
        json={"service": org.service_name, "started_at": started, "version": "v1.0\u202e1.2v\u2066x"},
        headers={"Authorization": f"Bearer {org.write_token}"},
    )
    assert recorded.status_code == 202, recorded.text
    await own_pages.sign_in(org.read_token)
    page = await own_pages.client.get(f"/ui/services/{quote(org.service_name)}")
    assert page.status_code == 200
    assert "\u202e" not in page.text
    assert "\u2066" not in page.text
    assert "v1.0[U+202E]1.2v[U+2066]x" in page.text


async def test_every_page_response_tells_the_browser_to_run_no_script_and_refuse_frames(
    own_pages: Pages,
) -> None:
    org = own_pages.org
    signed_out = [
        await own_pages.client.get("/ui/sign-in"),
        await own_pages.client.get(f"/ui/incidents/{org.public_ref}"),  # a redirect to sign in
    ]
    await own_pages.sign_in(org.read_token)
    signed_in = [
        await own_pages.client.get("/ui/"),
        await own_pages.client.get(f"/ui/incidents/{org.public_ref}"),
        await own_pages.client.get(f"/ui/incidents/{org.private_ref}"),  # not found, as a page
        await own_pages.client.get("/ui/static/precedent.css"),
        # No page matches these: the app's own handler answers with a page, outside the pages' router.
        await own_pages.client.get("/ui/no-such-page"),
        await own_pages.client.delete("/ui/"),
    ]
    assert [r.status_code for r in signed_out + signed_in] == [200, 303, 200, 200, 404, 200, 404, 405]
    for response in signed_out + signed_in:
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy, response.url
        assert "frame-ancestors 'none'" in policy
        assert "script-src" not in policy  # no script at all, inline or from anywhere
        assert response.headers.get("x-frame-options") == "DENY"
        assert response.headers.get("x-content-type-options") == "nosniff"
        assert response.headers.get("referrer-policy") == "same-origin"
