"""Every sub-route list pages like the top-level lists: ``limit`` + ``cursor`` -> ``next_cursor``.

On the sample export, with extra parts added so each list is longer than a page (several parts
sharing a timestamp, where a cursor on time alone would skip some), on both stores: walking the
pages gives the whole list in its order, once each; a cursor that is not one the API issued is a
400 problem+json; the OpenAPI document describes the parameters.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.model import Edge, Node

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
# Route -> the response's list field and how an item is identified.
LISTS = {
    "/v1/incidents/INC-1/updates": ("updates", lambda item: item["id"]),
    "/v1/incidents/INC-1/actions": ("actions", lambda item: item["id"]),
    "/v1/incidents/INC-1/follow-ups": ("follow_ups", lambda item: item["follow_up"]["id"]),
    "/v1/incidents/INC-1/postmortem": ("postmortems", lambda item: item["document"]["id"]),
    "/v1/incidents/INC-1/related": ("related", lambda item: item["incident"]["id"]),
    "/v1/services/payments-api/changes": ("items", lambda item: item["id"]),
}


async def _add_parts(api: Api) -> str:
    """Lengthen INC-1's lists and the team's; return the team's id."""
    [team] = [n async for n in api.store.scan_nodes(["Team"])]
    nodes: list[Node] = []
    edges: list[Edge] = []
    for n in range(5):
        # Pairs share an instant: the cursor's id part keeps their order and neither is lost.
        at = T + timedelta(minutes=n // 2)
        for label, edge, prefix in (
            ("IncidentUpdate", "HAS_UPDATE", "upd-x"),
            ("Action", "HAS_ACTION", "act-x"),
            ("Postmortem", "HAS_POSTMORTEM", "pm-x"),
        ):
            nodes.append(Node(f"{prefix}{n}", label, {"name": f"{prefix} {n}"}, occurred_at=at))
            edges.append(Edge("inc-1", edge, f"{prefix}{n}"))
        status = "completed" if n % 2 else "outstanding"
        nodes.append(Node(f"fu-x{n}", "FollowUp", {"title": f"fix {n}", "status": status}, occurred_at=at))
        edges.append(Edge("inc-1", "HAS_FOLLOW_UP", f"fu-x{n}"))
        nodes.append(
            Node(f"inc-x{n}", "Incident", {"name": f"older {n}", "reference": f"INC-X{n}"}, occurred_at=at)
        )
        edges.append(Edge("inc-1" if n % 2 else f"inc-x{n}", "RELATED_TO", f"inc-x{n}" if n % 2 else "inc-1"))
        nodes.append(Node(f"u-x{n}", "User", {"name": f"Member {n % 2}", "email": f"m{n}@example.com"}))
        edges.append(Edge(f"u-x{n}", "MEMBER_OF", team.id))
        nodes.append(Node(f"svc-x{n}", "Service", {"name": f"owned-{n % 2}"}))
        edges.append(Edge(f"svc-x{n}", "OWNED_BY", team.id))
    await api.store.upsert_nodes(nodes)
    await api.store.upsert_edges(edges)
    return team.id


async def _walk(api: Api, path: str, field: str, limit: int, **params: object) -> list[dict[str, object]]:
    headers = api.auth(api.tokens.private)
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await api.client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body[field]) <= limit
        items += body[field]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


async def _record_changes(api: Api) -> None:
    headers = api.auth(api.tokens.write)
    started = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    for n in range(7):
        # A release train: three changes at one instant, then one a minute.
        at = started + timedelta(minutes=max(0, n - 2))
        change = {"id": f"ci-{n}", "service": "payments-api", "kind": "deploy", "started_at": at.isoformat()}
        response = await api.client.post("/v1/changes", json=change, headers=headers)
        assert response.status_code == 202, response.text


async def test_each_incident_part_list_and_service_changes_page_without_repeat_or_gap(api: Api) -> None:
    await _add_parts(api)
    await _record_changes(api)
    for path, (field, ident) in LISTS.items():
        whole = await _walk(api, path, field, 100)
        assert len(whole) >= 5, path
        for limit in (1, 2, 3):
            paged = await _walk(api, path, field, limit)
            assert [ident(i) for i in paged] == [ident(i) for i in whole], (path, limit)
        assert len({ident(i) for i in whole}) == len(whole), path


