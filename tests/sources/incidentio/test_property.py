"""Property: any IncidentV2 the spec allows survives the fake server and the client unchanged.

The ingest engineer extends this to the mapping round-trip; here it pins the transport half:
no field, value or enum is lost or reinterpreted between incident.io's JSON and the raw dict.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.support import hypothesis_compat
from tests.support.incidentio_fixtures import IncidentIoFixtures, ulid
from tests.support.incidentio_server import FakeIncidentIo
from tests.support.spec import load_spec

hypothesis_compat.install()

INCIDENT_V2 = load_spec().inline("IncidentV2", closed=True)
ALL_MODES = {"mode[one_of]": ["standard", "retrospective", "test", "tutorial"]}

# The schema allows any string as an id (even ""); real ids are opaque ULID-like tokens, and the
# show endpoint needs one that is a path segment. Everything else is left as generated.
incidents = st.tuples(from_schema(INCIDENT_V2), st.integers(1, 10**9)).map(
    lambda pair: pair[0] | {"id": ulid("IN", pair[1])}
)


async def _round_trip(incident: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    fake = FakeIncidentIo(IncidentIoFixtures(incidents=[incident]))
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents", params=ALL_MODES)]
        shown = await client.get(f"/v2/incidents/{incident['id']}")
    return pages[0]["incidents"][0], shown["incident"]  # type: ignore[index, return-value]


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(incidents)
def test_generated_incidents_round_trip_through_fake_server_and_client(incident: dict[str, Any]) -> None:
    listed, shown = asyncio.run(_round_trip(incident))
    assert listed == incident
    assert shown == incident
