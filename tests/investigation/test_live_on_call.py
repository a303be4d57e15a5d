"""Live on-call from incident.io (against the fake API): shifts covering a time, a TTL cache, a deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import SourceError
from precedent.investigation import IncidentIoOnCall
from precedent.runtime import Runtime
from precedent.sources.incidentio import IncidentIoClient
from precedent.store.embedded import EmbeddedStore
from tests.support.incidentio_fixtures import ulid
from tests.support.incidentio_server import API_KEY, BASE_URL, FakeIncidentIo

if TYPE_CHECKING:
    from pathlib import Path

PAYMENTS = ulid("SC", 1)
PLATFORM = ulid("SC", 2)
AT = datetime(2026, 3, 3, 12, 30, tzinfo=UTC)  # inside each schedule's third daily shift
NOW = datetime(2026, 3, 3, 12, 31, tzinfo=UTC)
_AUTH = {"Authorization": f"Bearer {API_KEY}"}


class _Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _entry_requests(fake: FakeIncidentIo) -> list[str]:
    return [str(r.url.params["schedule_id"]) for r in fake.requests if r.url.path == "/v2/schedule_entries"]


async def test_the_shift_covering_the_time_is_returned_with_its_freshness() -> None:
    fake = FakeIncidentIo()
    async with fake.client() as client:
        source = IncidentIoOnCall(client, now=lambda: NOW)
        shifts = await source.on_call([PAYMENTS, PLATFORM], AT)
    assert [(s.schedule_id, s.person.name) for s in shifts] == [
        (PAYMENTS, "Alice Moreau"),
        (PLATFORM, "Bilal Khan"),
    ]
    assert all(s.start_at is not None and s.start_at <= AT < s.end_at for s in shifts if s.end_at)
    assert {s.fetched_at for s in shifts} == {NOW}
    assert shifts[0].person.email == "alice@acme.example"
    (request, *_) = [r for r in fake.requests if r.url.path == "/v2/schedule_entries"]
    assert request.url.params["entry_window_start"] == "2026-03-03T12:00:00Z"
    assert request.url.params["entry_window_end"] == "2026-03-03T13:00:00Z"


async def test_a_burst_asks_once_per_schedule_and_hour_until_the_ttl_runs_out() -> None:
    fake = FakeIncidentIo()
    ticks = _Ticks()
    async with fake.client() as client:
        source = IncidentIoOnCall(client, ttl=60, now=lambda: NOW, monotonic=ticks)
        answers = await asyncio.gather(
            *(source.on_call([PAYMENTS], AT + timedelta(minutes=i)) for i in range(10))
        )
        assert {len(a) for a in answers} == {1}
        assert _entry_requests(fake) == [PAYMENTS]
        ticks.now = 59
        await source.on_call([PAYMENTS], AT)
        assert _entry_requests(fake) == [PAYMENTS]
        ticks.now = 61
        await source.on_call([PAYMENTS], AT)
        await source.on_call([PAYMENTS], AT + timedelta(hours=1))  # another hour is another question
    assert _entry_requests(fake) == [PAYMENTS, PAYMENTS, PAYMENTS]


async def test_a_rate_limited_answer_is_retried_by_the_client() -> None:
    fake = FakeIncidentIo().rate_limit("/v2/schedule_entries", retry_after="1")
    async with fake.client() as client:
        shifts = await IncidentIoOnCall(client).on_call([PAYMENTS], AT)
    assert [s.person.name for s in shifts] == ["Alice Moreau"]
    assert len(_entry_requests(fake)) == 2


async def test_a_slow_incident_io_is_a_source_error_within_the_timeout_and_the_next_ask_gets_the_answer() -> (
    None
):
    fake = FakeIncidentIo()
    answering = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await answering.wait()
        return fake(request)

    http = httpx.AsyncClient(base_url=BASE_URL, transport=httpx.MockTransport(slow), headers=_AUTH)
    async with IncidentIoClient(http) as client:
        source = IncidentIoOnCall(client, timeout=0.2)
        started = asyncio.get_running_loop().time()
        with pytest.raises(SourceError, match=r"within 0\.2 s"):
            await source.on_call([PAYMENTS], AT)
        assert asyncio.get_running_loop().time() - started < 2
        answering.set()
        assert [s.person.name for s in await source.on_call([PAYMENTS], AT)] == ["Alice Moreau"]
        await source.aclose()


async def test_a_failing_incident_io_is_a_source_error() -> None:
    fake = FakeIncidentIo().unauthorised()
    async with fake.client() as client:
        with pytest.raises(SourceError):
            await IncidentIoOnCall(client).on_call([PAYMENTS], AT)


@pytest.mark.parametrize("key", [None, "a-key"])
async def test_the_runtime_hands_every_investigation_the_one_live_source_when_a_key_is_set(
    tmp_path: Path, key: str | None
) -> None:
    embedder = HashEmbedder()
    store = EmbeddedStore(tmp_path / "graph", dimensions=embedder.dimensions)
    await store.open()
    settings = Settings(data_dir=tmp_path, incidentio_api_key=key)
    try:
        async with Runtime(store=store, embedder=embedder, settings=settings) as runtime:
            collaborators = runtime.investigation_collaborators
            assert collaborators.live_on_call is runtime.live_on_call
            assert (runtime.live_on_call is not None) == (key is not None)
    finally:
        await store.close()
