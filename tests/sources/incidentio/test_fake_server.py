"""The fake incident.io API itself: spec-valid fixtures everywhere, loud failures, realistic rules."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from precedent.errors import SourceError
from tests.support.incidentio_fixtures import small_organisation
from tests.support.incidentio_routes import LISTINGS
from tests.support.incidentio_server import API_KEY, FakeIncidentIo
from tests.support.spec import SpecViolation


@pytest.fixture
def fake() -> FakeIncidentIo:
    return FakeIncidentIo()


def _show_paths(fake: FakeIncidentIo) -> list[str]:
    fx = fake.fixtures
    return [
        f"/v2/incidents/{fx.incidents[0]['id']}",
        f"/v1/postmortem_documents/{fx.postmortem_documents[0]['id']}",
        f"/v1/postmortem_documents/{fx.postmortem_documents[0]['id']}/content",
        f"/v2/follow_ups/{fx.follow_ups[0]['id']}",
        f"/v2/users/{fx.users[0]['id']}",
        f"/v2/schedules/{fx.schedules[0]['id']}",
        f"/v3/catalog_types/{fx.catalog_types[0]['id']}",
        f"/v3/catalog_entries/{fx.catalog_entries[0]['id']}",
        f"/v3/teams/{fx.teams[0]['id']}",
        "/v1/identity",
    ]


async def test_every_endpoint_serves_spec_valid_bodies(fake: FakeIncidentIo) -> None:
    fx = fake.fixtures
    parents = {
        "/v3/catalog_entries": [{"catalog_type_id": t["id"]} for t in fx.catalog_types],
        "/v1/incident_relationships": [{"incident_id": i["id"]} for i in fx.incidents],
        "/v1/custom_field_options": [{"custom_field_id": f["id"]} for f in fx.custom_fields],
    }
    async with fake.client() as client:
        for path in LISTINGS:
            for params in parents.get(path, [{}]):
                async for _page in client.paginate(path, params=params, page_size=2):
                    pass
        for path in _show_paths(fake):
            await client.get(path)
        for schedule in fx.schedules:
            async for _page in client.iter_schedule_entries(
                schedule["id"], datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
            ):
                pass
    # every 200 above was validated by the fake before serving; reaching here means all passed
    assert len(fake.requests) > len(LISTINGS)


def test_the_organisation_tells_a_coherent_story() -> None:
    fx = small_organisation()
    types = {t["name"]: t for t in fx.catalog_types}
    assert types["Service"]["categories"] == ["service"]
    assert types["Team"]["is_team_type"] is True
    owner_attr = next(a for a in types["Service"]["schema"]["attributes"] if a["name"] == "Owner")
    assert owner_attr["type"] == types["Team"]["type_name"]
    team_ids = {e["id"] for e in fx.catalog_entries if e["catalog_type_id"] == types["Team"]["id"]}
    services = [e for e in fx.catalog_entries if e["catalog_type_id"] == types["Service"]["id"]]
    assert len(services) == 4
    assert all(s["attribute_values"][owner_attr["id"]]["value"]["literal"] in team_ids for s in services)
    affected = next(f for f in fx.custom_fields if f["name"] == "Affected services")
    assert affected["catalog_type_id"] == types["Service"]["id"]
    service_ids = {s["id"] for s in services}
    for incident in fx.incidents:
        entry = next(e for e in incident["custom_field_entries"] if e["custom_field"]["id"] == affected["id"])
        assert {v["value_catalog_entry"]["id"] for v in entry["values"]} <= service_ids
    incident_ids = {i["id"] for i in fx.incidents}
    assert {u["incident_id"] for u in fx.incident_updates} == incident_ids
    assert {f["incident_id"] for f in fx.follow_ups} <= incident_ids
    assert set(fx.postmortem_content) == {d["id"] for d in fx.postmortem_documents}
    assert {t["catalog_entry"]["id"] for t in fx.teams} == team_ids
    assert all(len(entries) == 8 for entries in fx.schedule_entries.values())


async def test_an_off_spec_fixture_fails_loudly(fake: FakeIncidentIo) -> None:
    del fake.fixtures.severities[0]["rank"]
    async with fake.client() as client:
        with pytest.raises(SpecViolation, match="'rank' is a required property"):
            await client.get("/v1/severities")


async def test_drift_bodies_are_still_validated_against_the_rest_of_the_spec(fake: FakeIncidentIo) -> None:
    fake.fixtures.incidents[0]["reference"] = 123
    fake.drift("/v2/incidents")
    async with fake.client() as client:
        with pytest.raises(SpecViolation, match="not of type 'string'"):
            await client.get("/v2/incidents")


async def test_requests_need_the_bearer_key() -> None:
    fake = FakeIncidentIo()
    async with httpx.AsyncClient(
        base_url="https://api.incident.io", transport=httpx.MockTransport(fake)
    ) as http:
        response = await http.get("/v1/identity")
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_error"


async def test_catalog_entries_require_page_size_and_type(fake: FakeIncidentIo) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(
        base_url="https://api.incident.io", transport=httpx.MockTransport(fake), headers=headers
    ) as http:
        missing_size = await http.get("/v3/catalog_entries", params={"catalog_type_id": "x"})
        missing_type = await http.get("/v3/catalog_entries", params={"page_size": 25})
    assert missing_size.status_code == 422
    assert missing_size.json()["errors"][0]["source"]["field"] == "page_size"
    assert missing_type.status_code == 422


async def test_a_bad_cursor_is_a_validation_error(fake: FakeIncidentIo) -> None:
    async with fake.client() as client:
        with pytest.raises(SourceError, match="answered 422"):
            await client.get("/v2/incidents", {"after": "01JZZ999"})


async def test_incident_filters(fake: FakeIncidentIo) -> None:
    async with fake.client() as client:
        live = await client.get("/v2/incidents", {"status_category[one_of]": ["live"]})
        recent = await client.get("/v2/incidents", {"created_at[gte]": "2026-03-05"})
        oldest_first = await client.get("/v2/incidents", {"sort_by": "created_at_oldest_first"})
    assert sorted(i["reference"] for i in live["incidents"]) == ["INC-2", "INC-3"]  # type: ignore[attr-defined]
    assert [i["reference"] for i in recent["incidents"]] == ["INC-3", "INC-2"]  # type: ignore[attr-defined]
    assert [i["reference"] for i in oldest_first["incidents"]] == ["INC-1", "INC-2", "INC-3"]  # type: ignore[attr-defined]


async def test_requests_are_recorded(fake: FakeIncidentIo) -> None:
    async with fake.client() as client:
        await client.get("/v1/severities")
        await client.get("/v1/incident_statuses")
    assert fake.paths() == ["/v1/severities", "/v1/incident_statuses"]
