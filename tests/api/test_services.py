"""The services and hotspots routes on a generated organisation, on both stores.

Expectations are computed from the map's raw nodes and edges (``Raw``), by the documented rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from tests.api.generated_org import generated_export, org_api

if TYPE_CHECKING:
    from precedent.model import Node
    from tests.api.generated_org import OrgApi, Raw

__all__ = ["generated_export", "org_api"]  # fixtures used here

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

OPEN = {"triage", "live", "active", "paused"}


def name(node: Node) -> str:
    return str(node.properties.get("name", node.id))


def newest_first(nodes: list[Node]) -> list[str]:
    return [n.id for n in sorted(nodes, key=lambda n: (-n.occurred_at.timestamp(), n.id))]  # type: ignore[union-attr]


def incidents_on(raw: Raw, service_id: str, *, private: bool) -> list[Node]:
    found = [raw.nodes[e.source] for e in raw.typed("AFFECTS") if e.target == service_id]
    return [n for n in found if n.label == "Incident" and (private or n.visibility == "public")]


def is_open(node: Node, now: datetime) -> bool:
    category = str(node.properties.get("status_category", "")).lower()
    return "resolved_at" not in node.properties and category in OPEN and node.occurred_at is not None


async def collect(
    api: OrgApi, path: str, token: str, limit: int, **params: object
) -> list[dict[str, object]]:
    """Every item of a paginated list, following ``next_cursor``."""
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(200):
        page_params = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await api.get(path, token, **page_params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


def service_with_private_incident(raw: Raw) -> str:
    return min(
        e.target
        for e in raw.typed("AFFECTS")
        if raw.nodes[e.source].visibility == "private" and raw.nodes[e.target].label == "Service"
    )


async def test_services_list_pages_by_name_and_filters(org_api: OrgApi) -> None:
    raw, token = org_api.raw, org_api.tokens.read
    services = raw.of("Service")
    expected = [n.id for n in sorted(services, key=lambda n: (name(n).casefold(), n.id))]
    listed = await collect(org_api, "/v1/services", token, 7)
    assert [s["id"] for s in listed] == expected

    owners = {}
    for edge in raw.typed("OWNED_BY"):
        if raw.nodes[edge.source].label == "Service":
            owners.setdefault(edge.target, set()).add(edge.source)
    team_id = max(owners, key=lambda t: (len(owners[t]), t))
    by_team = await collect(org_api, "/v1/services", token, 3, team=name(raw.nodes[team_id]))
    assert {s["id"] for s in by_team} == owners[team_id]
    assert all(team_id in {t["id"] for t in s["teams"]} for s in by_team)  # type: ignore[union-attr, attr-defined]

    tier = next(
        str(a) for n in services for a in n.properties.get("attributes", []) if str(a).startswith("tier: ")
    )  # type: ignore[union-attr]
    wanted = {n.id for n in services if tier in n.properties.get("attributes", [])}  # type: ignore[operator]
    by_tier = await collect(org_api, "/v1/services", token, 50, tier=tier.removeprefix("tier: ").upper())
    assert {s["id"] for s in by_tier} == wanted
    by_attribute = await collect(org_api, "/v1/services", token, 50, attribute=tier.replace(": ", ":"))
    assert {s["id"] for s in by_attribute} == wanted

    assert {s["id"] for s in await collect(org_api, "/v1/services", token, 50, q="GATEWAY")} == {
        n.id for n in services if "gateway" in name(n)
    }
    having = await collect(org_api, "/v1/services", token, 50, attribute="Description")
    assert {s["id"] for s in having} == {
        n.id
        for n in services
        if any(str(a).startswith("description: ") for a in n.properties.get("attributes", []))  # type: ignore[union-attr]
    }
    assert await collect(org_api, "/v1/services", token, 50, attribute="no-such-attribute") == []
    unknown_team = await org_api.get("/v1/services", token, team="no-such-team")
    assert unknown_team.status_code == 404
    assert "team 'no-such-team' not found" in unknown_team.json()["detail"]


async def test_a_service_has_its_catalog_entry_owners_and_counts(org_api: OrgApi) -> None:
    raw = org_api.raw
    depends = raw.typed("DEPENDS_ON")
    busiest = max(raw.of("Service"), key=lambda n: (sum(e.source == n.id for e in depends), n.id))
    for key in (busiest.id, name(busiest), name(busiest).upper()):
        response = await org_api.get(f"/v1/services/{key}", org_api.tokens.private)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["service"]["id"] == busiest.id
    assert body["depends_on"] == sum(e.source == busiest.id for e in depends)
    assert body["dependents"] == sum(e.target == busiest.id for e in depends)
    owning = {e.target for e in raw.typed("OWNED_BY") if e.source == busiest.id}
    assert {t["id"] for t in body["service"]["teams"]} == owning
    assert body["open_incidents"] == sum(
        is_open(n, org_api.now) for n in incidents_on(raw, busiest.id, private=True)
    )
    expected_attributes = dict(str(a).split(": ", 1) for a in busiest.properties.get("attributes", []))  # type: ignore[union-attr]
    assert body["service"]["attributes"] == expected_attributes

    missing = await org_api.get("/v1/services/no-such-service", org_api.tokens.read)
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("service 'no-such-service' not found; name it by id, name")


async def test_incidents_on_a_service_newest_first_private_only_for_read_private(org_api: OrgApi) -> None:
    raw = org_api.raw
    service_id = service_with_private_incident(raw)
    path = f"/v1/services/{service_id}/incidents"
    public = await collect(org_api, path, org_api.tokens.read, 2)
    assert [i["id"] for i in public] == newest_first(incidents_on(raw, service_id, private=False))
    everything = await collect(org_api, path, org_api.tokens.private, 3)
    assert [i["id"] for i in everything] == newest_first(incidents_on(raw, service_id, private=True))
    assert len(everything) > len(public)

    closed = await collect(org_api, path, org_api.tokens.private, 2, status="closed")
    assert [i["id"] for i in closed] == newest_first(
        [
            n
            for n in incidents_on(raw, service_id, private=True)
            if n.properties.get("status_category") == "closed"
        ]
    )
    detail = (await org_api.get(f"/v1/services/{service_id}", org_api.tokens.read)).json()
    hidden_open = sum(is_open(n, org_api.now) for n in incidents_on(raw, service_id, private=True))
    assert detail["open_incidents"] == sum(
        is_open(n, org_api.now) for n in incidents_on(raw, service_id, private=False)
    )
    assert detail["open_incidents"] <= hidden_open


async def test_a_status_the_map_does_not_know_is_a_400_naming_those_it_does(org_api: OrgApi) -> None:
    # It matched nothing: `?status=resolved` answered an empty page, read as "none resolved".
    path = f"/v1/services/{service_with_private_incident(org_api.raw)}/incidents"
    refused = await org_api.get(path, org_api.tokens.read, status="resolved")
    assert refused.status_code == 400, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("unknown status 'resolved': the map knows ")
    assert "'Closed'" in detail
    assert "'closed'" in detail
    assert "'open'" in detail
    for known in ("CLOSED", "Closed", "open", "live"):
        assert (await org_api.get(path, org_api.tokens.read, status=known)).status_code == 200


def reach(raw: Raw, origin: str, depth: int, *, forward: bool) -> dict[str, int]:
    hops = {origin: 0}
    frontier = {origin}
    for hop in range(1, depth + 1):
        frontier = {
            (e.target if forward else e.source)
            for e in raw.typed("DEPENDS_ON")
            if (e.source if forward else e.target) in frontier
        } - hops.keys()
        hops.update(dict.fromkeys(frontier, hop))
    del hops[origin]
    return hops


async def test_upstream_and_downstream_follow_depends_on_one_way(org_api: OrgApi) -> None:
    raw = org_api.raw
    services = raw.of("Service")
    middle = max(
        services,
        key=lambda n: (
            len(reach(raw, n.id, 1, forward=True)) * len(reach(raw, n.id, 1, forward=False)),
            n.id,
        ),
    )
    for direction, forward in (("upstream", True), ("downstream", False)):
        for depth in (1, 2, 3):
            items = await collect(
                org_api, f"/v1/services/{name(middle)}/{direction}", org_api.tokens.read, 2, depth=depth
            )
            expected = reach(raw, middle.id, depth, forward=forward)
            assert {i["id"]: i["hops"] for i in items} == expected
            assert [(i["hops"], str(i["name"]).casefold()) for i in items] == sorted(
                (i["hops"], str(i["name"]).casefold()) for i in items
            )
            assert {i["relation"] for i in items} <= {direction}
    too_deep = await org_api.get(f"/v1/services/{middle.id}/upstream", org_api.tokens.read, depth=4)
    assert too_deep.status_code == 400


async def test_owners_and_who_is_on_call_now(org_api: OrgApi) -> None:
    raw = org_api.raw
    service = next(
        n
        for n in sorted(raw.of("Service"), key=lambda n: n.id)
        if any(e.source == n.id for e in raw.typed("OWNED_BY"))
    )
    teams = {e.target for e in raw.typed("OWNED_BY") if e.source == service.id}
    owners = (await org_api.get(f"/v1/services/{service.id}/owners", org_api.tokens.read)).json()
    assert {t["id"] for t in owners["teams"]} == teams
    for team in owners["teams"]:
        members = {e.source for e in raw.typed("MEMBER_OF") if e.target == team["id"]}
        assert {m["id"] for m in team["members"]} == members

    schedules = {e.target for e in raw.typed("HAS_SCHEDULE") if e.source in teams | {service.id}}
    schedules |= {
        e.source
        for e in raw.typed("OWNED_BY")
        if e.target in teams and raw.nodes[e.source].label == "Schedule"
    }
    response = await org_api.get(f"/v1/services/{name(service)}/on-call", org_api.tokens.read)
    body = response.json()
    at = datetime.fromisoformat(body["at"])
    covering = {
        (e.target, e.source)
        for e in raw.typed("ON_CALL")
        if e.source in schedules
        and datetime.fromisoformat(str(e.properties["start_at"]))
        <= at
        < datetime.fromisoformat(str(e.properties["end_at"]))
    }
    assert covering, "the generated organisation has someone on call now"
    assert {(o["person"]["id"], o["schedule_id"]) for o in body["on_call"]} == covering
    assert {o["source"] for o in body["on_call"]} == {"export"}  # the map was imported, not synced


def week_start(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


async def test_hotspots_count_incidents_per_week_and_rank_services(org_api: OrgApi) -> None:
    raw = org_api.raw
    service_id = service_with_private_incident(raw)
    for token, private in ((org_api.tokens.read, False), (org_api.tokens.private, True)):
        body = (await org_api.get(f"/v1/services/{service_id}/hotspots", token, weeks=52)).json()
        since, until = datetime.fromisoformat(body["since"]), datetime.fromisoformat(body["until"])
        assert since == week_start(until) - timedelta(weeks=51)
        assert len(body["weeks"]) == 52
        within = [n for n in incidents_on(raw, service_id, private=private) if since <= n.occurred_at < until]  # type: ignore[operator]
        expected: dict[datetime, int] = {}
        for node in within:
            start = week_start(node.occurred_at)  # type: ignore[arg-type]
            expected[start] = expected.get(start, 0) + 1
        assert {
            datetime.fromisoformat(w["week_start"]): w["incidents"] for w in body["weeks"] if w["incidents"]
        } == expected
        assert body["total"] == len(within)

        ranked = await collect(org_api, "/v1/hotspots", token, 4, weeks=52)
        counts: dict[str, int] = {}
        for edge in raw.typed("AFFECTS"):
            node = raw.nodes[edge.source]
            visible = private or node.visibility == "public"
            if visible and raw.nodes[edge.target].label == "Service" and since <= node.occurred_at < until:  # type: ignore[operator]
                counts[edge.target] = counts.get(edge.target, 0) + 1
        order = sorted(counts, key=lambda s: (-counts[s], name(raw.nodes[s]).casefold(), s))
        assert [(h["service_id"], h["incidents"]) for h in ranked] == [(s, counts[s]) for s in order]
    bad = await org_api.get("/v1/hotspots", org_api.tokens.read, weeks=0)
    assert bad.status_code == 400


async def test_a_hotspots_cursor_is_refused_for_another_window(org_api: OrgApi) -> None:
    # Read with another `weeks`, a cursor's key cut another ranking: services skipped or repeated.
    first = (await org_api.get("/v1/hotspots", org_api.tokens.private, weeks=52, limit=1)).json()
    assert first["next_cursor"] is not None
    same = await org_api.get(
        "/v1/hotspots", org_api.tokens.private, weeks=52, limit=1, cursor=first["next_cursor"]
    )
    assert same.status_code == 200
    other = await org_api.get(
        "/v1/hotspots", org_api.tokens.private, weeks=4, limit=1, cursor=first["next_cursor"]
    )
    assert other.status_code == 400
    assert "leave cursor out to start again" in other.json()["detail"]


ROUTES = [
    "/v1/services",
    "/v1/services/{service}",
    "/v1/services/{service}/incidents",
    "/v1/services/{service}/upstream",
    "/v1/services/{service}/downstream",
    "/v1/services/{service}/owners",
    "/v1/services/{service}/on-call",
    "/v1/services/{service}/hotspots",
    "/v1/hotspots",
]


async def test_every_service_route_needs_a_valid_read_token(org_api: OrgApi) -> None:
    service = name(org_api.raw.of("Service")[0])
    for route in ROUTES:
        path = route.format(service=service)
        assert (await org_api.client.get(path)).status_code == 401, path
        forbidden = await org_api.get(path, org_api.tokens.write)
        assert forbidden.status_code == 403, path
        assert "'read'" in forbidden.json()["detail"]
        for refused in (org_api.tokens.revoked, org_api.tokens.expired):
            assert (await org_api.get(path, refused)).status_code == 401, path
        assert (await org_api.get(path, org_api.tokens.read)).status_code == 200, path
        if "{service}" in route:
            missing = await org_api.get(route.format(service="no-such-service"), org_api.tokens.read)
            assert missing.status_code == 404, path
            assert "service 'no-such-service' not found" in missing.json()["detail"]
        else:
            bad = await org_api.get(path, org_api.tokens.read, cursor="not-a-cursor")
            assert bad.status_code == 400, path
            assert "cursor" in bad.json()["detail"]
