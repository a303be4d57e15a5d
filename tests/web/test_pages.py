"""The pages through an ASGI client on the embedded store: sign-in, redirects, CSRF, content, visibility."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape as html_unescape
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from precedent.api.app import create_app
from precedent.auth.tokens import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, build_investigation, save
from precedent.links import Links
from precedent.model import OWNER_VIEWER, Edge, GraphFilter, Node
from precedent.retrieval import Catalog, IncidentQuery, SimilarIncidentFinder
from precedent.store.embedded import EmbeddedStore
from precedent.web.errors import PRIVATE_HINT
from precedent.web.pages_incident import SIMILAR
from precedent.web.session import site_origin
from precedent.webhooks import StoreInvestigationCloser
from tests.api.conftest import running
from tests.web.conftest import DIMENSIONS, Pages, copied_map, copy_map, signed_in_reader

if TYPE_CHECKING:
    from tests.web.conftest import WebOrg


def page_paths(org: WebOrg) -> list[str]:
    return [
        "/ui/",
        f"/ui/investigations/{org.public_investigation}",
        f"/ui/incidents/{org.public_ref}",
        f"/ui/incidents/{org.public_ref}/investigation",
        f"/ui/services/{quote(org.service_name)}",
        "/ui/search?q=latency",
        "/ui/incidents",
        "/ui/services",
    ]


async def test_without_a_session_every_page_redirects_to_sign_in(pages: Pages) -> None:
    for path in page_paths(pages.org):
        response = await pages.client.get(path)
        assert response.status_code == 303, path
        location = response.headers["location"]
        assert location.startswith("/ui/sign-in?next=/ui"), location
    form = await pages.client.get("/ui/sign-in?next=/ui/services/x")
    assert form.status_code == 200
    assert 'name="next" value="/ui/services/x"' in form.text
    assert 'type="password"' in form.text


async def test_the_api_still_wants_its_bearer_token(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    # The session cookie is scoped to /ui and the API does not read it.
    assert (await pages.client.get("/v1/stats")).status_code == 401


async def test_sign_in_sets_a_session_cookie_for_the_pages_only(pages: Pages) -> None:
    response = await pages.sign_in(pages.org.read_token)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    session = cookies["precedent_session"]
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "path=/ui" in session
    assert "secure" not in session  # served over http here; https public URLs get Secure
    home = await pages.client.get("/ui/")
    assert home.status_code == 200
    assert "reader" in home.text


async def test_a_refused_token_shows_the_form_again(pages: Pages) -> None:
    for token in ("prec_" + "x" * 43, "not-a-token", pages.org.write_token):
        response = await pages.sign_in(token)
        assert response.status_code == 401, token
        assert 'role="alert"' in response.text
        assert "precedent_session" not in response.headers.get("set-cookie", "")
    assert (await pages.client.get("/ui/")).status_code == 303


async def test_forms_without_the_csrf_token_or_from_another_site_are_refused(pages: Pages) -> None:
    await pages.client.get("/ui/sign-in")
    csrf = pages.client.cookies["precedent_csrf"]
    token = pages.org.read_token
    bad = [
        ({"token": token}, {}),
        ({"token": token, "csrf": "forged" * 8}, {}),
        ({"token": token, "csrf": csrf}, {"origin": "https://evil.example"}),
        ({"token": token, "csrf": csrf}, {"origin": "null"}),
    ]
    for data, headers in bad:
        response = await pages.client.post("/ui/sign-in", data=data, headers=headers)
        assert response.status_code == 403, (data, headers)
        assert "precedent_session" not in response.headers.get("set-cookie", "")
    good = await pages.client.post(
        "/ui/sign-in", data={"token": token, "csrf": csrf}, headers={"origin": "http://testserver"}
    )
    assert good.status_code == 303
    # Sign-out is a form too: without the (rotated) CSRF token it is refused and the session stays.
    assert (await pages.client.post("/ui/sign-out", data={})).status_code == 403
    assert (await pages.client.get("/ui/")).status_code == 200
    fresh = pages.client.cookies["precedent_csrf"]
    assert fresh != csrf
    out = await pages.client.post("/ui/sign-out", data={"csrf": fresh})
    assert out.status_code == 303
    assert (await pages.client.get("/ui/")).status_code == 303


async def test_signing_in_over_http_under_an_https_public_url_says_where_to_go(web_org: WebOrg) -> None:
    # The cookies are Secure under an https public URL, so a browser at the server's own
    # http:// address never keeps the form's cookie; "reload the page and try again" looped.
    data_dir = copy_map(web_org, "plain-http-data")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    settings = Settings(data_dir=data_dir, public_url="https://precedent.example.com", _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=DIMENSIONS))
    try:
        async with (
            running(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5:8080"
            ) as client,
        ):
            form = await client.get("/ui/sign-in")
            assert "Secure" in form.headers["set-cookie"]
            csrf = form.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            client.cookies.clear()  # what a browser does with a Secure cookie over http
            refused = await client.post("/ui/sign-in", data={"token": web_org.read_token, "csrf": csrf})
            assert refused.status_code == 403
            text = " ".join(html_unescape(refused.text).split())
            assert "PRECEDENT_PUBLIC_URL is https://precedent.example.com" in text
            assert "open the pages at https://precedent.example.com/ui/" in text
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("public_url", "origin"),
    [
        ("https://Precedent.example.com:443/", "https://precedent.example.com"),
        ("http://precedent.example.com:80", "http://precedent.example.com"),
        ("https://ops@precedent.example.com:8443", "https://precedent.example.com:8443"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_the_public_urls_origin_is_written_as_a_browser_sends_it(public_url: str, origin: str) -> None:
    # A public URL naming https's own port (:443) gave "https://precedent.example.com:443", which
    # no browser sends as Origin: behind a proxy rewriting Host, every sign-in was "posted from
    # another site".
    assert site_origin(public_url) == origin


async def test_a_form_from_the_public_url_that_lost_its_cookie_is_not_sent_to_the_public_url(
    web_org: WebOrg,
) -> None:
    # Behind a proxy on another machine uvicorn does not trust X-Forwarded-Proto, so the app sees
    # http even for a browser at the https public URL: one whose cookie was lost another way was
    # told to open the pages at the very address it was on.
    data_dir = copy_map(web_org, "lost-cookie-data")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    settings = Settings(data_dir=data_dir, public_url="https://precedent.example.com", _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=DIMENSIONS))
    try:
        async with (
            running(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://precedent-internal:8000"
            ) as client,
        ):
            refused = await client.post(
                "/ui/sign-in",
                data={"token": web_org.read_token, "csrf": "from-a-page-long-gone"},
                headers={"origin": "https://precedent.example.com"},
            )
            assert refused.status_code == 403
            text = " ".join(html_unescape(refused.text).split())
            assert "reload the page and try again" in text
            assert "open the pages at" not in text
    finally:
        await store.close()


async def test_behind_a_proxy_a_form_posted_from_the_public_url_is_accepted(web_org: WebOrg) -> None:
    # A reverse proxy (TLS ended there) passes Host "precedent-internal:8000"; the browser, at the
    # public URL, sends that as Origin. Foreign origins are still refused.
    data_dir = copy_map(web_org, "proxied-data")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    settings = Settings(
        data_dir=data_dir,
        public_url="https://precedent.example.com/",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=DIMENSIONS))
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="https://precedent-internal:8000") as client,
        ):
            await client.get("/ui/sign-in")
            csrf = client.cookies["precedent_csrf"]
            form = {"token": web_org.read_token, "csrf": csrf}
            for foreign in ("https://evil.example", "http://precedent.example.com", "null"):
                refused = await client.post("/ui/sign-in", data=form, headers={"origin": foreign})
                assert refused.status_code == 403, foreign
                assert "posted from another site" in refused.text, foreign
            signed_in = await client.post(
                "/ui/sign-in", data=form, headers={"origin": "https://precedent.example.com"}
            )
            assert signed_in.status_code == 303
            assert "precedent_session" in signed_in.headers.get("set-cookie", "")
            out = await client.post(
                "/ui/sign-out",
                data={"csrf": client.cookies["precedent_csrf"]},
                headers={"origin": "https://Precedent.Example.com"},
            )
            assert out.status_code == 303
    finally:
        await store.close()


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/ui", "/\\evil.example", "/v1/stats", "javascript:alert(1)"],
)
async def test_sign_in_only_returns_to_the_pages(pages: Pages, next_path: str) -> None:
    await pages.client.get("/ui/sign-in")
    response = await pages.client.post(
        "/ui/sign-in",
        data={
            "token": pages.org.read_token,
            "csrf": pages.client.cookies["precedent_csrf"],
            "next": next_path,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"


async def test_every_page_renders_for_a_signed_in_reader(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    for path in page_paths(pages.org):
        response = await pages.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert "<h1>" in response.text or "<h1" in response.text


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, "every page has a <title>"
    return found.group(1)


async def test_each_page_title_names_the_page_then_precedent_once(pages: Pages) -> None:
    # The home page read "Precedent · Precedent" and the sign-in page " · Precedent".
    assert _title((await pages.client.get("/ui/sign-in")).text) == "Sign in · Precedent"
    await pages.sign_in(pages.org.private_token)
    titles = {path: _title((await pages.client.get(path)).text) for path in page_paths(pages.org)}
    assert titles.pop("/ui/") == "Precedent"
    assert titles["/ui/search?q=latency"] == "Search: latency · Precedent"
    for path, title in titles.items():
        name, _, site = title.rpartition(" · ")
        assert (site, bool(name.strip()), "Precedent" in name) == ("Precedent", True, False), path


async def test_the_investigation_page(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    html = (await pages.client.get(f"/ui/investigations/{pages.org.public_investigation}")).text
    assert f"{pages.org.public_ref}</a>: {pages.org.public.properties['name']}" in html
    # The header's status is the incident's when it was declared, not where it ended.
    assert pages.org.public.properties["status_category"] in {"learning", "closed"}
    assert f'<span class="badge">{pages.org.public.properties["status"]}</span>' not in html
    assert '<span class="badge">Investigating</span>' in html
    # ...and where it is now, or an incident long closed read as still being investigated.
    assert f'<span class="muted" id="status-now">(now {pages.org.public.properties["status"]})</span>' in html
    for section in ("hypotheses", "precedents", "neighbourhood", "services", "changes", "follow-ups"):
        assert f'id="{section}"' in html
    precedents = re.findall(r'<h3><a href="/ui/incidents/(INC-\d+)">', html)
    assert precedents, "the investigation lists its precedents, linked"
    # A ranking score, as the CLI and MCP write it: "65% similar" read as comparable with a confidence.
    assert re.search(r"· score \d\.\d{3}</span>", _section(html, "precedents"))
    assert "% similar" not in html
    assert "<dt>Resolved by</dt>" in html  # worded as the CLI, Slack and MCP word it
    # On-call is read at the declaration, and the page may be read days later: it says when.
    assert "<dt>On call when declared</dt>" in _section(html, "services")
    assert "What fixed it" not in html
    assert 'class="edge linking"' in html
    assert f'href="/ui/services/{quote(pages.org.service_name)}"' in html
    assert re.search(r"in \d+ ms", html)
    # The same page for the incident's link, as the demo and the CLI print it.
    by_incident = await pages.client.get(f"/ui/incidents/{pages.org.public_ref}/investigation")
    assert precedents[0] in by_incident.text


async def test_the_incident_service_home_and_search_pages(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    incident = (await pages.client.get(f"/ui/incidents/{pages.org.public_ref}")).text
    for section in ("postmortem", "follow-ups", "updates", "similar"):
        assert f'id="{section}"' in incident
    assert f'href="/ui/incidents/{pages.org.public_ref}/investigation"' in incident
    service = (await pages.client.get(f"/ui/services/{quote(pages.org.service_name)}")).text
    assert f"<h1>{pages.org.service_name}</h1>" in service
    for heading in ("Owners", "On call", "Depends on", "Depended on by", "Recent changes"):
        assert heading in service
    # The map was imported from an export, which records no time: how fresh on-call is, said.
    on_call = re.search(r"<dt>On call</dt>\s*<dd>(.*?)</dd>", service, re.S)
    assert on_call is not None
    assert "; from an imported export, as of its file time " in on_call.group(1), on_call.group(1)
    assert 'figure class="chart"' in service
    home = (await pages.client.get("/ui/")).text
    assert re.search(r'<dt><a class="whole" href="/ui/incidents">Incidents</a></dt><dd>30</dd>', home)
    assert 'role="search"' in home
    assert f'href="/ui/incidents/{pages.org.public_ref}/investigation"' in home  # its latest build
    found = (await pages.client.get(f"/ui/search?q={quote(str(pages.org.public.properties['name']))}")).text
    assert f'href="/ui/incidents/{pages.org.public_ref}"' in found
    # Hits and snippets are cut as every surface cuts (``shortened``): Jinja's truncate ended
    # "…dropped to baseline;..." on a separator and three dots.
    for q in ("pool size restarted", "timeouts connection slots"):
        found = (await pages.client.get(f"/ui/search?q={quote(q)}")).text
        assert "…" in found, q
        assert "..." not in found, q
        assert not re.search(r"[;,:]…", found), q


async def test_an_unknown_page_answers_not_found_as_a_page(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    for path in ("/ui/incidents/INC-99999", "/ui/services/no-such-service", "/ui/investigations/inv:nope"):
        response = await pages.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in response.text
    # An unknown incident or service links to a search for it, as the API and the CLI say to search.
    missing = (await pages.client.get("/ui/services/chekout api")).text
    assert '<a id="search-for-it" href="/ui/search?q=chekout+api">' in missing
    assert 'id="search-for-it"' not in (await pages.client.get("/ui/investigations/inv:nope")).text


async def test_a_reader_who_cannot_find_an_incident_is_told_private_ones_need_another_token(
    pages: Pages,
) -> None:
    # A private incident's link from Slack read "not found" to a reader without private access,
    # on a page without the header that says who is signed in.
    await pages.sign_in(pages.org.read_token)
    private = await pages.client.get(f"/ui/incidents/{pages.org.private_ref}/investigation")
    missing = await pages.client.get("/ui/incidents/INC-99999/investigation")
    assert private.status_code == missing.status_code == 404
    hint = PRIVATE_HINT.format(name="reader")
    sign_in = f"/ui/sign-in?next=/ui/incidents/{pages.org.private_ref}/investigation"
    assert (
        f'<p id="private-hint">{escape(hint)} <a href="{sign_in}">Sign in with another token</a>.</p>'
        in private.text
    )
    # The same page whether it is private or does not exist: it tells nothing of which.
    assert private.text.replace(pages.org.private_ref, "INC-99999") == missing.text
    nav = re.search(r'<nav aria-label="Site">(.*?)</nav>', private.text, re.S)
    assert nav is not None
    assert 'href="/ui/incidents"' in nav.group(1)
    assert '<span class="who">reader</span>' in nav.group(1)
    # A service is never private; a reader who sees private incidents needs no hint.
    assert 'id="private-hint"' not in (await pages.client.get("/ui/services/no-such-service")).text
    await pages.sign_in(pages.org.private_token)
    assert 'id="private-hint"' not in (await pages.client.get("/ui/incidents/INC-99999")).text


async def _private_refs(org: WebOrg) -> set[str]:
    store = EmbeddedStore(org.data_dir / "graph", dimensions=384, read_only=True)
    await store.open()
    try:
        return {
            str(n.properties["reference"])
            async for n in store.scan_nodes(["Incident"])
            if n.visibility == "private"
        }
    finally:
        await store.close()


async def test_a_read_token_never_sees_a_private_incident(pages: Pages) -> None:
    private = await _private_refs(pages.org)
    assert pages.org.private_ref in private
    await pages.sign_in(pages.org.read_token)
    for path in (
        f"/ui/incidents/{pages.org.private_ref}",
        f"/ui/incidents/{pages.org.private_ref}/investigation",
        f"/ui/investigations/{pages.org.private_investigation}",
    ):
        response = await pages.client.get(path)
        assert response.status_code == 404, path
        assert str(pages.org.private.properties["name"]) not in response.text
    # No page a reader can open names a private incident: precedents, search, counts, services.
    for path in [*page_paths(pages.org), f"/ui/search?q={quote(str(pages.org.private.properties['name']))}"]:
        html = (await pages.client.get(path)).text
        shown = set(re.findall(r"/ui/incidents/(INC-\d+)", html))
        assert not shown & private, (path, shown & private)
    home = (await pages.client.get("/ui/")).text
    assert re.search(
        rf'<dt><a class="whole" href="/ui/incidents">Incidents</a></dt><dd>{30 - len(private)}</dd>', home
    )


async def test_a_private_reader_sees_the_private_incident(pages: Pages) -> None:
    await pages.sign_in(pages.org.private_token)
    page = await pages.client.get(f"/ui/incidents/{pages.org.private_ref}")
    assert page.status_code == 200
    assert 'class="badge private"' in page.text
    investigation = await pages.client.get(f"/ui/investigations/{pages.org.private_investigation}")
    assert investigation.status_code == 200


def _section(html: str, section: str) -> str:
    start = html.index(f'id="{section}"')
    return html[start : html.find("</section>", start)]


async def test_a_service_page_counts_change_times_back_from_now(pages: Pages) -> None:
    # On an investigation a change is "7 min before" the declaration; a service page has no
    # declaration, so "before" would leave the reader asking: before what?
    await pages.sign_in(pages.org.read_token)
    service = (await pages.client.get(f"/ui/services/{quote(pages.org.service_name)}")).text
    # The chart counts 26 weeks and the list below it 30 days: the list says so.
    assert '<h3>Recent incidents <span class="muted">(last 30 days)</span></h3>' in service
    assert "<dt>On call</dt>" in service  # read now, unlike an investigation's
    changes = _section(service, "changes")
    assert re.search(r"· \d+ (s|min|h|d)( \d+ (min|h))? ago", changes), changes
    assert not re.search(r"· \d+ (s|min|h|d)( \d+ (min|h))? before", changes), changes
    investigation = (await pages.client.get(f"/ui/investigations/{pages.org.public_investigation}")).text
    assert " ago</span>" not in _section(investigation, "changes")


async def test_the_incident_page_names_its_similar_reasons_as_the_investigation_does(pages: Pages) -> None:
    await pages.sign_in(pages.org.read_token)
    similar = _section((await pages.client.get(f"/ui/incidents/{pages.org.public_ref}")).text, "similar")
    assert 'class="card"' in similar
    assert re.search(r"· score \d\.\d{3}</span>", similar), similar
    assert re.search(r"\b(similar in meaning|shares words: \w+)", similar), similar
    assert not re.search(r"\b(semantic|lexical)\b|\w_(rank|service|team)\b", similar), similar
    # What each one's cause was, as the API, the CLI, MCP and the investigation page say it: the
    # page showed only what resolved it, and a fix alone does not say whether it is the same failure.
    api = await pages.client.get(
        f"/v1/incidents/{pages.org.public_ref}/similar",
        params={"limit": SIMILAR},
        headers={"Authorization": f"Bearer {pages.org.read_token}"},
    )
    causes = [r["explanation"]["lesson"]["root_cause"] for r in api.json()["results"]]
    assert any(causes), "the sample's similar incidents have causes to show"
    for cause in filter(None, causes):
        assert f"<strong>Root cause:</strong> {escape(cause)}" in similar, similar


async def test_a_bad_address_answers_a_page_that_says_what_is_wrong(pages: Pages) -> None:
    # A pasted stack trace is longer than a search allows: the reader gets a page, not problem+json.
    await pages.sign_in(pages.org.read_token)
    response = await pages.client.get("/ui/search", params={"q": "x" * 501})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "a search takes at most 500 characters, not 501" in response.text
    # The search page, its words kept in the box to shorten: it was a page with no search box.
    assert 'id="page-q" name="q" type="search" value="' + "x" * 501 + '"' in response.text
    assert 'id="refused"' in response.text
    refused_kinds = await pages.client.get("/ui/search", params={"q": "pool", "kinds": "nope"})
    assert refused_kinds.status_code == 400
    assert 'value="pool"' in refused_kinds.text
    assert "unknown kind &#39;nope&#39; in kinds" in refused_kinds.text


async def test_a_search_hit_from_an_incident_names_that_incident(pages: Pages) -> None:
    # An update or a follow-up read alone ("Rolling out the fix."): which incident was it?
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get("/ui/search?q=latency")).text
    parts = [
        item
        for item in re.findall(r"<li[^>]*>(.*?)</li>", html, re.S)
        if re.search(r'<span class="kind">(update|follow-up|post-mortem)</span>', item)
    ]
    assert parts, html
    for item in parts:
        named = re.search(r'<span class="muted">on (INC-\d+)</span>', item)
        assert named is not None, item
        href = re.search(r'href="/ui/incidents/([^"]+)"', item)
        assert href is not None
        incident = await pages.client.get(f"/ui/incidents/{href.group(1)}")
        assert f"<h1>{named.group(1)}:" in incident.text


async def test_a_merged_incident_leads_to_the_one_it_was_merged_into(web_org: WebOrg) -> None:
    # Its last update said "Duplicate of INC-25; merging." as text alone.
    async with copied_map(web_org, "merged-data") as (data_dir, store):
        public = sorted(
            [n async for n in store.scan_nodes(["Incident"]) if n.visibility == "public"], key=lambda n: n.id
        )
        duplicate, kept, into_private = public[0], public[1], public[2]
        updates = GraphFilter(labels=("IncidentUpdate",), direction="out")
        [(_, update), *_] = await store.neighbours(duplicate.id, updates)
        [(_, other_update), *_] = await store.neighbours(into_private.id, updates)
        await store.upsert_edges(
            [
                Edge(update.id, "MERGED_INTO", kept.id),
                Edge(other_update.id, "MERGED_INTO", web_org.private.id),
            ]
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            html = (await client.get(f"/ui/incidents/{duplicate.properties['reference']}")).text
            ref = kept.properties["reference"]
            link = f'<a href="/ui/incidents/{ref}">{ref}</a>'
            assert f'<span id="merged-into">merged into {link}</span>' in html
            # Merged into an incident this reader may not see: not named, not linked.
            hidden = (await client.get(f"/ui/incidents/{into_private.properties['reference']}")).text
            assert 'id="merged-into"' not in hidden
            assert web_org.private_ref not in hidden
            # An incident merged into none says nothing of it.
            kept_page = (await client.get(f"/ui/incidents/{ref}")).text
            assert 'id="merged-into"' not in kept_page


def _meta_words(html: str) -> str:
    """The first meta line of a page's header as text, as a screen reader reads it."""
    meta = re.search(r'<p class="meta">(.*?)</p>', html, re.S)
    assert meta is not None
    return " ".join(html_unescape(re.sub(r"<[^>]+>", "", meta.group(1))).split())


