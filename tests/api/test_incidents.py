"""The incident family: the filtered list and one incident's parts, on both stores.

The sample export holds INC-1 (public, Critical, on payments-api) and INC-2 (private, Minor, on
the database), declared at the same moment; INC-1 links to INC-2.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.model import Edge, Node

if TYPE_CHECKING:
    from tests.api.conftest import Api

pytestmark = pytest.mark.parametrize("api_store", ["embedded_store", "neo4j_store"], indirect=True)

ROUTES = [
    "/v1/incidents",
    "/v1/incidents/INC-1/updates",
    "/v1/incidents/INC-1/postmortem",
    "/v1/incidents/INC-1/follow-ups",
    "/v1/incidents/INC-1/actions",
    "/v1/incidents/INC-1/related",
]


async def test_every_route_needs_a_live_token_with_read(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    for path in ROUTES:
        assert (await api.client.get(path)).status_code == 401, path
        for refused in (api.tokens.revoked, api.tokens.expired):
            assert (await api.client.get(path, headers=api.auth(refused))).status_code == 401, path
        forbidden = await api.client.get(path, headers=api.auth(api.tokens.write))
        assert forbidden.status_code == 403, path
        assert "read" in forbidden.json()["detail"]
        assert (await api.client.get(path, headers=api.auth(api.tokens.read))).status_code == 200, path


async def listed(api: Api, token: str, **params: str | int) -> list[str]:
    response = await api.client.get("/v1/incidents", params=params, headers=api.auth(token))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_private_incident_is_listed_and_readable_only_with_read_private(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    assert await listed(api, api.tokens.read) == ["inc-1"]
    assert await listed(api, api.tokens.private) == ["inc-1", "inc-2"]
    assert await listed(api, api.tokens.read, q="database connection pool") == []
    assert await listed(api, api.tokens.private, q="database connection pool") == ["inc-2"]
    assert await listed(api, api.tokens.read, service="database") == []
    for part in ("updates", "postmortem", "follow-ups", "actions", "related"):
        path = f"/v1/incidents/INC-2/{part}"
        hidden = await api.client.get(path, headers=api.auth(api.tokens.read))
        assert (hidden.status_code, hidden.json()["title"]) == (404, "NotFound"), path
        assert (await api.client.get(path, headers=api.auth(api.tokens.private))).status_code == 200, path
    # A public incident's link to a private one is not shown to a `read` token.
    related = "/v1/incidents/INC-1/related"
    public = (await api.client.get(related, headers=api.auth(api.tokens.read))).json()
    assert public["related"] == []
    private = (await api.client.get(related, headers=api.auth(api.tokens.private))).json()
    assert [(r["incident"]["id"], r["direction"]) for r in private["related"]] == [("inc-2", "out")]


async def test_q_lists_an_incident_named_by_its_reference(read_api: Api) -> None:
    # ?q=INC-1 listed nothing: the reference is not in the text the words are matched in.
    api = read_api  # it only reads: the map is imported once per store
    assert await listed(api, api.tokens.read, q="INC-1") == ["inc-1"]
    assert await listed(api, api.tokens.read, q="inc-2") == []  # private, read as public
    assert await listed(api, api.tokens.private, q="inc-2") == ["inc-2"]


async def test_filters_take_several_values_and_combine(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    token = api.tokens.private
    assert await listed(api, token, severity="Critical") == ["inc-1"]
    assert await listed(api, token, severity="Critical,Minor") == ["inc-1", "inc-2"]
    assert await listed(api, token, severity="Minor", status_category="closed,live") == ["inc-2"]
    assert await listed(api, token, severity="Critical", service="database") == []
    assert await listed(api, token, service="payments-api,database") == ["inc-1", "inc-2"]
    # Named in any case, as POST /v1/similar takes them; `severity=critical` listed nothing.
    assert await listed(api, token, severity="critical", status_category="LIVE,Closed") == ["inc-1"]
    for name, value in (("severity", "SEV1"), ("status", "No such status"), ("status_category", "nope")):
        refused = await api.client.get("/v1/incidents", params={name: value}, headers=api.auth(token))
        assert refused.status_code == 400, (name, refused.text)
        assert f"unknown {name} {value!r}: the map knows" in refused.json()["detail"]
    assert await listed(api, token, declared_before="2020-01-01T00:00:00Z") == []
    assert await listed(api, token, declared_after="2020-01-01T00:00:00Z") == ["inc-1", "inc-2"]
    unknown = await api.client.get("/v1/incidents", params={"service": "nope"}, headers=api.auth(token))
    assert unknown.status_code == 404
    assert "nope" in unknown.json()["detail"]


async def test_listed_incidents_leave_out_the_ingest_bookkeeping(read_api: Api) -> None:
    # The import stamps each node with the hash of what it read; it is no fact about the incident.
    listed_page = await read_api.client.get("/v1/incidents", headers=read_api.auth(read_api.tokens.read))
    properties = [item["properties"] for item in listed_page.json()["items"]]
    assert properties, "the sample export has a public incident"
    assert all("content_hash" not in p and "name" in p for p in properties)
    assert "content_hash" not in (await read_api.client.get("/schema/openapi.json")).text


async def test_pages_never_repeat_or_skip(api: Api) -> None:
    base = datetime(2000, 1, 1, tzinfo=UTC)  # older than the sample's two
    # Twelve more incidents, three to a moment so the id breaks ties; every fourth is private.
    extra = [
        Node(
            f"gen-{n:02d}",
            "Incident",
            {"severity": "Minor", "name": f"generated {n}"},
            occurred_at=base + timedelta(hours=n // 3),
            visibility="private" if n % 4 == 0 else "public",
        )
        for n in range(12)
    ]
    await api.store.upsert_nodes(extra)
    await api.store.upsert_edges([Edge(n.id, "AFFECTS", "svc-db") for n in extra])
    for token, service in (
        (api.tokens.read, None),
        (api.tokens.private, None),
        (api.tokens.private, "database"),
    ):
        want = sorted(
            (n for n in extra if token == api.tokens.private or n.visibility == "public"),
            key=lambda n: (-n.occurred_at.timestamp(), n.id),  # type: ignore[union-attr]
        )
        expected = (["inc-2"] if service else ["inc-1", "inc-2"]) + [n.id for n in want]
        if token == api.tokens.read:
            expected.remove("inc-2")
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 4, **({"service": service} if service else {})}
        while True:
            page = await api.client.get("/v1/incidents", params=params, headers=api.auth(token))
            assert page.status_code == 200, page.text
            body = page.json()
            seen += [item["id"] for item in body["items"]]
            if body["next_cursor"] is None:
                break
            params["cursor"] = body["next_cursor"]
        assert seen == expected


async def test_bad_paging_arguments_are_400_saying_what_to_do(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    headers = api.auth(api.tokens.read)
    bad_cursor = await api.client.get("/v1/incidents", params={"cursor": "nonsense"}, headers=headers)
    assert bad_cursor.status_code == 400
    assert "next_cursor" in bad_cursor.json()["detail"]
    assert (await api.client.get("/v1/incidents", params={"limit": 0}, headers=headers)).status_code == 400
    naive = await api.client.get(
        "/v1/incidents", params={"declared_after": "2026-01-01T00:00:00"}, headers=headers
    )
    assert naive.status_code == 400
    assert "time zone" in naive.json()["detail"]
    payments = {"service": "payments-api,database", "team": "Payments"}
    both = await api.client.get("/v1/incidents", params=payments, headers=api.auth(api.tokens.private))
    # The named services the team owns: payments-api, not the database.
    assert [item["id"] for item in both.json()["items"]] == ["inc-1"]


async def test_a_time_offset_sent_with_an_unescaped_plus_is_400_saying_to_escape_it(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    headers = api.auth(api.tokens.read)
    # curl 'localhost:8080/v1/incidents?declared_after=2020-01-01T12:00:00+02:00': the + is a space.
    spaced = await api.client.get("/v1/incidents?declared_after=2020-01-01T12:00:00+02:00", headers=headers)
    assert spaced.status_code == 400
    (error,) = spaced.json()["errors"]
    assert error["field"] == "declared_after"
    assert "write the offset as %2B" in error["message"]
    escaped_path = "/v1/incidents?declared_after=2020-01-01T12:00:00%2B02:00"
    escaped = await api.client.get(escaped_path, headers=headers)
    assert escaped.status_code == 200
    assert [item["id"] for item in escaped.json()["items"]] == ["inc-1"]
    other = await api.client.get("/v1/incidents?declared_after=yesterday", headers=headers)
    assert other.status_code == 400
    assert "%2B" not in other.json()["errors"][0]["message"]


async def test_the_parts_of_an_incident(read_api: Api) -> None:
    api = read_api  # it only reads: the map is imported once per store
    headers = api.auth(api.tokens.read)
    updates = (await api.client.get("/v1/incidents/INC-1/updates", headers=headers)).json()
    assert updates["incident_id"] == "inc-1"
    assert [u["id"] for u in updates["updates"]] == ["upd-1", "upd-2"]
    follow_ups = (await api.client.get("/v1/incidents/inc-1/follow-ups", headers=headers)).json()
    assert follow_ups["open"] == 1
    first = follow_ups["follow_ups"][0]
    assert (first["follow_up"]["id"], first["open"]) == ("fu-1", True)
    actions = (await api.client.get("/v1/incidents/INC-1/actions", headers=headers)).json()
    assert [a["id"] for a in actions["actions"]] == ["act-1"]
    postmortem = (await api.client.get("/v1/incidents/INC-1/postmortem", headers=headers)).json()
    [document] = postmortem["postmortems"]
    assert document["sections"]
    positions = [s["properties"].get("position", 0) for s in document["sections"]]
    assert positions == sorted(positions)
    missing = await api.client.get("/v1/incidents/INC-99/updates", headers=headers)
    assert missing.status_code == 404


async def test_a_team_filter_names_the_team_as_its_own_page_does(api: Api) -> None:
    """``?team=`` takes every name ``/v1/teams/{team}`` takes: an alias (or incident.io team id) too."""
    headers = api.auth(api.tokens.private)
    by_name = await api.client.get("/v1/incidents", params={"team": "Payments"}, headers=headers)
    expected = [item["id"] for item in by_name.json()["items"]]
    assert expected
    [team] = await api.store.find_nodes("Team", "Payments", fields=("name",))
    aliases = [*team.properties.get("aliases", []), "Money squad"]
    await api.store.upsert_nodes([replace(team, properties={**team.properties, "aliases": aliases})])
    page = await api.client.get("/v1/teams/Money squad", headers=headers)
    assert page.json().get("name") == "Payments", page.json()
    listed = await api.client.get("/v1/incidents", params={"team": "money SQUAD"}, headers=headers)
    assert listed.status_code == 200, listed.json()
    assert [item["id"] for item in listed.json()["items"]] == expected


async def test_a_service_named_in_part_is_404_suggesting_the_services_meant(read_api: Api) -> None:
    """ "payments" for payments-api: every route that names a service says which ones were meant."""
    api = read_api  # it only reads: the map is imported once per store
    headers = api.auth(api.tokens.read)
    for path, params in (
        ("/v1/services/payments", {}),
        ("/v1/services/payments/owners", {}),
        ("/v1/services/payments/changes", {}),
        ("/v1/services/payments/neighbourhood", {}),
        ("/v1/incidents", {"service": "payments"}),
        ("/v1/stats/incidents-per-week", {"service": "payments"}),
    ):
        missing = await api.client.get(path, params=params, headers=headers)
        assert missing.status_code == 404, (path, missing.json())
        detail = missing.json()["detail"]
        # The fixture's Payments team is named too: "payments" may have meant it.
        assert detail.startswith("service 'payments' not found; 'payments' is a team, not a service"), detail
        assert "did you mean payments-api? name it by id" in detail, detail
    # Words shared, not only a part of a name; an archived service is still one the map knows.
    for key, meant in (("payments api", "payments-api"), ("Billing", "legacy-billing")):
        answer = await api.client.get(f"/v1/services/{key}", headers=headers)
        assert f"did you mean {meant}? " in answer.json()["detail"], answer.json()
    nothing = await api.client.get("/v1/services/zzz", headers=headers)
    assert "did you mean" not in nothing.json()["detail"]


async def test_a_filter_naming_nothing_in_the_map_lists_its_field_in_errors(read_api: Api) -> None:
    # ?service=nope answered 404 with `errors: null`, where every other refusal naming its field
    # (?limit=0, ?severity=nope) lists it.
    headers = read_api.auth(read_api.tokens.read)
    for path, field, given in (
        ("/v1/incidents", "service", "payments"),
        ("/v1/incidents", "team", "no-such-team"),
        ("/v1/stats/incidents-per-week", "service", "payments"),
        ("/v1/services", "team", "no-such-team"),
    ):
        answer = await read_api.client.get(path, params={field: given}, headers=headers)
        body = answer.json()
        assert answer.status_code == 404, (path, body)
        assert body["title"] == "NotFound"
        assert body["errors"] == [{"field": field, "source": "query", "message": body["detail"]}], path
    meant = (
        await read_api.client.get("/v1/incidents", params={"service": "payments"}, headers=headers)
    ).json()
    assert "did you mean payments-api?" in meant["errors"][0]["message"]
    # A path names what it looks up: no field of the query's to list.
    path = await read_api.client.get("/v1/services/payments", headers=headers)
    assert path.status_code == 404
    assert path.json()["errors"] is None


async def test_a_described_incidents_unknown_services_carry_the_services_meant(read_api: Api) -> None:
    """POST /v1/similar keeps a service it does not know, and now says which ones were meant, as a
    404 for one service does: before, "payments" came back in unknown_services with no suggestion."""
    api = read_api
    body = {"name": "Card payments failing", "services": ["payments", "zzz", "database"]}
    answer = await api.client.post("/v1/similar", json=body, headers=api.auth(api.tokens.read))
    assert answer.status_code == 200, answer.json()
    query = answer.json()["query"]
    assert query["services"] == ["database"]
    assert query["unknown_services"] == ["payments", "zzz"]
    assert query["services_meant"] == {"payments": ["payments-api"], "zzz": []}
