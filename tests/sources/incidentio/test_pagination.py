"""Cursor pagination: many pages, page-size caps, stopping rules, schedule entries' own cursor."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from precedent.sources.incidentio import ENDPOINTS, filter_params
from precedent.sources.incidentio.pagination import count_items, next_cursor, page_size_for
from tests.support.incidentio_fixtures import IncidentIoFixtures, small_organisation, ulid
from tests.support.incidentio_server import FakeIncidentIo


def many_incidents(n: int) -> IncidentIoFixtures:
    """The small organisation with its first incident cloned ``n`` times under fresh ids."""
    fx = small_organisation()
    template = fx.incidents[0]
    fx.incidents = [
        template | {"id": ulid("IN", 100 + i), "reference": f"INC-{100 + i}", "name": f"Incident {i}"}
        for i in range(n)
    ]
    return fx


async def test_follows_cursors_across_many_pages() -> None:
    fake = FakeIncidentIo(many_incidents(23))
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents", page_size=5)]

    assert [len(p["incidents"]) for p in pages] == [5, 5, 5, 5, 3]  # type: ignore[arg-type]
    ids = [i["id"] for p in pages for i in p["incidents"]]  # type: ignore[attr-defined]
    assert len(set(ids)) == 23
    afters = [r.url.params.get("after") for r in fake.requests]
    assert afters[0] is None
    assert afters[1:] == [p["pagination_meta"]["after"] for p in pages[:-1]]  # type: ignore[index]
    assert "after" not in pages[-1]["pagination_meta"]  # type: ignore[operator]


async def test_pages_carry_the_whole_response_object() -> None:
    fake = FakeIncidentIo()
    service_type = fake.fixtures.catalog_types[1]
    async with fake.client() as client:
        pages = [
            page
            async for page in client.paginate(
                "/v3/catalog_entries", params={"catalog_type_id": service_type["id"]}, page_size=3
            )
        ]
    assert len(pages) == 2
    assert all(p["catalog_type"] == service_type for p in pages)
    assert pages[0]["pagination_meta"]["total_record_count"] == 4  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/incidents", "250"),
        ("/v2/incident_updates", "250"),
        ("/v3/teams", "250"),
        ("/v2/users", "10000"),
        ("/v2/schedules", "25"),
        ("/v1/postmortem_documents", "250"),
    ],
)
async def test_default_page_size_is_the_endpoint_cap(path: str, expected: str) -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        [page async for page in client.paginate(path)]
    assert fake.requests[0].url.params["page_size"] == expected


async def test_catalog_entries_always_send_page_size() -> None:
    fake = FakeIncidentIo()
    type_id = fake.fixtures.catalog_types[0]["id"]
    async with fake.client() as client:
        [page async for page in client.paginate("/v3/catalog_entries", params={"catalog_type_id": type_id})]
    assert fake.requests[0].url.params["page_size"] == "250"


async def test_schedules_keep_next_shifts_at_the_default_size() -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/schedules", page_size=500)]
    assert fake.requests[0].url.params["page_size"] == "25"
    assert all("next_shifts" in s for s in pages[0]["schedules"])  # type: ignore[attr-defined]


async def test_page_size_in_params_is_clamped_too() -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        [page async for page in client.paginate("/v2/incidents", params={"page_size": 1000})]
    assert fake.requests[0].url.params["page_size"] == "250"


async def test_unpaginated_lists_are_one_page_without_page_size() -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/follow_ups")]
    assert len(pages) == 1
    assert len(pages[0]["follow_ups"]) == 3  # type: ignore[arg-type]
    assert "page_size" not in fake.requests[0].url.params


async def test_stops_on_an_empty_page_even_with_a_cursor() -> None:
    fake = FakeIncidentIo(many_incidents(12)).empty_page("/v2/incidents", at=2)
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents", page_size=5)]
    assert [len(p["incidents"]) for p in pages] == [5, 0]  # type: ignore[arg-type]
    assert len(fake.requests) == 2


async def test_stops_and_warns_on_a_repeated_cursor(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeIncidentIo(many_incidents(12)).repeat_cursor("/v2/incidents", at=2)
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents", page_size=5)]
    assert len(pages) == 2
    assert len(fake.requests) == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("repeated cursor path=/v2/incidents" in r.getMessage() for r in warnings)


async def test_max_pages_caps_the_walk() -> None:
    fake = FakeIncidentIo(many_incidents(30))
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents", page_size=5, max_pages=2)]
    assert len(pages) == 2
    assert len(fake.requests) == 2


async def test_filters_are_kept_on_every_page() -> None:
    fake = FakeIncidentIo(many_incidents(7))
    params = {
        **filter_params("updated_at", "gte", "2026-03-01"),
        **filter_params("mode", "one_of", ["standard"]),
    }
    async with fake.client() as client:
        [page async for page in client.paginate("/v2/incidents", params=params, page_size=3)]
    assert len(fake.requests) == 3
    for request in fake.requests:
        assert request.url.params["updated_at[gte]"] == "2026-03-01"
        assert request.url.params.get_list("mode[one_of]") == ["standard"]


async def test_schedule_entries_follow_their_own_cursor() -> None:
    fake = FakeIncidentIo(schedule_page_size=3)
    schedule = fake.fixtures.schedules[0]["id"]
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)
    async with fake.client() as client:
        pages = [page async for page in client.iter_schedule_entries(schedule, start, end)]

    finals = [e for p in pages for e in p["schedule_entries"]["final"]]  # type: ignore[index]
    assert [len(p["schedule_entries"]["final"]) for p in pages] == [3, 3, 2]  # type: ignore[index]
    assert len({e["fingerprint"] for e in finals}) == 8
    first, *rest = fake.requests
    assert first.url.params["entry_window_start"] == "2026-03-01T00:00:00Z"
    for request, previous in zip(rest, pages, strict=False):
        assert request.url.params["entry_window_start"] == previous["pagination_meta"]["after"]  # type: ignore[index]
        assert request.url.params["entry_window_end"] == "2026-03-12T00:00:00Z"
        assert request.url.params["schedule_id"] == schedule


async def test_schedule_entries_need_aware_datetimes() -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        with pytest.raises(ValueError, match="timezone-aware"):
            [p async for p in client.iter_schedule_entries("s", datetime(2026, 3, 1), datetime(2026, 3, 2))]  # noqa: DTZ001


def test_page_size_for() -> None:
    assert page_size_for("/v2/incidents", None) == 250
    assert page_size_for("/v2/incidents", 10) == 10
    assert page_size_for("/v2/incidents", 500) == 250
    assert page_size_for("/v2/follow_ups", None) is None
    assert page_size_for("/v2/unknown", 40) == 40
    with pytest.raises(ValueError, match="at least 1"):
        page_size_for("/v2/incidents", 0)


def test_caps_table_matches_the_brief() -> None:
    assert {
        e.path: e.page_size
        for e in ENDPOINTS.values()
        if e.name in {"incidents", "users", "schedules", "catalog_entries"}
    } == {
        "/v2/incidents": 250,
        "/v2/users": 10000,
        "/v2/schedules": 25,
        "/v3/catalog_entries": 250,
    }


def test_next_cursor_and_count_items() -> None:
    assert next_cursor({"pagination_meta": {"after": "X", "page_size": 2}}) == "X"
    assert next_cursor({"pagination_meta": {"after": "", "page_size": 2}}) is None
    assert next_cursor({"pagination_meta": None}) is None
    assert next_cursor({}) is None
    assert count_items({"incidents": [1, 2], "pagination_meta": {"page_size": 2}}) == 2
    assert count_items({"schedule_entries": {"scheduled": [1], "overrides": [], "final": [1]}}) == 2
    assert count_items({"catalog_entries": [], "catalog_type": {"id": "x"}}) == 0