async def test_the_badges_of_an_incident_read_as_separate_words(pages: Pages) -> None:
    # "MinorClosedprivatestarted 2026-…": the badges' text ran together (and into the next word).
    await pages.sign_in(pages.org.private_token)
    props = pages.org.private.properties
    incident = _meta_words((await pages.client.get(f"/ui/incidents/{pages.org.private_ref}")).text)
    assert incident.startswith(f"{props['severity']} {props['status']} private started "), incident
    path = f"/ui/investigations/{quote(pages.org.private_investigation, safe='')}"
    investigation = _meta_words((await pages.client.get(path)).text)
    # As it was when declared, then as it is now.
    when_declared = rf"{props['severity']} \w+ \(now {props['status']}\) private declared "
    assert re.match(when_declared, investigation), investigation


async def test_a_search_hit_in_an_incident_opens_its_page_where_it_is(pages: Pages) -> None:
    # On a long incident the matching update was a scroll through the whole timeline away.
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get("/ui/search?q=latency")).text
    places = {"update": "update-", "follow-up": "follow-up-"}
    parts = []
    for node, item in re.findall(r'<li data-node="([^"]+)">(.*?)</li>', html, re.S):
        kind = re.search(r'<span class="kind">([^<]+)</span>', item)
        href = re.search(r'href="([^"]+)"', item)
        if kind and href and kind.group(1) in (*places, "post-mortem"):
            parts.append((node, kind.group(1), html_unescape(href.group(1))))
    assert {kind for _, kind, _ in parts} >= {"update", "post-mortem"}, html
    for node, kind, href in parts:
        path, _, fragment = href.partition("#")
        wanted = f"{places[kind]}{node}" if kind in places else "postmortem"
        assert fragment == wanted, href
        incident = (await pages.client.get(path)).text
        assert f'id="{wanted}"' in incident, href


