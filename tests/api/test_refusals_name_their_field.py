"""A refusal for one argument lists it in ``errors``, whichever layer refused it.

Found by trying the API as a new on-call engineer would: ``?limit=0`` listed ``limit`` in
``errors``, but ``?severity=sev9``, ``?depth=9``, ``?kinds=nope``, a search of stop words and a
described incident with a blank name answered ``"errors": null``, their field in the prose alone,
though the layer below knew which argument it refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("path", "params", "body", "field"),
    [
        ("/v1/incidents", {"severity": "sev9"}, None, "severity"),
        ("/v1/incidents", {"type": "no such type"}, None, "type"),
        ("/v1/incidents", {"status": "no such status"}, None, "status"),
        ("/v1/incidents", {"status_category": "nope"}, None, "status_category"),
        ("/v1/services/payments-api/incidents", {"status": "nope"}, None, "status"),
        ("/v1/incidents/INC-1/neighbourhood", {"depth": "9"}, None, "depth"),
        ("/v1/search", {"q": "the of a"}, None, "q"),
        ("/v1/search", {"q": "pool", "kinds": "nope"}, None, "kinds"),
        ("/v1/search", {"q": "pool", "kinds": "incident;service"}, None, "kinds"),
        ("/v1/similar", {}, {"name": "   "}, "name"),
        ("/v1/similar", {}, {"name": "Checkout 500s", "severity": "sev9"}, "severity"),
        ("/v1/investigations", {}, {"name": "Checkout 500s", "type": "no such type"}, "type"),
        # Found by a new-user trial: each named its field in the prose alone.
        ("/v1/incidents", {"statu": "closed"}, None, "statu"),
        ("/v1/incidents", {"query": "pool"}, None, "query"),
        ("/v1/incidents", [("severity", "Minor"), ("severity", "Major")], None, "severity"),
        ("/v1/services/payments-api/neighbourhood", {"label": "Nope"}, None, "label"),
        ("/v1/services/payments-api/neighbourhood", {"rel": "NOPE"}, None, "rel"),
        (
            "/v1/search",
            {"q": "pool", "after": "2026-03-02T00:00:00Z", "before": "2026-03-01T00:00:00Z"},
            None,
            "after",
        ),
        ("/v1/changes", {}, {"service": "   "}, "service"),
        ("/v1/changes", {}, {"service": ""}, "service"),
        # Found trying each route's parameters against /schema: the cursor was named in the prose alone.
        ("/v1/incidents", {"cursor": "nonsense"}, None, "cursor"),
        ("/v1/services", {"cursor": ""}, None, "cursor"),
        ("/v1/investigations", {"cursor": "x"}, None, "cursor"),
        # Found by trying the documented examples: each was said in `detail` alone.
        ("/v1/changes", {}, {"service": "payments-api", "started_at": "2099-01-01T00:00:00Z"}, "started_at"),
        (
            "/v1/changes",
            {},
            {"service": "x", "started_at": "2026-01-01T10:00:00Z", "finished_at": "2026-01-01T09:00:00Z"},
            "finished_at",
        ),
        ("/v1/changes", {}, {"service": "payments-api", "summary": "x" * 65_537}, "summary"),
    ],
)
async def test_a_refusal_by_the_layer_below_lists_its_field(
    read_api: Api,
    path: str,
    params: dict[str, str] | list[tuple[str, str]],
    body: dict[str, str] | None,
    field: str,
) -> None:
    # Admin: storing an investigation needs write besides read.
    headers = read_api.auth(read_api.tokens.admin)
    if body is None:
        answer = await read_api.client.get(path, params=params, headers=headers)
    else:
        answer = await read_api.client.post(path, json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    source = "query" if body is None else "body"
    assert problem["errors"] == [{"field": field, "source": source, "message": problem["detail"]}]


@pytest.mark.parametrize("path", ["/v1/search?q=pool&before=garbage", "/v1/incidents?declared_after=garbage"])
async def test_a_time_that_is_no_time_is_titled_as_every_refused_value_is(read_api: Api, path: str) -> None:
    # Titled ValidationError, where ?limit=ten and ?depth=9 are titled InvalidQuery.
    answer = await read_api.client.get(path, headers=read_api.auth(read_api.tokens.read))
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["title"] == "InvalidQuery"
    assert [e["field"] for e in problem["errors"]] == [path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]]


async def test_a_cursor_of_another_query_lists_cursor(read_api: Api) -> None:
    headers = read_api.auth(read_api.tokens.private)
    first = await read_api.client.get("/v1/incidents", params={"limit": 1}, headers=headers)
    cursor = first.json()["next_cursor"]
    assert cursor is not None, first.json()
    other = {"limit": 1, "cursor": cursor, "severity": "Critical"}
    answer = await read_api.client.get("/v1/incidents", params=other, headers=headers)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert "belongs to another query" in problem["detail"]
    assert problem["errors"] == [{"field": "cursor", "source": "query", "message": problem["detail"]}]