async def test_follow_ups_count_every_open_one_whatever_the_page(api: Api) -> None:
    await _add_parts(api)
    headers = api.auth(api.tokens.private)
    whole = (await api.client.get("/v1/incidents/INC-1/follow-ups", headers=headers)).json()
    page = (
        await api.client.get("/v1/incidents/INC-1/follow-ups", params={"limit": 1}, headers=headers)
    ).json()
    assert page["open"] == whole["open"] == sum(f["open"] for f in whole["follow_ups"])
    flags = [f["open"] for f in whole["follow_ups"]]
    assert flags == sorted(flags, reverse=True)  # open ones first


async def test_a_teams_members_and_services_page_by_name(api: Api) -> None:
    team = await _add_parts(api)
    detail = (await api.client.get(f"/v1/teams/{team}", headers=api.auth(api.tokens.read))).json()
    for route, field in (("members", "members"), ("services", "services")):
        whole = await _walk(api, f"/v1/teams/{team}/{route}", "items", 100)
        assert [i["id"] for i in whole] == [i["id"] for i in detail[field]]
        assert [(str(i["name"]).casefold(), i["id"]) for i in whole] == sorted(
            (str(i["name"]).casefold(), i["id"]) for i in whole
        )
        assert len(whole) >= 5
        assert [i["id"] for i in await _walk(api, f"/v1/teams/{team}/{route}", "items", 2)] == [
            i["id"] for i in whole
        ]
    missing = await api.client.get("/v1/teams/nobody/members", headers=api.auth(api.tokens.read))
    assert missing.status_code == 404