async def test_a_mistyped_address_under_the_pages_answers_a_page(pages: Pages) -> None:
    # No page route matches, so the pages' handlers never run; the app's answered problem+json.
    await pages.sign_in(pages.org.read_token)
    # (/ui/incidents/ and /ui/services are the lists now.)
    for path in ("/ui/nope", "/ui/incidentz/", "/ui/servicez"):
        response = await pages.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert f"There is no page at {path}." in response.text
    api = await pages.client.get("/v1/nope")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


async def test_search_says_when_no_hit_holds_the_words(pages: Pages) -> None:
    # Search by meaning always returns neighbours; for a string found nowhere, the reader is told.
    await pages.sign_in(pages.org.read_token)
    note = "none holds these words; these are only the closest in meaning"
    gibberish = (await pages.client.get("/ui/search?q=zzqxv+wqqzk")).text
    assert re.search(r'id="hit-count">\d+ results?: ' + note, gibberish), gibberish
    name = str(pages.org.public.properties["name"])
    worded = (await pages.client.get("/ui/search", params={"q": name})).text
    assert 'id="hit-count"' in worded
    assert note not in worded


async def test_a_search_of_some_kinds_keeps_them_when_searching_again(pages: Pages) -> None:
    # The form sent q alone: searching again from a page of incidents searched every kind.
    await pages.sign_in(pages.org.read_token)
    name = str(pages.org.public.properties["name"])
    only = (await pages.client.get("/ui/search", params={"q": name, "kinds": "incident,follow_up"})).text
    assert '<input type="hidden" name="kinds" value="incident,follow_up">' in only
    assert 'id="search-kinds">Only: incident, follow up' in only
    labels = re.findall(r'<li data-node="[^"]+">\s*<span class="kind">([^<]+)</span>', only)
    assert labels
    assert set(labels) <= {"incident", "follow-up"}, labels
    every = (await pages.client.get("/ui/search", params={"q": name})).text
    assert 'name="kinds"' not in every


