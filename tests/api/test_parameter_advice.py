"""A parameter or body field refused for its type says what to send, in the detail too.

Found by trying the API as a new on-call engineer would: ``?depth=two`` answered "invalid depth:
see `errors`" with "Expected `int`, got `str`"; ``?mode=fuzzy`` "Invalid enum value 'fuzzy'"
without the modes; ``?declared_after=2026-11-01`` "Invalid RFC3339 encoded datetime" without an
example; a body's ``"service"`` (for ``services``) "Extra inputs are not permitted" without the
fields it takes, where a query's unknown parameter is told the ones the route accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api.conftest import Api


async def _refusal(api: Api, path: str, **params: str) -> tuple[str, dict[str, str]]:
    answer = await api.client.get(path, params=params, headers=api.auth(api.tokens.read))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    (error,) = body["errors"]
    return body["detail"], error


async def test_a_query_parameter_of_the_wrong_type_is_told_what_it_takes(read_api: Api) -> None:
    detail, error = await _refusal(read_api, "/v1/services/payments-api/neighbourhood", depth="two")
    assert error == {
        "field": "depth",
        "source": "query",
        # A whole number with a published range is told the range, as an out-of-range one is.
        "message": (
            "depth must be a whole number from 0 to 4, not two: send one in that range, "
            "or leave depth out for the default"
        ),
    }
    assert detail == error["message"]

    detail, _ = await _refusal(read_api, "/v1/search", q="pool", mode="fuzzy")
    assert detail == "mode must be one of hybrid, text, semantic, not 'fuzzy'"

    detail, _ = await _refusal(read_api, "/v1/incidents/INC-1/investigation", rebuild="yes")
    assert detail == "rebuild must be true or false, not 'yes'"

    detail, _ = await _refusal(read_api, "/v1/incidents", declared_after="2026-11-01")
    assert detail == (
        "declared_after must be an ISO 8601 time with a time zone, such as 2026-03-01T10:00:00Z, "
        "not '2026-11-01'"
    )


async def _refused_body(api: Api, body: dict[str, str]) -> str:
    answer = await api.client.post("/v1/similar", json=body, headers=api.auth(api.tokens.read))
    assert answer.status_code == 400, answer.text
    return str(answer.json()["detail"])


async def test_a_body_field_the_route_does_not_take_is_told_the_ones_it_does(read_api: Api) -> None:
    detail = await _refused_body(read_api, {"name": "Checkout returning 500s", "service": "checkout"})
    assert detail.startswith(
        "unknown field 'service' (did you mean services?); this body takes: name, summary,"
    )
    assert "declared_at" in detail


async def test_a_body_time_that_is_no_time_is_told_the_form_to_send(read_api: Api) -> None:
    detail = await _refused_body(read_api, {"name": "Checkout returning 500s", "declared_at": "now"})
    # In the words ?declared_after=now is refused in: it opened with pydantic's "Input should be a
    # valid datetime or date, input is too short".
    assert detail == (
        'declared_at must be an ISO 8601 time with a time zone, such as 2026-03-01T10:00:00Z, not "now"'
    )


async def test_a_flag_or_a_fraction_refused_is_told_what_it_takes_as_a_whole_number_is(read_api: Api) -> None:
    # Found trying the API against its document: ?archived=maybe answered "Expected `bool | null`,
    # got `str`" and ?min_similarity=2 "Expected `float` <= 1.0", both titled ValidationError.
    for path, name, sent, said in (
        ("/v1/services", "archived", "maybe", "archived must be true or false, not 'maybe'"),
        *(
            (
                "/v1/stats/recurring",
                "min_similarity",
                value,
                f"min_similarity must be a number above 0 and at most 1, not {value}: send one in that "
                "range, or leave min_similarity out for the default",
            )
            for value in ("2", "0", "x")
        ),
    ):
        headers = read_api.auth(read_api.tokens.read)
        answer = await read_api.client.get(path, params={name: sent}, headers=headers)
        assert answer.status_code == 400, answer.text
        problem = answer.json()
        assert (problem["title"], problem["detail"]) == ("InvalidQuery", said)
        assert problem["errors"] == [{"field": name, "source": "query", "message": said}]
