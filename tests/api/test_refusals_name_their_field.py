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
    ("path", "params", "field"),
    [
        ("/v1/incidents", {"severity": "sev9"}, "severity"),
        ("/v1/incidents", {"type": "no such type"}, "type"),
        ("/v1/incidents", {"status": "no such status"}, "status"),
        ("/v1/incidents", {"status_category": "nope"}, "status_category"),
        ("/v1/services/payments-api/incidents", {"status": "nope"}, "status"),
        ("/v1/incidents/INC-1/neighbourhood", {"depth": "9"}, "depth"),
        ("/v1/search", {"q": "the of a"}, "q"),
        ("/v1/search", {"q": "pool", "kinds": "nope"}, "kinds"),
        ("/v1/search", {"q": "pool", "kinds": "incident;service"}, "kinds"),
    ],
)
async def test_a_query_refused_by_the_layer_below_lists_its_parameter(
    read_api: Api, path: str, params: dict[str, str], field: str
) -> None:
    answer = await read_api.client.get(path, params=params, headers=read_api.auth(read_api.tokens.read))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["errors"] == [{"field": field, "source": "query", "message": body["detail"]}]


@pytest.mark.parametrize(
    ("path", "sent", "field"),
    [
        ("/v1/similar", {"name": "   "}, "name"),
        ("/v1/similar", {"name": "Checkout 500s", "severity": "sev9"}, "severity"),
        ("/v1/investigations", {"name": "Checkout 500s", "type": "no such type"}, "type"),
    ],
)
async def test_a_body_refused_by_the_layer_below_lists_its_field(
    read_api: Api, path: str, sent: dict[str, str], field: str
) -> None:
    # Admin: an investigation is stored, so it needs write besides read.
    answer = await read_api.client.post(path, json=sent, headers=read_api.auth(read_api.tokens.admin))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["errors"] == [{"field": field, "source": "body", "message": body["detail"]}]
