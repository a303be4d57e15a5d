"""Hand-built filter parameters and the query strings httpx makes of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from precedent.sources.incidentio import IncidentIoClient, filter_params


def test_single_value() -> None:
    assert filter_params("updated_at", "gte", "2024-05-01") == {"updated_at[gte]": "2024-05-01"}


def test_list_value_repeats_the_key() -> None:
    assert filter_params("mode", "one_of", ["standard", "test"]) == {"mode[one_of]": ["standard", "test"]}


def test_nested_key_for_custom_fields_and_roles() -> None:
    assert filter_params("custom_field", "one_of", ["01OPT"], key="01FIELD") == {
        "custom_field[01FIELD][one_of]": ["01OPT"]
    }
    assert filter_params("incident_role", "is_blank", True, key="01ROLE") == {
        "incident_role[01ROLE][is_blank]": True
    }


def test_dates_and_aware_datetimes_are_iso_8601() -> None:
    assert filter_params("created_at", "lte", date(2024, 5, 1)) == {"created_at[lte]": "2024-05-01"}
    assert filter_params("updated_at", "gte", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)) == {
        "updated_at[gte]": "2024-05-01T12:30:00Z"
    }
    plus_two = timezone(timedelta(hours=2))
    assert filter_params("updated_at", "gte", datetime(2024, 5, 1, tzinfo=plus_two)) == {
        "updated_at[gte]": "2024-05-01T00:00:00+02:00"
    }


def test_naive_datetimes_and_brackets_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        filter_params("updated_at", "gte", datetime(2024, 5, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="bracket-free"):
        filter_params("mode[one_of]", "one_of", "x")
    with pytest.raises(ValueError, match="bracket-free"):
        filter_params("mode", "", "x")


async def test_httpx_encodes_brackets_and_repeats_keys_in_the_raw_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"incidents": []})

    params = {
        **filter_params("updated_at", "gte", "2024-05-01"),
        **filter_params("mode", "one_of", ["standard", "test"]),
        **filter_params("custom_field", "one_of", ["01OPT"], key="01FIELD"),
        "sort_by": "created_at_oldest_first",
    }
    http = httpx.AsyncClient(base_url="https://api.incident.io", transport=httpx.MockTransport(handler))
    async with IncidentIoClient(http) as client:
        await client.get("/v2/incidents", params)

    assert seen[0].url.query == (
        b"updated_at%5Bgte%5D=2024-05-01"
        b"&mode%5Bone_of%5D=standard&mode%5Bone_of%5D=test"
        b"&custom_field%5B01FIELD%5D%5Bone_of%5D=01OPT"
        b"&sort_by=created_at_oldest_first"
    )
    assert seen[0].url.params.get_list("mode[one_of]") == ["standard", "test"]