async def test_a_cursor_the_api_did_not_issue_is_a_400_problem(api: Api) -> None:
    team = await _add_parts(api)
    headers = api.auth(api.tokens.read)
    paths = [*LISTS, f"/v1/teams/{team}/members", f"/v1/teams/{team}/services"]
    for path in paths:
        for cursor in ("nonsense", "WyJhIl0", "WzEsMiwzLDQsNSw2XQ"):
            response = await api.client.get(path, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 400, (path, cursor, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "next_cursor" in response.json()["detail"]
        too_big = await api.client.get(path, params={"limit": 10_000}, headers=headers)
        assert too_big.status_code == 400, path


def _rekeyed(cursor: str, key: list[int | str]) -> str:
    """``cursor`` with another key, still bound to the query that issued it."""
    digest = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[0]
    return base64.urlsafe_b64encode(json.dumps([digest, *key]).encode()).decode().rstrip("=")


# (route, its query, token) that issued a cursor -> another query it must not page on.
ANOTHER_QUERY = [
    (("/v1/incidents", {}, "read"), ("/v1/incidents", {"declared_after": "2000-01-01T00:00:00Z"}, "read")),
    (("/v1/incidents", {}, "read"), ("/v1/incidents", {}, "private")),
    (("/v1/incidents/INC-1/updates", {}, "read"), ("/v1/incidents/INC-1/actions", {}, "read")),
    (("/v1/services", {}, "read"), ("/v1/services", {"q": "a"}, "read")),
    (
        ("/v1/services/payments-api/changes", {}, "read"),
        ("/v1/services/payments-api/changes", {"since_hours": 24}, "read"),
    ),
    (("/v1/teams/{team}/members", {}, "read"), ("/v1/teams/{team}/services", {}, "read")),
]


@pytest.mark.parametrize(("issued_by", "reused_on"), ANOTHER_QUERY)
async def test_a_cursor_used_with_another_query_is_a_400_saying_to_start_again(
    api: Api, issued_by: tuple[str, dict[str, str], str], reused_on: tuple[str, dict[str, str], str]
) -> None:
    # It carried only its sort key, so it silently paged on under the other filters.
    team = await _add_parts(api)
    await _record_changes(api)
    path, params, token = issued_by
    first = await api.client.get(
        path.format(team=team), params={**params, "limit": 1}, headers=api.auth(getattr(api.tokens, token))
    )
    cursor = first.json()["next_cursor"]
    assert cursor is not None, first.text
    again = await api.client.get(
        path.format(team=team),
        params={**params, "cursor": cursor},
        headers=api.auth(getattr(api.tokens, token)),
    )
    assert again.status_code == 200, again.text
    path, params, token = reused_on
    other = await api.client.get(
        path.format(team=team),
        params={**params, "cursor": cursor},
        headers=api.auth(getattr(api.tokens, token)),
    )
    assert other.status_code == 400, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "leave cursor out to start again" in other.json()["detail"]


# A filter, then the same filter spelled another way: the same list, which a cursor pages on.
SPELLED_ANOTHER_WAY = [
    ("/v1/incidents", {"service": "payments-api"}, [{"service": "PAYMENTS-API"}, {"service": "{service}"}]),
    (
        "/v1/incidents",
        {"team": "Payments"},
        [{"team": "payments"}, {"team": "{team}"}, {"team": "payments-team"}],
    ),
    (
        "/v1/incidents",
        {"service": "payments-api", "severity": "Minor"},
        [{"service": "{service}", "severity": "minor"}],
    ),
    ("/v1/services", {"team": "Payments"}, [{"team": "{team}"}, {"team": "PAYMENTS-TEAM"}]),
    ("/v1/services", {"q": "owned"}, [{"q": "OWNED"}]),
    ("/v1/teams/Payments/members", {}, [{"path": "/v1/teams/{team}/members"}]),
    ("/v1/teams/{team}/services", {}, [{"path": "/v1/teams/payments-team/services"}]),
]


@pytest.mark.parametrize(("path", "params", "spellings"), SPELLED_ANOTHER_WAY)
async def test_a_cursor_pages_on_when_the_same_filter_is_spelled_another_way(
    api: Api, path: str, params: dict[str, str], spellings: list[dict[str, str]]
) -> None:
    # It was bound to the filters as typed: `service=PAYMENTS-API` (or its id) on the next page
    # was refused as "another query", though it names the same service and lists the same items.
    team = await _add_parts(api)
    [service] = [
        n async for n in api.store.scan_nodes(["Service"]) if n.properties.get("name") == "payments-api"
    ]
    # More of its incidents than a page holds, of one severity.
    added = await api.store.get_nodes([f"inc-x{n}" for n in range(5)])
    await api.store.upsert_nodes(
        [replace(n, properties={**n.properties, "severity": "Minor"}) for n in added]
    )
    await api.store.upsert_edges([Edge(n.id, "AFFECTS", service.id) for n in added])
    headers = api.auth(api.tokens.read)
    ids = {"team": team, "service": service.id}
    first = await api.client.get(path.format(**ids), params={**params, "limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    assert cursor is not None, first.text
    asked = await api.client.get(
        path.format(**ids), params={**params, "limit": 2, "cursor": cursor}, headers=headers
    )
    assert asked.status_code == 200, asked.text
    for spelled in spellings:
        other_path = spelled.get("path", path).format(**ids)
        other = {k: v.format(**ids) for k, v in spelled.items() if k != "path"}
        again = await api.client.get(
            other_path, params={**other, "limit": 2, "cursor": cursor}, headers=headers
        )
        assert again.status_code == 200, (spelled, again.text)
        assert again.json() == asked.json(), spelled


async def test_a_cursor_holding_a_time_no_clock_reaches_is_a_400_problem(api: Api) -> None:
    # A forged key of the right types, but microseconds beyond year 9999: a 400, never a 500.
    await _add_parts(api)
    await _record_changes(api)
    [service] = [
        n async for n in api.store.scan_nodes(["Service"]) if n.properties.get("name") == "payments-api"
    ]
    await api.store.upsert_edges([Edge("inc-x0", "AFFECTS", service.id)])  # a second page
    headers = api.auth(api.tokens.read)
    paths = ["/v1/incidents", "/v1/services/payments-api/incidents", "/v1/services/payments-api/changes"]
    for path in paths:
        issued = (await api.client.get(path, params={"limit": 1}, headers=headers)).json()["next_cursor"]
        assert issued is not None, path
        for key in ([10**20, "x"], [-(10**20), "x"]):
            response = await api.client.get(path, params={"cursor": _rekeyed(issued, key)}, headers=headers)
            assert response.status_code == 400, (path, key, response.text)
            assert "next_cursor" in response.json()["detail"]


async def test_the_openapi_document_describes_paging_on_every_sub_list(api: Api) -> None:
    paths = (await api.client.get("/schema/openapi.json")).json()["paths"]
    routes = [
        "/v1/incidents/{incident}/updates",
        "/v1/incidents/{incident}/actions",
        "/v1/incidents/{incident}/follow-ups",
        "/v1/incidents/{incident}/postmortem",
        "/v1/incidents/{incident}/related",
        "/v1/services/{service}/changes",
        "/v1/teams/{team}/members",
        "/v1/teams/{team}/services",
    ]
    for route in routes:
        operation = paths[route]["get"]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert {"limit", "cursor"} <= names, route
        assert "400" in operation["responses"], route
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in schema, route
