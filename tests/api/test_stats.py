"""Search, incident figures, the sync's state and the admin sync, on both stores; and the query guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.model import Edge, Node

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

READ_ROUTES = [
    "/v1/search?q=database",
    "/v1/stats/incidents-per-week",
    "/v1/stats/recurring",
    "/v1/stats/sync",
]


async def test_every_route_needs_a_live_token_with_its_scope(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    for path in [*READ_ROUTES, "/v1/admin/sync"]:
        assert (await api.client.get(path)).status_code == 401, path
        for refused in (api.tokens.revoked, api.tokens.expired):
            assert (await api.client.get(path, headers=api.auth(refused))).status_code == 401, path
    for path in READ_ROUTES:
        assert (await api.client.get(path, headers=api.auth(api.tokens.write))).status_code == 403, path
        assert (await api.client.get(path, headers=api.auth(api.tokens.read))).status_code == 200, path
    for token in (api.tokens.read, api.tokens.private):
        for method in ("GET", "POST"):
            refused = await api.client.request(method, "/v1/admin/sync", headers=api.auth(token))
            assert refused.status_code == 403
            assert "admin" in refused.json()["detail"]
    assert (await api.client.post("/v1/admin/sync")).status_code == 401


async def test_search_shows_a_private_incident_only_with_read_private(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    params = {"q": "database connection pool exhausted"}
    public = await api.client.get("/v1/search", params=params, headers=api.auth(api.tokens.read))
    assert public.status_code == 200
    assert not {h["node"]["id"] for h in public.json()["hits"]} & {"inc-2", "upd-3", "fu-2"}
    private = await api.client.get("/v1/search", params=params, headers=api.auth(api.tokens.private))
    assert "inc-2" in {h["node"]["id"] for h in private.json()["hits"]}
    only = await api.client.get(
        "/v1/search", params={**params, "kinds": "service"}, headers=api.auth(api.tokens.private)
    )
    assert {h["node"]["label"] for h in only.json()["hits"]} <= {"Service"}
    bad = await api.client.get(
        "/v1/search", params={**params, "kinds": "incidnet"}, headers=api.auth(api.tokens.read)
    )
    assert bad.status_code == 400
    assert "kinds" in bad.json()["detail"]


@pytest.mark.parametrize("kinds", ["incidnet", "incident,", "incident;service", "Incident"])
async def test_a_bad_search_kind_is_answered_with_the_allowed_kinds_in_words(
    read_api: Api, kinds: str
) -> None:
    # It answered litestar's "String should match pattern '^ *(incident|postmortem|...'".
    bad = await read_api.client.get(
        "/v1/search", params={"q": "database", "kinds": kinds}, headers=read_api.auth(read_api.tokens.read)
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    problem = bad.json()
    said = " ".join([problem["detail"], *(e["message"] for e in problem.get("errors") or [])])
    assert "pattern" not in said
    assert "^" not in said
    assert "kinds" in problem["detail"]
    assert "incident, postmortem, follow_up, service, update" in problem["detail"]


async def test_incidents_per_week_count_what_the_token_may_see(api: Api) -> None:
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    fresh = [
        Node("new-1", "Incident", {"name": "a"}, occurred_at=now - timedelta(minutes=5)),
        Node(
            "new-2", "Incident", {"name": "b"}, occurred_at=now - timedelta(minutes=5), visibility="private"
        ),
        Node("old-1", "Incident", {"name": "c"}, occurred_at=monday - timedelta(days=3)),
    ]
    await api.store.upsert_nodes(fresh)
    await api.store.upsert_edges([Edge("new-1", "AFFECTS", "svc-db"), Edge("new-2", "AFFECTS", "svc-db")])

    async def weeks(token: str, **params: str | int) -> list[int]:
        response = await api.client.get(
            "/v1/stats/incidents-per-week", params=params, headers=api.auth(token)
        )
        assert response.status_code == 200, response.text
        body = response.json()["weeks"]
        assert body[-1]["week_start"].startswith(monday.date().isoformat())
        return [week["incidents"] for week in body]

    assert await weeks(api.tokens.read, weeks=2) == [1, 1]
    assert await weeks(api.tokens.private, weeks=2) == [1, 2]
    assert await weeks(api.tokens.private, weeks=2, service="database") == [0, 2]
    assert await weeks(api.tokens.read, weeks=1, service="database") == [1]
    unknown = await api.client.get(
        "/v1/stats/incidents-per-week", params={"service": "nope"}, headers=api.auth(api.tokens.read)
    )
    assert unknown.status_code == 404


async def test_recurring_patterns_group_similar_incidents_per_service(api: Api) -> None:
    now = datetime.now(UTC)
    texts = ["Checkout database ran out of connections"] * 3 + ["Search index rebuild stuck"]
    vectors = await HashEmbedder(dimensions=384).embed(texts)
    incidents = [
        Node(
            f"rec-{i}",
            "Incident",
            {"name": text},
            occurred_at=now - timedelta(days=i + 1),
            visibility="private" if i == 2 else "public",
            text=text,
            embedding=vectors[i],
        )
        for i, text in enumerate(texts)
    ]
    follow_ups = [
        Node("rec-fu-open", "FollowUp", {"title": "Raise the pool limit", "status": "outstanding"}),
        Node("rec-fu-done", "FollowUp", {"title": "Alert on pool use", "status": "completed"}),
    ]
    await api.store.upsert_nodes([*incidents, *follow_ups])
    await api.store.upsert_edges(
        [Edge(n.id, "AFFECTS", "svc-db") for n in incidents]
        + [Edge("rec-0", "HAS_FOLLOW_UP", "rec-fu-open"), Edge("rec-1", "HAS_FOLLOW_UP", "rec-fu-done")]
    )

    async def patterns(token: str) -> list[dict[str, object]]:
        response = await api.client.get("/v1/stats/recurring", params={"days": 30}, headers=api.auth(token))
        assert response.status_code == 200, response.text
        return response.json()["patterns"]  # type: ignore[no-any-return]

    [public] = await patterns(api.tokens.read)
    assert public["service"]["id"] == "svc-db"  # type: ignore[index]
    assert [n["id"] for n in public["incidents"]] == ["rec-0", "rec-1"]  # type: ignore[attr-defined]
    assert [f["id"] for f in public["open_follow_ups"]] == ["rec-fu-open"]  # type: ignore[attr-defined]
    [private] = await patterns(api.tokens.private)
    assert [n["id"] for n in private["incidents"]] == ["rec-0", "rec-1", "rec-2"]  # type: ignore[index]


async def test_admin_sync_without_an_api_key_is_a_409_saying_what_to_do(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    response = await api.client.post("/v1/admin/sync", headers=api.auth(api.tokens.admin))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "PRECEDENT_INCIDENTIO_API_KEY" in response.json()["detail"]
    status = await api.client.get("/v1/admin/sync", headers=api.auth(api.tokens.admin))
    assert status.status_code == 200
    assert status.json()["running"] is False
    assert status.json()["last_report"] is None
    assert status.json()["counts_hidden"] is False
    private = await api.client.get("/v1/stats/sync", headers=api.auth(api.tokens.private))
    assert private.json() == status.json()
    read = (await api.client.get("/v1/stats/sync", headers=api.auth(api.tokens.read))).json()
    assert read == {**status.json(), "counts_hidden": True}


async def test_an_unknown_query_parameter_is_a_400_naming_it_and_the_accepted_ones(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    headers = api.auth(api.tokens.read)
    typo = await api.client.get("/v1/incidents", params={"statu": "Closed"}, headers=headers)
    assert typo.status_code == 400
    assert typo.headers["content-type"].startswith("application/problem+json")
    detail = typo.json()["detail"]
    assert "'statu'" in detail
    assert "status" in detail
    assert "cursor" in detail
    assert "store" not in detail
    for path in ("/v1/incidents/INC-1/updates", "/v1/stats", "/v1/search?q=x", "/v1/incidents/INC-1/similar"):
        refused = await api.client.get(path, params={"bogus": "1"}, headers=headers)
        assert refused.status_code == 400, path
        assert "bogus" in refused.json()["detail"]
    nameless = await api.client.get("/v1/investigations?=x&limit=1", headers=headers)
    assert nameless.status_code == 400, nameless.text
    fine = await api.client.get("/v1/incidents/INC-1/similar?limit=3", headers=headers)
    assert fine.status_code == 200, fine.text
