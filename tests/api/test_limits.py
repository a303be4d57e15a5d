"""A ``limit`` out of range is refused in one wording on every route (and every command and tool).

Each route said it its own way: litestar's "Expected `int` >= 1", pydantic's "Input should be
greater than or equal to 1" for the body, "limit must be from 1 to 100, not 0" and "limit must be
between 1 and 100; got 0" from the layers below. Now one message, ``InvalidQuery.limit_out_of_range``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.browse import MAX_CHANGES, MAX_LIMIT
from precedent.errors import InvalidQuery
from precedent.investigation import RECENT_MAX
from precedent.retrieval import SEARCH_MAX_RESULTS, SIMILAR_MAX_RESULTS

if TYPE_CHECKING:
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
