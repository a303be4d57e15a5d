"""A ``limit`` out of range is refused in one wording on every route (and every command and tool).

Each route said it its own way: litestar's "Expected `int` >= 1", pydantic's "Input should be
greater than or equal to 1" for the body, "limit must be from 1 to 100, not 0" and "limit must be
between 1 and 100; got 0" from the layers below. Now one message, ``InvalidQuery.limit_out_of_range``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from precedent.browse import MAX_CHANGE_HOURS, MAX_CHANGES, MAX_LIMIT
from precedent.errors import InvalidQuery
from precedent.investigation import CHANGE_WINDOW_MAX_HOURS, RECENT_MAX, InvestigationOptions
from precedent.retrieval import SEARCH_MAX_RESULTS, SIMILAR_MAX_RESULTS

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Api

ROUTES = [
    ("/v1/incidents", {}, MAX_LIMIT),
    ("/v1/incidents/INC-1/updates", {}, MAX_LIMIT),
    ("/v1/incidents/INC-1/related", {}, MAX_LIMIT),
    ("/v1/services", {}, MAX_LIMIT),
    ("/v1/services/payments-api/incidents", {}, MAX_LIMIT),
    ("/v1/hotspots", {}, MAX_LIMIT),
    ("/v1/teams", {}, MAX_LIMIT),
    ("/v1/search", {"q": "pool"}, SEARCH_MAX_RESULTS),
    ("/v1/incidents/INC-1/similar", {}, SIMILAR_MAX_RESULTS),
    ("/v1/stats/recurring", {}, MAX_LIMIT),
    ("/v1/investigations", {}, RECENT_MAX),
    ("/v1/services/payments-api/changes", {}, MAX_CHANGES),
]


@pytest.mark.parametrize(("path", "params", "most"), ROUTES)
async def test_a_limit_out_of_range_is_refused_in_the_one_wording(
    read_api: Api, path: str, params: dict[str, str], most: int
) -> None:
    headers = read_api.auth(read_api.tokens.read)
    for limit in (0, most + 1):
        answer = await read_api.client.get(path, params={**params, "limit": limit}, headers=headers)
        assert answer.status_code == 400, (path, answer.text)
        said = str(InvalidQuery.limit_out_of_range(limit, most))
        assert answer.json()["detail"] == said, path
        # Listed in `errors` as the framework lists a parameter it refuses.
        assert answer.json()["errors"] == [{"field": "limit", "source": "query", "message": said}], path
    in_range = await read_api.client.get(path, params={**params, "limit": most}, headers=headers)
    assert in_range.status_code == 200, (path, in_range.text)


async def test_the_described_incidents_limit_in_the_body_is_refused_in_the_same_wording(
    read_api: Api,
) -> None:
    headers = read_api.auth(read_api.tokens.read)
    for limit in (0, SIMILAR_MAX_RESULTS + 1):
        body = {"name": "Checkout 500s", "limit": limit}
        answer = await read_api.client.post("/v1/similar", json=body, headers=headers)
        assert answer.status_code == 400, answer.text
        said = str(InvalidQuery.limit_out_of_range(limit, SIMILAR_MAX_RESULTS))
        assert answer.json()["detail"] == said
        assert answer.json()["errors"] == [{"field": "limit", "source": "body", "message": said}]


async def test_the_openapi_document_still_publishes_each_limits_range(read_api: Api) -> None:
    paths = (await read_api.client.get("/schema/openapi.json")).json()["paths"]
    for path, most in (("/v1/incidents", MAX_LIMIT), ("/v1/services/{service}/changes", MAX_CHANGES)):
        [limit] = [p for p in paths[path]["get"]["parameters"] if p["name"] == "limit"]
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, most), path


def _whole_number_parameters(paths: dict[str, Any]) -> list[tuple[str, dict[str, str], str, int, int]]:
    """(path, its required parameters, parameter, least, most) of every GET route's whole-number
    query parameter; a required parameter is given as "x" (``q`` on /v1/search)."""
    found = []
    for path, operations in paths.items():
        parameters = operations.get("get", {}).get("parameters", [])
        required = {p["name"]: "x" for p in parameters if p["in"] == "query" and p.get("required")}
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter["in"] == "query" and schema.get("type") == "integer":
                # OpenAPI publishes a validator's bounds as numbers (1.0): they are whole.
                bounds = (int(schema["minimum"]), int(schema["maximum"]))
                found.append((path, required, parameter["name"], *bounds))
    return found


async def test_a_word_for_a_whole_number_is_refused_as_a_number_out_of_range_is(read_api: Api) -> None:
    # ?limit=ten answered litestar's "Expected `int`, got `str`" where ?limit=0 was told the
    # range: every whole-number parameter of every route now says it alike, limit's way. 1e1 and
    # 10.0 were read as 10 (and 1e6 as 1000000, then refused as out of range) where ten was refused.
    paths = (await read_api.client.get("/schema/openapi.json")).json()["paths"]
    parameters = _whole_number_parameters(paths)
    assert {"limit", "depth", "max_nodes", "weeks", "days", "min_incidents"} <= {p[2] for p in parameters}
    headers = read_api.auth(read_api.tokens.admin)
    for template, required, name, least, most in parameters:
        path = re.sub(r"{\w+}", "x", template)
        for sent in ("ten", "2.5", "1e1", "1e6", "10.0"):
            answer = await read_api.client.get(path, params={**required, name: sent}, headers=headers)
            said = str(InvalidQuery.number_out_of_range(name, sent, least, most))
            assert answer.status_code == 400, (path, name, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["detail"] == said, (path, name)
            assert answer.json()["title"] == "InvalidQuery", (path, name)
            assert answer.json()["errors"] == [{"field": name, "source": "query", "message": said}]
    incidents = await read_api.client.get("/v1/incidents", params={"limit": "ten"}, headers=headers)
    assert incidents.json()["detail"] == str(InvalidQuery.limit_out_of_range("ten", MAX_LIMIT))


@pytest.mark.parametrize("sent", ["ten", 2.5, True])
async def test_a_body_number_that_is_no_whole_number_is_refused_in_the_same_wording(
    read_api: Api, sent: object
) -> None:
    # pydantic said "Input should be a valid integer", and `"limit": true` was read as 1.
    headers = read_api.auth(read_api.tokens.admin)
    for path, name, most in (
        ("/v1/similar", "limit", SIMILAR_MAX_RESULTS),
        ("/v1/investigations", "similar", 50),
    ):
        answer = await read_api.client.post(path, json={"name": "Checkout 500s", name: sent}, headers=headers)
        assert answer.status_code == 400, (path, answer.text)
        said = str(InvalidQuery.number_out_of_range(name, json.dumps(sent), 1, most))
        assert answer.json()["errors"] == [{"field": name, "source": "body", "message": said}], path
        # Titled as every refusal of a body is: it was "ValidationError", the framework's title.
        assert answer.json()["title"] == "InvalidBody", path


async def test_an_investigations_similar_out_of_range_is_refused_as_the_cli_refuses_it(read_api: Api) -> None:
    answer = await read_api.client.post(
        "/v1/investigations",
        json={"name": "Checkout 500s", "similar": 51},
        headers=read_api.auth(read_api.tokens.admin),
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == str(InvalidQuery.number_out_of_range("similar", 51, 1, 50))
    assert [e["field"] for e in answer.json()["errors"]] == ["similar"]


@pytest.mark.parametrize("sent", ["0", "-1", str(MAX_CHANGE_HOURS + 1), "a week"])
async def test_a_change_listings_hours_out_of_range_is_refused_as_the_cli_and_mcp_refuse_them(
    read_api: Api, sent: str
) -> None:
    # It was litestar's "Expected `float` > 0" (or "<= 8760"), and "Expected `float`, got `str`".
    answer = await read_api.client.get(
        "/v1/services/payments-api/changes",
        params={"since_hours": sent},
        headers=read_api.auth(read_api.tokens.read),
    )
    assert answer.status_code == 400, answer.text
    said = str(InvalidQuery.hours_out_of_range("since_hours", sent, MAX_CHANGE_HOURS))
    assert answer.json()["detail"] == said
    assert answer.json()["errors"] == [{"field": "since_hours", "source": "query", "message": said}]


async def _investigate(read_api: Api, change_window_hours: object) -> httpx.Response:
    body = {"name": "Checkout 500s", "change_window_hours": change_window_hours}
    return await read_api.client.post(
        "/v1/investigations", json=body, headers=read_api.auth(read_api.tokens.admin)
    )


def _window_refused(hours: float) -> str:
    with pytest.raises(InvalidQuery, match="change_window_hours must be") as refused:
        InvestigationOptions(change_window=timedelta(hours=hours))
    return str(refused.value)


@pytest.mark.parametrize("hours", [0, -1, CHANGE_WINDOW_MAX_HOURS + 1])
async def test_an_investigations_change_window_out_of_range_is_refused_as_the_cli_refuses_it(
    read_api: Api, hours: float
) -> None:
    # pydantic's "Input should be greater than or equal to 0.1" (or "less than or equal to 720").
    answer = await _investigate(read_api, hours)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == _window_refused(hours)
    # Named, as every other refusal names its field: it came with `detail` alone.
    assert answer.json()["errors"] == [
        {"field": "change_window_hours", "source": "body", "message": _window_refused(hours)}
    ]


@pytest.mark.parametrize("sent", ["a day", True])
async def test_an_investigations_change_window_that_is_no_number_is_refused_as_mcp_refuses_it(
    read_api: Api, sent: object
) -> None:
    answer = await _investigate(read_api, sent)
    assert answer.status_code == 400, answer.text
    said = str(
        InvalidQuery.hours_out_of_range("change_window_hours", json.dumps(sent), CHANGE_WINDOW_MAX_HOURS)
    )
    assert answer.json()["errors"] == [{"field": "change_window_hours", "source": "body", "message": said}]
    assert answer.json()["title"] == "InvalidBody"


async def test_an_investigations_change_window_takes_any_hours_above_0(read_api: Api) -> None:
    # Six minutes were refused (at least 0.1 hours) where the CLI and the MCP tool took them.
    answer = await _investigate(read_api, 0.05)
    assert answer.status_code == 201, answer.text
    assert answer.json()["change_window_hours"] == 0.05


async def test_two_words_for_whole_numbers_are_titled_as_one_is(read_api: Api) -> None:
    # Each message was the project's, but the title stayed "ValidationError" (one was "InvalidQuery").
    answer = await read_api.client.get(
        "/v1/hotspots", params={"limit": "ten", "weeks": "x"}, headers=read_api.auth(read_api.tokens.read)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["title"] == "InvalidQuery"
    messages = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert messages == {
        "limit": str(InvalidQuery.limit_out_of_range("ten", MAX_LIMIT)),
        "weeks": str(InvalidQuery.number_out_of_range("weeks", "x", 1, 104)),
    }
    assert answer.json()["detail"] == "invalid weeks, limit: see `errors`"


async def test_a_number_and_a_time_refused_together_are_titled_as_either_alone_is(read_api: Api) -> None:
    # A time that is no time is refused in the project's words ("after must be an ISO 8601 time"),
    # as ?limit=ten is: it was titled ValidationError, alone or beside another.
    answer = await read_api.client.get(
        "/v1/search",
        params={"q": "pool", "limit": "ten", "after": "yesterday"},
        headers=read_api.auth(read_api.tokens.read),
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["title"] == "InvalidQuery"
    assert {e["field"] for e in answer.json()["errors"]} == {"limit", "after"}


async def test_an_investigations_change_window_too_large_for_a_time_is_refused_not_a_500(
    read_api: Api,
) -> None:
    # timedelta(hours=1e30) overflows: it answered 500 before the range was checked.
    answer = await _investigate(read_api, 1e30)
    assert answer.status_code == 400, answer.text
    said = str(InvalidQuery.hours_out_of_range("change_window_hours", "1e+30", CHANGE_WINDOW_MAX_HOURS))
    assert answer.json()["errors"] == [{"field": "change_window_hours", "source": "body", "message": said}]


@pytest.mark.parametrize(("sent", "echoed"), [(1000000, "1000000"), (1000000.5, "1000000.5"), (-3, "-3")])
async def test_an_investigations_change_window_is_echoed_as_it_was_sent(
    read_api: Api, sent: float, echoed: str
) -> None:
    # A sent 1000000 came back as "not 1e+06": six significant digits, a number nobody wrote.
    answer = await _investigate(read_api, sent)
    assert answer.status_code == 400, answer.text
    said = str(InvalidQuery.hours_out_of_range("change_window_hours", echoed, CHANGE_WINDOW_MAX_HOURS))
    assert answer.json()["detail"] == said


@pytest.mark.parametrize("sent", ["1e30", "NaN", "Infinity"])
async def test_a_change_listings_window_too_large_or_no_number_is_refused_not_a_500(
    read_api: Api, sent: str
) -> None:
    answer = await read_api.client.get(
        "/v1/services/x/changes", params={"since_hours": sent}, headers=read_api.auth(read_api.tokens.read)
    )
    assert answer.status_code == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["since_hours"]
