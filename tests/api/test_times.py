"""Every time the API writes has one shape, so a client sorting the strings sorts the times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tests.api.test_investigations import client, served, store

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["client", "served", "store"]

# The one shape: UTC, six digits of fraction, "Z".
_ONE_SHAPE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _times(body: object) -> list[str]:
    """Every string in a JSON body that starts as a time does."""
    if isinstance(body, dict):
        return [t for v in body.values() for t in _times(v)]
    if isinstance(body, list):
        return [t for v in body for t in _times(v)]
    return [body] if isinstance(body, str) and _LOOKS_LIKE_A_TIME.match(body) else []


async def test_a_time_on_the_whole_second_is_written_with_its_fraction_and_sorts_as_a_time(
    client: AsyncTestClient[Litestar],
) -> None:
    # pydantic wrote "10:00:00Z" beside "10:00:00.500000Z": as strings, the whole second sorted after.
    whole = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    for name, started in (("whole", whole), ("half", whole + timedelta(milliseconds=500))):
        change = {"service": "payments-api", "kind": "deploy", "id": name, "started_at": started.isoformat()}
        assert (await client.post("/v1/changes", json=change)).status_code == 202
    listed = (await client.get("/v1/services/payments-api/changes", params={"since_hours": 2})).json()
    started_at = {c["id"]: c["started_at"] for c in listed["items"]}
    stamp = whole.strftime("%Y-%m-%dT%H:%M:%S")
    assert (started_at["change:whole"], started_at["change:half"]) == (f"{stamp}.000000Z", f"{stamp}.500000Z")
    newest_first = [c["started_at"] for c in listed["items"]]
    assert newest_first == sorted(newest_first, reverse=True)


async def test_every_time_in_an_investigation_its_incident_and_the_list_has_one_shape(
    client: AsyncTestClient[Litestar],
) -> None:
    # The nested parts (the incident, its services' on-call, its changes) are the investigation
    # layer's dataclasses, the list was a dataclass of its own, and a node's stored times are text.
    investigation = (await client.get("/v1/incidents/INC-20/investigation")).json()
    answers = [
        investigation,
        (await client.get("/v1/investigations")).json(),
        (await client.get("/v1/incidents/INC-20")).json(),
        (await client.get("/v1/services/payments-api/changes", params={"since_hours": 24 * 365})).json(),
    ]
    times = [t for answer in answers for t in _times(answer)]
    assert investigation["built_at"] in times
    assert len(times) > 10
    assert [t for t in times if not _ONE_SHAPE.fullmatch(t)] == []