async def test_a_search_hit_reads_as_words_with_spaces_between_its_parts(pages: Pages) -> None:
    # Read aloud or on a phone, "Monitoring.on INC-782026-09-21" names no incident and no date.
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get("/ui/search?q=latency")).text
    items = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item))
        for item in re.findall(r"<li[^>]*>(.*?)</li>", html, re.S)
    ]
    named = [text for text in items if " on INC-" in text]
    assert named, items
    for text in named:
        assert re.search(r"\S on INC-\d+ \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", text), text


async def test_a_search_hit_does_not_repeat_its_text_under_itself(pages: Pages) -> None:
    # An update's link is its message; the snippet under it was the same message again, which
    # doubled the length of the results on a phone and had a screen reader read each one twice.
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get("/ui/search?q=latency")).text
    items = re.findall(r"<li[^>]*>(.*?)</li>", html, re.S)
    updates = [item for item in items if '<span class="kind">update</span>' in item]
    assert updates, items
    for item in items:
        link = re.search(r"<a [^>]*>(.*?)</a>", item, re.S)
        snippet = re.search(r'<p class="snippet">(.*?)</p>', item, re.S)
        if link and snippet:
            assert snippet.group(1).strip() != link.group(1).strip(), item


async def test_the_investigation_says_who_is_on_call_and_the_closest_precedent_first(pages: Pages) -> None:
    # On a phone the owners and on-call sat below eight hypothesis cards and five precedents.
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get(f"/ui/investigations/{pages.org.public_investigation}")).text
    brief = _section(html, "brief")
    assert html.index('id="brief"') < html.index('id="hypotheses"')
    services = _section(html, "services")
    team = re.search(r"<dt>Owners</dt>\s*<dd><strong>(.*?)</strong>", services)
    assert team is not None, services
    assert re.search(rf"<dt>Owners</dt>\s*<dd>[^<]*: {re.escape(team.group(1))}", brief), brief
    on_call = re.search(r"<dt>On call when declared</dt>\s*<dd>(.*?)</dd>", services, re.S)
    assert on_call is not None, services
    named = re.findall(r"^([^<;]+?) <span", on_call.group(1)) or ["nobody found on call for"]
    assert "<dt>On call when declared</dt>" in brief
    assert named[0] in brief, (named, brief)
    # "nobody found on call" read as nobody being on call: when the map's entries do not cover
    # the declaration, the page says so.
    if on_call.group(1).startswith("nobody found on call"):
        assert "no schedule entry the map holds covers this time" in on_call.group(1), on_call.group(1)
    top = re.search(r'<h3><a href="(/ui/incidents/INC-\d+)">', _section(html, "precedents"))
    assert top is not None
    assert re.search(rf'<dt>Closest precedent</dt>\s*<dd><a href="{top.group(1)}">', brief), brief
    for section in ("hypotheses", "precedents", "services", "changes", "follow-ups"):
        assert f'href="#{section}"' in brief


