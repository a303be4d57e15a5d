"""The metrics other layers record: incident.io calls and retries, sync progress (webhooks elsewhere)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import TYPE_CHECKING

from precedent.embedding import CachedEmbedder, HashEmbedder
from precedent.ingest import Loader
from precedent.ingest.sync import Syncer, SyncOptions
from precedent.metrics import REGISTRY
from precedent.sources.incidentio import RetryPolicy
from tests.support.incidentio_server import SERVER_NOW, FakeIncidentIo, SleepRecorder

if TYPE_CHECKING:
    from precedent.store import GraphStore


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


async def test_a_sync_records_progress_and_success(embedded_store: GraphStore) -> None:
    before = _sample("precedent_sync_records_total", resource="incidents")
    async with FakeIncidentIo().client(retry=RetryPolicy(max_attempts=2)) as client:
        loader = Loader(embedded_store, CachedEmbedder(HashEmbedder()))
        report = await Syncer(client, embedded_store, loader, SyncOptions(now=lambda: SERVER_NOW)).run()
    written = sum(report.resources["incidents"].total(o) for o in ("created", "updated", "unchanged"))
    assert written > 0
    assert _sample("precedent_sync_records_total", resource="incidents") == before + written
    assert _sample("precedent_sync_in_progress") == 0
    assert _sample("precedent_sync_last_success_timestamp_seconds") > 0


def test_the_docs_metrics_table_names_every_metric() -> None:
    # precedent_slack_messages_total was served but missing from the table a scraper's owner reads.
    table = (Path(__file__).resolve().parents[1] / "docs" / "api-auth.md").read_text()
    documented = set(re.findall(r"`(precedent_[a-z_]+)`", table))
    exported = {
        m.name + ("_total" if m.type == "counter" else "")
        for m in REGISTRY.collect()
        if m.name.startswith("precedent_")
    }
    assert exported, "no precedent_* metric is registered"
    assert exported <= documented, f"docs/api-auth.md does not name: {sorted(exported - documented)}"
