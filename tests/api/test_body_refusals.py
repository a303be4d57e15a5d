"""A body's field refused for its type, its absence or its size is ``InvalidBody``, in the API's words.

Found by a review: ``{"name": 5}`` was titled ``ValidationError`` (pydantic's "Input should be a
valid string") where ``{"limit": "x"}`` was ``InvalidQuery`` and a body that is no JSON
``InvalidBody``; ``{"name": ""}`` answered "String should have at least 1 character" where
``{"name": "   "}`` (and the MCP tool's ``name: ""``) said to give a title or a summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.errors import InvalidQuery
from precedent.retrieval import DescribedQuery

if TYPE_CHECKING:
    from tests.api.conftest import Api


def _no_words() -> str:
    with pytest.raises(InvalidQuery) as refused:
        DescribedQuery(name="")
    return str(refused.value)


@pytest.mark.parametrize(
    ("path", "body", "field", "said"),
    [
        ("/v1/similar", {"name": 5}, "name", "name must be a string, not 5"),
        ("/v1/similar", {"name": None}, "name", "name must be a string, not null"),
        ("/v1/similar", {}, "name", "name is required: send the incident's title"),
        (
            "/v1/similar",
            {"name": "x", "services": "checkout"},
            "services",
            ('services must be a list of strings, not "checkout"'),
        ),
        ("/v1/similar", {"name": "x", "services": [7]}, "services.0", "services.0 must be a string, not 7"),
        ("/v1/similar", {"name": "x", "severity": 3}, "severity", "severity must be a string, not 3"),
        (
            "/v1/similar",
            {"name": "x", "exclude": ["inc-1"] * 1001},
            "exclude",
            ("exclude holds 1,001 items; send at most 1,000"),
        ),
        ("/v1/similar", {"name": "x" * 1001}, "name", "name is 1,001 characters long; send at most 1,000"),
        (
            "/v1/similar",
            {"name": "x", "declared_at": 1767225600},
            "declared_at",
            (
                "declared_at must be an ISO 8601 time with a time zone, such as 2026-03-01T10:00:00Z, "
                "not 1767225600"
            ),
        ),
        (
            "/v1/similar",
            {"name": "x", "before": "2026-01-01T00:00:00"},
            "before",
            (
                'before has no time zone, "2026-01-01T00:00:00": add Z for UTC (2026-03-01T10:00:00Z) '
                "or an offset such as +01:00"
            ),
        ),
        ("/v1/investigations", {"name": 5}, "name", "name must be a string, not 5"),
        ("/v1/changes", {}, "service", "service is required: send the changed service, by name or id"),
        (
            "/v1/changes",
            {"service": "payments-api", "kind": "rollout"},
            "kind",
            ('kind must be one of deploy, config, feature_flag, infrastructure, other, not "rollout"'),
        ),
        ("/v1/changes", {"service": "checkout", "version": 4}, "version", "version must be a string, not 4"),
        # The layer below's refusals of a body's field, titled alike.
        ("/v1/similar", {"name": "x", "limit": 0}, "limit", str(InvalidQuery.limit_out_of_range(0, 100))),
        ("/v1/similar", {"name": ""}, "name", _no_words()),
        ("/v1/similar", {"name": "   "}, "name", _no_words()),
        ("/v1/investigations", {"name": ""}, "name", _no_words()),
    ],
)
async def test_a_body_field_refused_is_invalid_body_saying_what_to_send(
    read_api: Api, path: str, body: dict[str, object], field: str, said: str
) -> None:
    # Admin: storing an investigation or a change needs write besides read.
    answer = await read_api.client.post(path, json=body, headers=read_api.auth(read_api.tokens.admin))
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (problem["title"], problem["detail"]) == ("InvalidBody", said)
    assert problem["errors"] == [{"field": field, "source": "body", "message": said}]


async def test_a_name_of_nothing_is_taken_beside_a_summary_as_one_of_spaces_is(read_api: Api) -> None:
    headers = read_api.auth(read_api.tokens.read)
    for name in ("", "   "):
        body = {"name": name, "summary": "payments returning 500s"}
        answer = await read_api.client.post("/v1/similar", json=body, headers=headers)
        assert answer.status_code == 200, (name, answer.text)


async def test_a_query_parameter_sent_to_a_route_taking_a_body_is_a_query_refusal(read_api: Api) -> None:
    # It was listed as the body's, the route being a POST.
    answer = await read_api.client.post(
        "/v1/similar", params={"limit": "5"}, json={"name": "x"}, headers=read_api.auth(read_api.tokens.read)
    )
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["title"] == "InvalidQuery"
    assert problem["errors"] == [{"field": "limit", "source": "query", "message": problem["detail"]}]