async def test_each_page_has_one_search_form(pages: Pages) -> None:
    # Home and search have their own box: a second one in the header made two unnamed "search"
    # landmarks for a screen reader, and on a phone the same query in two boxes above the results.
    await pages.sign_in(pages.org.read_token)
    for path in page_paths(pages.org):
        html = (await pages.client.get(path)).text
        assert html.count('role="search"') == 1, path
        assert html.count('action="/ui/search"') == 1, path


async def test_the_weekly_counts_behind_the_chart_are_a_table(pages: Pages) -> None:
    # A week's count was only in the bar's tooltip: no hover on a phone, and a screen reader
    # heard the chart's total only.
    await pages.sign_in(pages.org.read_token)
    html = _section(
        (await pages.client.get(f"/ui/services/{quote(pages.org.service_name)}")).text, "incidents"
    )
    total = re.search(r"<figcaption>(\d+) incidents? in the last (\d+) weeks", html)
    assert total is not None, html
    table = re.search(r"<table>(.*?)</table>", html, re.S)
    assert table is not None, html
    assert '<th scope="col">Week of</th>' in table.group(1)
    rows = re.findall(r'<tr><th scope="row">(\d\d \w{3} \d{4})</th><td>(\d+)</td></tr>', table.group(1))
    assert len(rows) == int(total.group(2))
    assert sum(int(count) for _, count in rows) == int(total.group(1))


