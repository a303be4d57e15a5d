"""The teams and users routes on a generated organisation, on both stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.generated_org import generated_export, org_api
from tests.api.test_services import collect, name, newest_first

if TYPE_CHECKING:
    from precedent.model import Node
    from tests.api.generated_org import OrgApi, Raw

__all__ = ["generated_export", "org_api"]  # fixtures used here

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)


def led_by(raw: Raw, user_id: str, *, private: bool, role: str = "lead") -> list[Node]:
    found = [
        raw.nodes[e.source]
        for e in raw.typed("ROLE_HELD_BY")
        if e.target == user_id and role in str(e.properties.get("role", "")).lower()
    ]
    return [n for n in found if private or n.visibility == "public"]


async def test_teams_list_and_a_team_page(org_api: OrgApi) -> None:
    raw = org_api.raw
    teams = raw.of("Team")
    listed = await collect(org_api, "/v1/teams", org_api.tokens.read, 3)
    assert [t["id"] for t in listed] == [
        n.id for n in sorted(teams, key=lambda n: (name(n).casefold(), n.id))
    ]
    for item in listed:
        assert item["members"] == sum(e.target == item["id"] for e in raw.typed("MEMBER_OF"))
        assert item["services"] == sum(
            e.target == item["id"] and raw.nodes[e.source].label == "Service" for e in raw.typed("OWNED_BY")
        )
    first = name(teams[0])
    assert [
        t["name"] for t in await collect(org_api, "/v1/teams", org_api.tokens.read, 50, q=first[1:].upper())
    ] == [
        name(n)
        for n in sorted(teams, key=lambda n: (name(n).casefold(), n.id))
        if first[1:].lower() in name(n).lower()
    ]

    team = max(teams, key=lambda n: (sum(e.target == n.id for e in raw.typed("MEMBER_OF")), n.id))
    for key in (team.id, name(team), str(team.properties.get("external_id", team.id))):
        response = await org_api.get(f"/v1/teams/{key}", org_api.tokens.read)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == team.id
    assert {m["id"] for m in body["members"]} == {
        e.source for e in raw.typed("MEMBER_OF") if e.target == team.id
    }
    assert {(s["id"], s["label"]) for s in body["services"]} == {
        (e.source, raw.nodes[e.source].label)
        for e in raw.typed("OWNED_BY")
        if e.target == team.id and raw.nodes[e.source].label in {"Service", "CatalogEntry"}
    }
    schedules = {e.target for e in raw.typed("HAS_SCHEDULE") if e.source == team.id}
    schedules |= {
        e.source
        for e in raw.typed("OWNED_BY")
        if e.target == team.id and raw.nodes[e.source].label == "Schedule"
    }
    assert schedules, "the generated teams have on-call schedules"
    assert {s["id"] for s in body["schedules"]} == schedules

    missing = await org_api.get("/v1/teams/no-such-team", org_api.tokens.read)
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("team 'no-such-team' not found; name it by id, name")


async def test_a_team_says_who_is_on_call_and_its_recent_incidents_as_the_viewer_may_see_them(
    org_api: OrgApi,
) -> None:
    raw = org_api.raw
    # The team owning what the newest private incident affected: it has one a reader may not see.
    private = max(
        (n for n in raw.of("Incident") if n.visibility == "private"), key=lambda n: (n.occurred_at, n.id)
    )
    affected = {e.target for e in raw.typed("AFFECTS") if e.source == private.id}
    team = min(e.target for e in raw.typed("OWNED_BY") if e.source in affected and e.target in raw.nodes)
    seen: dict[bool, set[str]] = {}
    for token, can_see_private in ((org_api.tokens.read, False), (org_api.tokens.private, True)):
        body = (await org_api.get(f"/v1/teams/{team}", token)).json()
        # The team's incidents as /v1/incidents?team= lists them, for the same viewer.
        listed = (await org_api.get("/v1/incidents", token, team=team, limit=10)).json()["items"]
        assert [i["id"] for i in body["recent_incidents"]] == [i["id"] for i in listed]
        assert all(i["text"] is None for i in body["recent_incidents"])
        seen[can_see_private] = {i["id"] for i in body["recent_incidents"]}
        # Which of what the team owns each incident hit, by name.
        owned = {e.source for e in raw.typed("OWNED_BY") if e.target == team}
        for incident in body["recent_incidents"]:
            hit = {e.target for e in raw.typed("AFFECTS") if e.source == incident["id"]} & owned
            assert [s["id"] for s in incident["team_services"]] == [
                n.id for n in sorted((raw.nodes[i] for i in hit), key=lambda n: (name(n).casefold(), n.id))
            ]
        assert any(i["team_services"] for i in body["recent_incidents"])
        assert (private.id in seen[can_see_private]) == can_see_private
        follow_ups = {f["incident_id"] for f in body["open_follow_ups"]}
        assert all(can_see_private or raw.nodes[i].visibility == "public" for i in follow_ups)
        assert all(f["id"] for f in body["open_follow_ups"])
        # Who is on call on its schedules now, saying where the entries came from (an export).
        assert body["on_call"], body
        assert {o["team"] for o in body["on_call"]} == {name(raw.nodes[team])}
        assert {o["source"] for o in body["on_call"]} == {"export"}
    assert seen[False] < seen[True]


async def test_a_user_their_teams_and_the_incidents_they_led(org_api: OrgApi) -> None:
    raw = org_api.raw
    # Someone who led a private incident: what a `read` token sees of them leaves it out.
    lead = min(
        e.target
        for e in raw.typed("ROLE_HELD_BY")
        if raw.nodes[e.source].visibility == "private" and "lead" in str(e.properties.get("role", "")).lower()
    )
    user = raw.nodes[lead]
    for token, private in ((org_api.tokens.read, False), (org_api.tokens.private, True)):
        for key in (user.id, str(user.properties["email"]).upper()):
            response = await org_api.get(f"/v1/users/{key}", token)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["id"] == user.id
        led = newest_first(led_by(raw, user.id, private=private))
        assert body["incidents_led"] == len(led)
        assert [i["id"] for i in body["recent_led"]] == led[:5]
        assert {t["id"] for t in body["teams"]} == {
            e.target for e in raw.typed("MEMBER_OF") if e.source == user.id
        }
        paged = await collect(org_api, f"/v1/users/{user.id}/incidents", token, 2, role="lead")
        assert [i["id"] for i in paged] == led
        assert all(any("lead" in r.lower() for r in i["roles"]) for i in paged)  # type: ignore[attr-defined, union-attr]
        every = await collect(org_api, f"/v1/users/{user.id}/incidents", token, 5)
        involved = {e.source for e in raw.typed("ROLE_HELD_BY") if e.target == user.id}
        involved |= {e.source for e in raw.typed("REPORTED_BY") if e.target == user.id}
        visible = [raw.nodes[i] for i in involved if private or raw.nodes[i].visibility == "public"]
        assert [i["id"] for i in every] == newest_first(visible)
    public = (await org_api.get(f"/v1/users/{user.id}", org_api.tokens.read)).json()
    everything = (await org_api.get(f"/v1/users/{user.id}", org_api.tokens.private)).json()
    assert public["incidents_led"] < everything["incidents_led"]

    missing = await org_api.get("/v1/users/nobody@example.com", org_api.tokens.read)
    assert missing.status_code == 404
    assert "user 'nobody@example.com' not found" in missing.json()["detail"]


async def test_every_team_and_user_route_needs_a_valid_read_token(org_api: OrgApi) -> None:
    team = name(org_api.raw.of("Team")[0])
    user = org_api.raw.of("User")[0].id
    for path in ("/v1/teams", f"/v1/teams/{team}", f"/v1/users/{user}", f"/v1/users/{user}/incidents"):
        assert (await org_api.client.get(path)).status_code == 401, path
        forbidden = await org_api.get(path, org_api.tokens.write)
        assert forbidden.status_code == 403, path
        assert "'read'" in forbidden.json()["detail"]
        for refused in (org_api.tokens.revoked, org_api.tokens.expired):
            assert (await org_api.get(path, refused)).status_code == 401, path
        assert (await org_api.get(path, org_api.tokens.read)).status_code == 200, path
    bad = await org_api.get("/v1/teams", org_api.tokens.read, cursor="WyJhIl0")
    assert bad.status_code == 400
