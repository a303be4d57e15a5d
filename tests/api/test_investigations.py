"""The investigation and change routes end to end on the embedded store (hashing embedder: plumbing)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.investigation import get
from precedent.metrics import REGISTRY
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.store.embedded import EmbeddedStore
from precedent.webhooks import IncidentWriter, StoreInvestigationCloser
from tests.investigation.org import build_investigation_org
from tests.webhooks.test_channel_visibility import HiddenWhileBuilding, cited

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from litestar import Litestar

    from precedent.store import GraphStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def served(request: pytest.FixtureRequest, store: EmbeddedStore) -> GraphStore:
    """The map the app is given; parametrised with an incident's id, the map on which another
    process makes that incident private as the first investigation is stored."""
    made_private: str | None = getattr(request, "param", None)
    return cast("GraphStore", HiddenWhileBuilding(store, made_private)) if made_private else store


@pytest.fixture
async def client(
    tmp_path: Path, store: EmbeddedStore, served: GraphStore
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    # A public caller that may post change events: read (no private incidents) and write.
    token = (await TokenRegistry(store).create(["read", "write"], name="investigator")).secret
    app = create_app(Settings(data_dir=tmp_path, _env_file=None), store=served, embedder=embedder)  # type: ignore[call-arg]
    async with AsyncTestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


async def test_an_incident_investigation_is_built_once_then_served_from_the_map(
    client: AsyncTestClient[Litestar],
) -> None:
    first = await client.get("/v1/incidents/INC-20/investigation")
    assert first.status_code == 200
    body = first.json()
    assert body["incident"]["reference"] == "INC-20"
    assert body["hypotheses"][0]["kind"] == "change"
    assert body["hypotheses"][0]["evidence"][0]["id"] == "chg-planted"
    assert body["services"][0]["on_call"][0]["person"]["name"] == "Alice Example"
    assert len(body["summary_markdown"].splitlines()) <= 15
    again = (await client.get("/v1/incidents/inc-20/investigation")).json()
    assert again["id"] == body["id"]
    by_id = await client.get(f"/v1/investigations/{body['id']}")
    assert by_id.json() == body
    rebuilt = (await client.get("/v1/incidents/INC-20/investigation", params={"rebuild": "true"})).json()
    assert rebuilt["id"] != body["id"]


async def test_a_private_incident_is_not_found_for_a_public_caller(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/v1/incidents/INC-14/investigation")
    assert response.status_code == 404


async def test_post_a_described_incident_and_page_through_the_list(client: AsyncTestClient[Litestar]) -> None:
    body = {
        "name": "Checkout errors: database connection pool timeouts",
        "services": ["checkout"],
        "declared_at": "2024-01-15T09:00:00Z",
        "similar": 3,
    }
    created = await client.post("/v1/investigations", json=body)
    assert created.status_code == 201
    assert created.json()["hypotheses"][0]["evidence"][0]["id"] == "chg-planted"
    assert len(created.json()["similar"]) <= 3
    await client.get("/v1/incidents/INC-20/investigation", params={"rebuild": "true"})
    page = (await client.get("/v1/investigations", params={"limit": 1})).json()
    assert page["items"][0]["reference"] == "INC-20"  # newest first
    assert page["next_cursor"]
    rest = (await client.get("/v1/investigations", params={"cursor": page["next_cursor"]})).json()
    assert [i["name"] for i in rest["items"]] == [body["name"]]
    assert rest["next_cursor"] is None
    bad = await client.post("/v1/investigations", json={"summary": "no name"})
    assert bad.status_code == 400
    crowded = await client.post(
        "/v1/investigations", json={**body, "services": [f"s{i}" for i in range(101)]}
    )
    assert crowded.status_code == 400, crowded.text


async def test_a_blank_service_name_is_no_service_left_out(client: AsyncTestClient[Litestar]) -> None:
    # A form's empty field was kept as a service not in the map: the summary said "not in the
    # map, so left out: (check the name), (check the name)", naming nothing.
    body = {"name": "Checkout errors: database connection pool timeouts", "services": ["", "  ", "checkout"]}
    created = await client.post("/v1/investigations", json=body)
    assert created.status_code == 201, created.text
    incident = created.json()["incident"]
    assert incident["unknown_services"] == []
    assert incident["services_meant"] == {}
    assert incident["service_names"] == ["checkout"]
    assert "not in the map" not in created.json()["summary_markdown"]
    similar = await client.post("/v1/similar", json={**body, "services": [""]})
    assert similar.json()["query"]["unknown_services"] == []


async def test_a_cursor_the_list_did_not_issue_is_a_400(client: AsyncTestClient[Litestar]) -> None:
    # It used to be compared with the ids as it came: "zzz" answered an empty page, "a" every item.
    for cursor in ("zzz", "a", "inv:123:x"):
        response = await client.get("/v1/investigations", params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "next_cursor" in response.json()["detail"]


async def test_a_cursor_is_refused_to_a_caller_who_sees_other_builds(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    # What the listing holds (and draws again) is the viewer's: another's cursor pages another list.
    await client.get("/v1/incidents/INC-20/investigation")
    await client.post(
        "/v1/investigations", json={"name": "Checkout errors", "declared_at": "2024-01-15T09:00:00Z"}
    )
    cursor = (await client.get("/v1/investigations", params={"limit": 1})).json()["next_cursor"]
    assert cursor is not None
    private = (await TokenRegistry(store).create(["read:private"], name="private-reader")).secret
    other = await client.get(
        "/v1/investigations", params={"cursor": cursor}, headers={"Authorization": f"Bearer {private}"}
    )
    assert other.status_code == 400, other.text
    assert "leave cursor out to start again" in other.json()["detail"]


async def test_record_a_change_idempotently_and_list_it(client: AsyncTestClient[Litestar]) -> None:
    change = {
        "service": "payments-api",
        "kind": "deploy",
        "version": "7.0.0",
        "started_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "author": "ci",
        "id": "gha-123",
    }
    first = await client.post("/v1/changes", json=change)
    assert first.status_code == 202
    assert first.json()["id"] == "change:gha-123"
    assert first.json()["linked"] is True
    assert first.json()["created"] is True
    again = await client.post("/v1/changes", json={**change, "summary": "retried"})
    assert again.json()["created"] is False
    listed = await client.get("/v1/services/payments-api/changes", params={"since_hours": 24 * 365})
    found = [c for c in listed.json()["items"] if c["id"] == "change:gha-123"]
    assert found[0]["summary"] == "retried"
    assert found[0]["source"] == "api"


async def test_a_change_to_an_unknown_service_is_kept_and_listed_as_pending(
    client: AsyncTestClient[Litestar],
) -> None:
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await client.post(
        "/v1/changes", json={"service": "billing-v2", "kind": "config", "started_at": an_hour_ago}
    )
    assert response.status_code == 202
    assert response.json()["linked"] is False
    assert "next import or sync" in response.json()["message"]
    listed = (await client.get("/v1/services/billing-v2/changes")).json()
    assert listed["service_id"] is None
    assert [c["kind"] for c in listed["items"]] == ["config"]
    assert (await client.get("/v1/services/nowhere/changes")).status_code == 404
    # Within since_hours, as a service in the map: one recorded long ago is left out.
    old = {"service": "billing-v2", "kind": "deploy", "started_at": "2020-01-01T10:00:00Z"}
    assert (await client.post("/v1/changes", json=old)).status_code == 202
    recent = (await client.get("/v1/services/billing-v2/changes", params={"since_hours": 24})).json()
    assert [c["kind"] for c in recent["items"]] == ["config"]
    # The route's own bound (up to 500 a page), as for a service in the map, not another list's 100.
    assert (await client.get("/v1/services/billing-v2/changes", params={"limit": 325})).status_code == 200
    invalid = await client.post("/v1/changes", json={"service": "x", "kind": "party"})
    assert invalid.status_code == 400


async def test_a_change_to_a_misspelt_service_is_kept_and_names_the_services_meant(
    client: AsyncTestClient[Litestar],
) -> None:
    # Accepted with "no service yet" alone: CI passed, and that deploy never reached an investigation.
    for typed in ("paymnts-api", "payments"):
        response = await client.post("/v1/changes", json={"service": typed, "kind": "deploy"})
        assert response.status_code == 202
        body = response.json()
        assert (body["linked"], body["services_meant"][0]) == (False, "payments-api"), typed
        meant = ", ".join(body["services_meant"])
        assert f"did you mean {meant}? If so, record it again under that name." in body["message"]
    unlike = (await client.post("/v1/changes", json={"service": "billing-v2", "kind": "deploy"})).json()
    assert unlike["services_meant"] == []
    assert "did you mean" not in unlike["message"]


async def test_a_change_that_finished_before_it_started_is_refused(client: AsyncTestClient[Litestar]) -> None:
    times = {"started_at": "2026-01-01T10:00:00Z", "finished_at": "2026-01-01T09:00:00Z"}
    response = await client.post("/v1/changes", json={"service": "payments-api", "id": "swapped", **times})
    assert response.status_code == 400
    assert "finished_at" in response.json()["detail"]
    assert "swap them" in response.json()["detail"]
    listed = await client.get("/v1/services/payments-api/changes", params={"since_hours": 24 * 365})
    assert "change:swapped" not in {c["id"] for c in listed.json()["items"]}


async def test_a_whole_commit_message_is_kept_and_a_pasted_log_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    # The documented CI step sends the whole commit message: refusing a long one fails its curl -f.
    message = "Fix the retry loop\n\n" + "x" * 20_000
    kept = {"service": "payments-api", "id": "long-message", "summary": message}
    assert (await client.post("/v1/changes", json=kept)).status_code == 202
    listed = await client.get("/v1/services/payments-api/changes", params={"since_hours": 1})
    assert {c["id"]: c["summary"] for c in listed.json()["items"]}["change:long-message"] == message
    pasted = await client.post("/v1/changes", json={"service": "payments-api", "summary": "y" * 70_000})
    assert pasted.status_code == 400
    assert "65,536" in pasted.json()["detail"]


async def test_a_change_starting_more_than_a_day_ahead_is_refused(client: AsyncTestClient[Litestar]) -> None:
    # A mistyped year: kept, it headed payments-api's changes until 2099.
    future = await client.post(
        "/v1/changes", json={"service": "payments-api", "id": "far", "started_at": "2099-01-01T10:00:00Z"}
    )
    assert future.status_code == 400
    assert "leave started_at out" in future.json()["detail"]
    # A CI runner's clock a few hours ahead is no mistake.
    skewed = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    ahead = {"service": "payments-api", "id": "skewed", "started_at": skewed}
    assert (await client.post("/v1/changes", json=ahead)).status_code == 202
    listed = await client.get("/v1/services/payments-api/changes", params={"since_hours": 1})
    assert "change:far" not in {c["id"] for c in listed.json()["items"]}


async def test_the_openapi_schema_describes_the_new_routes(client: AsyncTestClient[Litestar]) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/v1/investigations", "/v1/changes", "/v1/services/{service}/changes"} <= set(paths)


async def test_building_and_storing_an_investigation_needs_the_write_scope(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    registry = TokenRegistry(store)
    reader = {"Authorization": f"Bearer {(await registry.create(['read'], name='reader')).secret}"}
    writer = {"Authorization": f"Bearer {(await registry.create(['write'], name='ci')).secret}"}
    body = {"name": "Checkout errors: database connection pool timeouts", "services": ["checkout"]}

    refused = await client.post("/v1/investigations", json=body, headers=reader)
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "'write' scope" in detail
    assert "precedent token create --scope read --scope write" in detail
    # A CI token that records changes can't read the map through this route either.
    blind = await client.post("/v1/investigations", json=body, headers=writer)
    assert blind.status_code == 403
    assert "'read' scope" in blind.json()["detail"]
    # Reading the stored one is a read; asking for a new one to be stored is a write.
    assert (await client.get("/v1/incidents/INC-20/investigation", headers=reader)).status_code == 200
    rebuild = await client.get("/v1/incidents/INC-20/investigation?rebuild=true", headers=reader)
    assert rebuild.status_code == 403
    assert "'write' scope" in rebuild.json()["detail"]
    listed = (await client.get("/v1/investigations", headers=reader)).json()["items"]
    assert [i["reference"] for i in listed] == ["INC-20"]  # the refused calls stored nothing

    assert (await client.post("/v1/investigations", json=body)).status_code == 201  # read and write


async def test_each_built_investigation_is_timed_in_the_metrics(client: AsyncTestClient[Litestar]) -> None:
    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(f"precedent_investigation_build_seconds_{name}") or 0.0

    count, total = sample("count"), sample("sum")
    built = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert sample("count") == count + 1
    assert sample("sum") - total == pytest.approx(built["build_ms"] / 1000, abs=0.001)
    await client.get("/v1/incidents/INC-20/investigation")  # served from the map: nothing built
    assert sample("count") == count + 1


async def test_a_stored_investigation_says_when_it_is_superseded_and_closed(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    # The page said "a newer investigation exists"; the API, which every other surface reads,
    # gave no sign of it, nor of the incident's close.
    first = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert (first["superseded_by"], first["closed_at"]) == (None, None)
    newer = (await client.get("/v1/incidents/INC-20/investigation", params={"rebuild": "true"})).json()
    earlier = (await client.get(f"/v1/investigations/{first['id']}")).json()
    assert earlier["superseded_by"] == newer["id"]
    assert earlier["superseded_by_href"] == f"/v1/investigations/{quote(newer['id'], safe='')}"
    assert earlier["superseded_at"] == newer["built_at"]
    assert (await client.get(earlier["superseded_by_href"])).json()["superseded_by"] is None
    closed_at = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert await StoreInvestigationCloser(store, clock=lambda: closed_at)(newer["incident"]["id"])
    latest = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert (latest["id"], latest["closed_at"]) == (newer["id"], "2026-12-04T09:30:00.000000Z")
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    described = next(s for s in schema.values() if "superseded_by" in s.get("properties", {}))
    assert {"superseded_by_href", "superseded_at", "closed_at"} <= set(described["properties"])


async def test_a_build_hidden_for_citing_an_incident_made_private_is_drawn_again_for_a_read_token(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    # Its Slack message, redrawn without the incident, links here: a 404 was all a read token got.
    built = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert "INC-31" in built["summary_markdown"]
    await IncidentWriter(store, HashEmbedder(dimensions=384)).hide("inc-31")

    by_id = await client.get(f"/v1/investigations/{built['id']}")

    assert by_id.status_code == 200
    shown = by_id.json()
    assert (shown["id"], shown["built_at"]) == (built["id"], built["built_at"])
    assert "inc-31" not in by_id.text
    assert "INC-31" not in by_id.text
    assert shown["superseded_by"] is None
    # The page the message links to, signed in with the same read token.
    form = await client.get("/ui/sign-in")
    token = client.headers["Authorization"].removeprefix("Bearer ")
    signed_in = await client.post(
        "/ui/sign-in",
        data={"token": token, "csrf": form.cookies["precedent_csrf"], "next": "/ui/"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = await client.get(f"/ui/investigations/{quote(built['id'], safe='')}")
    assert page.status_code == 200
    assert "INC-20" in page.text
    assert "INC-31" not in page.text
    latest = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert latest["id"] != built["id"]
    assert "INC-31" not in latest["summary_markdown"]


@pytest.mark.parametrize("served", ["inc-31"], indirect=True)
async def test_a_described_investigation_stored_hidden_is_answered_as_a_read_token_may_see_it(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    # INC-31, a recent checkout incident, is made private as the build that read it is stored.
    body = {
        "name": "Checkout slow page loads",
        "services": ["checkout"],
        "declared_at": "2024-01-15T09:05:00Z",
    }

    created = await client.post("/v1/investigations", json=body)

    assert created.status_code == 201
    stored = await get(store, created.json()["id"], OWNER_VIEWER)
    assert "inc-31" in cited(stored)  # read while it was public
    with pytest.raises(NotFound):
        await get(store, stored.id, PUBLIC_VIEWER)  # stored hidden
    assert "inc-31" not in created.text
    assert "INC-31" not in created.text
    assert created.json()["incident"]["name"] == body["name"]
    # Its id answers its caller as the POST did (a 404 when a described build could not be redrawn),
    # and the listing shows it so too.
    body_again = (await client.get(f"/v1/investigations/{stored.id}")).json()
    for field in ("id", "built_at", "incident", "hypotheses", "similar", "summary_markdown"):
        assert body_again[field] == created.json()[field], field
    listed = (await client.get("/v1/investigations")).json()["items"]
    assert [(i["id"], i["top_hypothesis"]) for i in listed] == [
        (stored.id, created.json()["hypotheses"][0]["statement"] if created.json()["hypotheses"] else None)
    ]


async def test_an_investigation_built_after_its_incident_closed_says_it_is_closed(
    client: AsyncTestClient[Litestar], store: EmbeddedStore
) -> None:
    # Built after the close, it had closed_at null and nothing else: it read as a live incident
    # over the API (and MCP), where only the page said "(now Closed)".
    live = (await client.get("/v1/incidents/INC-20/investigation")).json()
    assert live["incident_closed"] is False
    [incident] = await store.get_nodes([live["incident"]["id"]])
    closed = {**incident.properties, "status": "Closed", "status_category": "closed"}
    await store.upsert_nodes([dataclasses.replace(incident, properties=closed)])
    rebuilt = (await client.get("/v1/incidents/INC-20/investigation", params={"rebuild": "true"})).json()
    assert (rebuilt["incident_closed"], rebuilt["incident_status_now"]) == (True, "Closed")
    assert rebuilt["incident"]["status"] != "Closed"  # the status it was declared at


async def test_a_404_echoes_a_long_id_cut_short(client: AsyncTestClient[Litestar]) -> None:
    # A 5,000-character id came back whole in the message.
    response = await client.get(f"/v1/investigations/inv:{'x' * 5000}")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert f"'inv:{'x' * 96}… (5004 characters)' not found" in detail
    assert len(detail) < 500


def _page_links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


async def test_a_summary_links_under_the_public_url_of_the_process_answering(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    # Built by one process, read after a restart under another address: the links stored with it
    # were the first one's, dead once it had gone.
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    token = (await TokenRegistry(store).create(["read", "write"], name="reader")).secret

    def app(public_url: str) -> Litestar:
        settings = Settings(data_dir=tmp_path, public_url=public_url, _env_file=None)  # type: ignore[call-arg]
        return create_app(settings, store=store, embedder=embedder)

    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app("http://127.0.0.1:18931")) as first:
        built = (await first.get("/v1/incidents/INC-20/investigation", headers=headers)).json()
        assert all(t.startswith("http://127.0.0.1:18931/ui/") for t in _page_links(built["summary_markdown"]))
    async with AsyncTestClient(app("https://precedent.example.com")) as later:
        read = (await later.get(f"/v1/investigations/{built['id']}", headers=headers)).json()
        targets = _page_links(read["summary_markdown"])
        assert targets
        assert all(t.startswith("https://precedent.example.com/ui/") for t in targets), targets
        # The latest: its own page by its incident's reference, not its build id.
        assert "https://precedent.example.com/ui/incidents/INC-20/investigation" in targets
        assert not any("/ui/investigations/" in t for t in targets)

        rebuild = {"rebuild": "true"}
        await later.get("/v1/incidents/INC-20/investigation", params=rebuild, headers=headers)
        superseded = (await later.get(f"/v1/investigations/{built['id']}", headers=headers)).json()
    # Superseded, it links its own build: the incident's link shows the newer one now.
    page = f"https://precedent.example.com/ui/investigations/{quote(built['id'], safe='')}"
    assert page in _page_links(superseded["summary_markdown"])