async def test_a_browser_whose_token_was_revoked_is_told_why_it_must_sign_in_again(pages: Pages) -> None:
    # At 3 a.m. a bare sign-in form reads as "I mistyped something"; say the session ended.
    pages.client.cookies.set("precedent_session", "prec_" + "x" * 43, path="/ui")
    page = await pages.client.get(f"/ui/incidents/{pages.org.public_ref}")
    assert page.status_code == 303
    form = await pages.client.get(page.headers["location"])
    assert form.status_code == 200
    assert 'role="status"' in form.text
    assert "session has ended" in form.text
    # The refused cookie is dropped, so the notice is said once.
    cookies = form.headers.get_list("set-cookie")
    assert any(c.startswith("precedent_session=") and "Max-Age=0" in c for c in cookies), cookies
    # A browser that never signed in, or signed out, gets the form alone.
    async with httpx.AsyncClient(transport=pages.client._transport, base_url="http://testserver") as fresh:
        assert "session has ended" not in (await fresh.get("/ui/sign-in")).text


async def test_a_drawing_with_links_is_not_announced_as_one_image(pages: Pages) -> None:
    # role="img" makes an element's children presentational: a screen reader reads the drawing as
    # one picture, yet Tab still stops on each node's link inside it, announcing nothing useful.
    await pages.sign_in(pages.org.read_token)
    for path in page_paths(pages.org):
        html = (await pages.client.get(path)).text
        for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
            opening = svg[: svg.index(">")]
            if "<a " in svg:
                assert 'role="img"' not in opening, (path, opening)
                assert 'role="group"' in opening
                assert "aria-labelledby=" in opening


