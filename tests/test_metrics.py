"""The metrics other layers record: incident.io calls and retries, webhook deliveries by outcome."""

from __future__ import annotations

import random

from precedent.metrics import REGISTRY
from precedent.sources.incidentio import RetryPolicy
from tests.support.incidentio_server import FakeIncidentIo, SleepRecorder


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_incidentio_calls_and_retries_are_counted_by_endpoint_family() -> None:
    fake = FakeIncidentIo()
    fake.server_error("/v2/custom_fields", status=503, times=2)
    fake.timeout("/v2/users")
    calls = {
        status: _sample("precedent_incidentio_requests_total", endpoint="/v2/custom_fields", status=status)
        for status in ("200", "503")
    }
    errors = _sample("precedent_incidentio_requests_total", endpoint="/v2/users", status="error")
    server, transport = (
        _sample("precedent_incidentio_retries_total", reason=r) for r in ("server_error", "transport")
    )
    async with fake.client(sleep=SleepRecorder(), retry=RetryPolicy(rng=random.Random(7))) as client:
        await client.get("/v2/custom_fields")
        await client.get("/v2/users")
    assert _sample("precedent_incidentio_requests_total", endpoint="/v2/custom_fields", status="503") == (
        calls["503"] + 2
    )
    assert _sample("precedent_incidentio_requests_total", endpoint="/v2/custom_fields", status="200") == (
        calls["200"] + 1
    )
    assert _sample("precedent_incidentio_requests_total", endpoint="/v2/users", status="error") == errors + 1
    assert _sample("precedent_incidentio_retries_total", reason="server_error") == server + 2
    assert _sample("precedent_incidentio_retries_total", reason="transport") == transport + 1