async def test_a_hypothesis_says_its_percentage_is_a_confidence_in_words(pages: Pages) -> None:
    # A bare "67%" heard out of context means nothing; its title attribute is not read by every
    # screen reader and never shown on a phone.
    await pages.sign_in(pages.org.read_token)
    html = (await pages.client.get(f"/ui/investigations/{pages.org.public_investigation}")).text
    headings = re.findall(r"<h3>(.*?)</h3>", _section(html, "hypotheses"), re.S)
    assert headings
    for heading in headings:
        assert re.match(r"\d+% confidence: \S", re.sub(r"<[^>]+>", "", heading)), heading


async def test_an_earlier_investigation_links_to_the_newer_one(web_org: WebOrg) -> None:
    # The incident changed and was investigated again: its first link (a Slack message before the
    # edit, the demo's print-out, a bookmark) showed the old causes and said nothing of the new.
    async with copied_map(web_org, "rebuilt-data") as (data_dir, store):
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        catalog = Catalog(store)
        finder = SimilarIncidentFinder(store, embedder, catalog=catalog)
        query = IncidentQuery(web_org.public.id)
        newer = await build_investigation(query, Collaborators(store, finder, catalog), OWNER_VIEWER)
        await save(store, newer, trigger="webhook")
        async with signed_in_reader(web_org, data_dir, store, embedder) as client:
            earlier = (await client.get(f"/ui/investigations/{web_org.public_investigation}")).text
            assert f"This is an earlier investigation of {web_org.public_ref}" in earlier
            # By the incident's reference: the latest investigation of INC-30, whichever build it is.
            assert f'<a href="/ui/incidents/{web_org.public_ref}/investigation">read the latest' in earlier
            latest = (await client.get(f"/ui/investigations/{quote(newer.id, safe='')}")).text
            assert 'id="superseded"' not in latest
            assert 'id="closed"' not in latest
            # The home page lists the incident once, by its latest build, and counts the earlier.
            home = (await client.get("/ui/")).text
            assert home.count(f'href="/ui/incidents/{web_org.public_ref}/investigation"') == 1
            assert home.count(f"{web_org.public_ref}: ") == 1
            assert "(1 earlier build)" in home
            # Closed with its incident: the page says so, from the API's own answer.
            closed_at = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
            assert await StoreInvestigationCloser(store, clock=lambda: closed_at)(web_org.public.id)
            closed = (await client.get(f"/ui/investigations/{quote(newer.id, safe='')}")).text
            assert f"This investigation was closed with {web_org.public_ref}" in closed
            assert '<time datetime="2026-12-04T09:30:00+00:00">' in closed


async def test_an_open_incident_says_its_cause_and_fix_are_not_known_yet(web_org: WebOrg) -> None:
    # A responder opening a live incident read "Root cause: not recorded; Resolved by: not
    # recorded", as if it were over and nobody had written them down.
    async with copied_map(web_org, "open-incident-data") as (data_dir, store):
        props = {"reference": "INC-900", "name": "Checkout slow", "status": "Investigating"}
        declared = datetime.now(UTC) - timedelta(minutes=10)
        await store.upsert_nodes(
            [
                Node("open-900", "Incident", {**props, "status_category": "live"}, declared),
                Node(
                    "over-901",
                    "Incident",
                    {**props, "reference": "INC-901", "status_category": "closed"},
                    declared,
                ),
            ]
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            live = _section((await client.get("/ui/incidents/INC-900")).text, "postmortem")
            assert "<dt>Root cause</dt><dd>not known yet: the incident is still open" in live
            assert "<dt>Resolved by</dt><dd>not yet: the incident is still open" in live
            assert "not recorded" not in live
            # No post-mortem: the section was headed "Post-mortem" all the same.
            assert '<h2 id="lesson-h">Cause and fix</h2>' in live
            # Over and never written up: that is "not recorded".
            over = _section((await client.get("/ui/incidents/INC-901")).text, "postmortem")
            assert "<dt>Resolved by</dt><dd>not recorded" in over


async def test_a_service_whose_name_holds_a_slash_has_a_page(web_org: WebOrg) -> None:
    # The server decodes the link's %2F into a path separator before routing: the page of
    # "payments/api" answered "There is no page at /ui/services/payments/api".
    async with copied_map(web_org, "slashed-data") as (data_dir, store):
        await store.upsert_nodes([Node("svc-slashed", "Service", {"name": "payments/api"})])
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        async with signed_in_reader(web_org, data_dir, store, embedder) as client:
            link = Links("http://testserver").service("payments/api").removeprefix("http://testserver")
            for path in (link, "/ui/services/payments/api", "/ui/services/svc-slashed"):
                response = await client.get(path)
                assert response.status_code == 200, path
                assert "<title>Service payments/api" in response.text, path


async def test_a_post_mortems_learnings_written_as_a_list_show_as_one(pages: Pages) -> None:
    # "* Rollback took longer ... * Canary analysis only looked at latency" showed as one run-on
    # line with its stars: the page writes text on one line.
    bearer = {"Authorization": f"Bearer {pages.org.private_token}"}
    listed = (await pages.client.get("/v1/incidents", params={"limit": 100}, headers=bearer)).json()["items"]
    learned = None
    for item in listed:
        sections = (await pages.client.get(f"/v1/incidents/{item['id']}/postmortem", headers=bearer)).json()
        texts = [s["text"] for pm in sections["postmortems"] for s in pm["sections"]]
        if any("> Lessons\n\n* " in text and text.count("\n* ") >= 2 for text in texts):
            learned = item["properties"]["reference"]
            break
    assert learned is not None, "the generated organisation has a post-mortem with a list of lessons"
    await pages.sign_in(pages.org.private_token)
    lesson = _section((await pages.client.get(f"/ui/incidents/{learned}")).text, "postmortem")
    assert '<h2 id="lesson-h">Post-mortem</h2>' in lesson
    learnings = lesson[lesson.index("<dt>Learnings</dt>") :]
    assert learnings.startswith("<dt>Learnings</dt><dd><ul><li>")
    assert "* " not in learnings


async def test_a_refused_token_is_told_why_as_the_api_tells_it(web_org: WebOrg) -> None:
    # "unknown, revoked or expired. Check it and try again" sent the holder of an expired token
    # to check its spelling; the API's 401 says which, and so does the form now.
    async with copied_map(web_org, "refused-tokens-data") as (data_dir, store):
        tokens = TokenRegistry(store)
        revoked = await tokens.create(["read"], name="gone")
        await tokens.revoke("gone")
        # Issued yesterday, for an hour.
        yesterday = datetime.now(UTC) - timedelta(days=1)
        expired = await TokenRegistry(store, clock=lambda: yesterday).create(
            ["read"], name="old", expires_at=yesterday + timedelta(hours=1)
        )
        async with signed_in_reader(web_org, data_dir, store, HashEmbedder(dimensions=DIMENSIONS)) as client:
            said = {}
            for name, secret in {
                "revoked": revoked.secret,
                "expired": expired.secret,
                "unknown": "prec_" + "x" * 43,
                "malformed": "not-a-token",
            }.items():
                response = await Pages(client, web_org).sign_in(secret)
                assert response.status_code == 401, name
                said[name] = _alert(response.text)
    assert said["revoked"].startswith("That token was revoked: ask for a new one")
    assert said["expired"].startswith("That token has expired: ask for a new one")
    assert said["unknown"].startswith("That token is not one this map issued")
    assert said["malformed"].startswith("That is not a Precedent token")


def _alert(html: str) -> str:
    start = html.index('role="alert"')
    return html[html.index(">", start) + 1 : html.index("<", start)].strip()


async def test_the_home_page_gives_dates_not_only_how_long_ago(pages: Pages) -> None:
    # "last 3 d 4 h ago", its date only in a tooltip a phone cannot show, left the reader counting
    # back; each hotspot's last incident and each recent build gives its time, then how long ago.
    await pages.sign_in(pages.org.read_token)
    home = (await pages.client.get("/ui/")).text
    stamp = (
        r'<time class="when" datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>'
        r' <span class="ago">\([^<]+ ago\)</span>'
    )
    for section in ("hot-h", "recent-h"):
        items = re.findall(r"<li>.*?</li>", _section(home, section), re.S)
        assert items, section
        for item in items:
            assert re.search(stamp, item), item
