"""IncidentIoClient against the fake incident.io API: requests, retries, errors, stats, logging."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import httpx
import pytest

from precedent.errors import ConfigError, IncidentIoAuthError, IncidentIoRateLimited, SourceError
from precedent.sources.incidentio import IncidentIoClient, RetryPolicy
from tests.support.incidentio_server import API_KEY, FakeIncidentIo, SleepRecorder

SEEDED = RetryPolicy(rng=random.Random(7))


@pytest.fixture
def fake() -> FakeIncidentIo:
    return FakeIncidentIo()


@pytest.fixture
def sleep() -> SleepRecorder:
    return SleepRecorder()


async def test_create_sends_bearer_key_user_agent_and_json_accept(fake: FakeIncidentIo) -> None:
    async with IncidentIoClient.create(API_KEY, transport=httpx.MockTransport(fake)) as client:
        body = await client.get("/v1/identity")

    assert body["identity"] == fake.fixtures.identity
    sent = fake.requests[0]
    assert sent.url == "https://api.incident.io/v1/identity"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["User-Agent"].startswith("precedent/")
    assert sent.headers["Accept"] == "application/json"


async def test_create_sets_an_explicit_timeout_and_base_url(fake: FakeIncidentIo) -> None:
    fake.api_key = "k"
    client = IncidentIoClient.create(
        "k", base_url="https://eu.example", timeout=12.0, transport=httpx.MockTransport(fake)
    )
    async with client:
        await client.get("/v1/identity")
    sent = fake.requests[0]
    assert sent.url.host == "eu.example"
    assert sent.extensions["timeout"] == {"connect": 10.0, "read": 12.0, "write": 12.0, "pool": 12.0}


def test_create_refuses_an_empty_key() -> None:
    with pytest.raises(ConfigError, match="PRECEDENT_INCIDENTIO_API_KEY"):
        IncidentIoClient.create("  ")


async def test_constructor_does_no_io() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    http = httpx.AsyncClient(base_url="https://api.incident.io", transport=httpx.MockTransport(explode))
    async with IncidentIoClient(http) as client:
        assert client.stats.calls == 0


async def test_get_returns_the_raw_object(fake: FakeIncidentIo) -> None:
    incident = fake.fixtures.incidents[0]
    async with fake.client() as client:
        body = await client.get(f"/v2/incidents/{incident['id']}")
    assert body == {"incident": incident}


async def test_get_decodes_a_lone_surrogate_as_a_replacement_character() -> None:
    # Half a surrogate pair cannot be encoded as UTF-8, so it could not be stored later.
    raw = rb'{"incident": {"name": "a \ud800 b \ud83d\ude00", "\\ud800": 1}}'

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw)

    async with IncidentIoClient.create(API_KEY, transport=httpx.MockTransport(answer)) as client:
        body = await client.get("/v2/incidents/1")
    assert body == {"incident": {"name": "a \ufffd b \U0001f600", "\\ud800": 1}}


async def test_get_with_numeric_reference(fake: FakeIncidentIo) -> None:
    async with fake.client() as client:
        body = await client.get("/v2/incidents/2")
    assert body["incident"]["reference"] == "INC-2"  # type: ignore[index]


async def test_429_honours_retry_after_seconds(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.rate_limit("/v2/incident_roles", retry_after="2")
    async with fake.client(sleep=sleep, retry=SEEDED) as client:
        body = await client.get("/v2/incident_roles")
        stats = client.stats

    assert len(body["incident_roles"]) == 2  # type: ignore[arg-type]
    assert sleep.calls == [2.0]
    assert (stats.calls, stats.retries, stats.rate_limit_waits, stats.seconds_waited) == (2, 1, 1, 2.0)


async def test_429_honours_retry_after_http_date(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.rate_limit_until("/v1/severities", fake.now() + timedelta(seconds=7))
    async with fake.client(sleep=sleep) as client:
        await client.get("/v1/severities")
    assert sleep.calls == [7.0]


async def test_429_without_retry_after_backs_off_at_least_a_second(
    fake: FakeIncidentIo, sleep: SleepRecorder
) -> None:
    fake.rate_limit("/v1/severities", retry_after=None)
    async with fake.client(sleep=sleep, retry=SEEDED) as client:
        await client.get("/v1/severities")
    assert len(sleep.calls) == 1
    assert sleep.calls[0] >= 1.0


async def test_429_until_exhausted_raises_rate_limited(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.rate_limit("/v1/severities", retry_after="3", times=None)
    async with fake.client(sleep=sleep, retry=RetryPolicy(max_attempts=4)) as client:
        with pytest.raises(IncidentIoRateLimited, match="after 4 attempt") as caught:
            await client.get("/v1/severities")
    assert caught.value.retry_after == 3.0
    assert sleep.calls == [3.0, 3.0, 3.0]
    assert len(fake.requests) == 4


async def test_429_asking_for_too_long_a_wait_fails_at_once(
    fake: FakeIncidentIo, sleep: SleepRecorder
) -> None:
    fake.rate_limit("/v1/severities", retry_after="3600")
    async with fake.client(sleep=sleep) as client:
        with pytest.raises(IncidentIoRateLimited) as caught:
            await client.get("/v1/severities")
    assert caught.value.retry_after == 3600.0
    assert sleep.calls == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_then_success(fake: FakeIncidentIo, sleep: SleepRecorder, status: int) -> None:
    fake.server_error("/v2/custom_fields", status=status, times=2)
    async with fake.client(sleep=sleep, retry=SEEDED) as client:
        body = await client.get("/v2/custom_fields")
        assert client.stats.retries == 2
    assert len(body["custom_fields"]) == 2  # type: ignore[arg-type]
    assert len(sleep.calls) == 2


async def test_backoff_is_full_jitter_and_exponential(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.server_error("/v2/custom_fields", times=5)
    policy = RetryPolicy(base_delay=1.0, max_delay=100.0, rng=random.Random(1))
    async with fake.client(sleep=sleep, retry=policy) as client:
        await client.get("/v2/custom_fields")
    expected_rng = random.Random(1)
    assert sleep.calls == [expected_rng.uniform(0, 2**n) for n in range(5)]


async def test_timeout_then_success(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.timeout("/v2/users")
    async with fake.client(sleep=sleep, retry=SEEDED) as client:
        pages = [page async for page in client.paginate("/v2/users")]
    assert len(pages) == 1
    assert fake.paths() == ["/v2/users", "/v2/users"]
    assert len(sleep.calls) == 1


async def test_timeouts_exhausted_raise_source_error_from_the_httpx_error(
    fake: FakeIncidentIo, sleep: SleepRecorder
) -> None:
    fake.timeout("/v2/users", times=None)
    async with fake.client(sleep=sleep, retry=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(SourceError, match="did not answer GET /v2/users after 3 attempt") as caught:
            await client.get("/v2/users")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert "api.incident.io" in str(caught.value)
    # It advised raising "the client timeout", which no setting changes.
    assert "timeout," not in str(caught.value)
    assert "PRECEDENT_INCIDENTIO_BASE_URL" in str(caught.value)


async def test_5xx_exhausted_raise_source_error(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.server_error("/v2/users", status=502, times=None)
    async with fake.client(sleep=sleep, retry=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(SourceError, match="failed GET /v2/users with 502 after 2") as caught:
            await client.get("/v2/users")
    assert not isinstance(caught.value, IncidentIoRateLimited)
    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)
    assert "Something went wrong" in str(caught.value)


async def test_transport_error_is_retried() -> None:
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"severities": []})

    http = httpx.AsyncClient(base_url="https://api.incident.io", transport=httpx.MockTransport(flaky))
    async with IncidentIoClient(http, sleep=SleepRecorder()) as client:
        assert await client.get("/v1/severities") == {"severities": []}
    assert len(attempts) == 2


async def test_401_is_not_retried_and_names_the_setting(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    fake.unauthorised()
    async with fake.client(sleep=sleep) as client:
        with pytest.raises(IncidentIoAuthError, match="rejected the API key \\(401\\)") as caught:
            await client.get("/v2/incidents")
    assert "PRECEDENT_INCIDENTIO_API_KEY" in str(caught.value)
    assert caught.value.status == 401
    assert caught.value.scope is None
    assert len(fake.requests) == 1
    assert sleep.calls == []


async def test_a_wrong_key_gets_401_from_the_fake() -> None:
    fake = FakeIncidentIo(api_key="the-right-key")
    async with IncidentIoClient.create("a-wrong-key", transport=httpx.MockTransport(fake)) as client:
        with pytest.raises(IncidentIoAuthError):
            await client.get("/v1/identity")


async def test_403_names_the_missing_scope(fake: FakeIncidentIo) -> None:
    fake.forbid("/v2/schedules")
    async with fake.client() as client:
        with pytest.raises(IncidentIoAuthError) as caught:
            await client.get("/v2/schedules")
        assert (await client.get("/v1/severities"))["severities"]  # other endpoints still work
    assert caught.value.status == 403
    assert caught.value.scope == "schedules.view"
    assert "schedules.view" in str(caught.value)
    assert "You do not have permission" in str(caught.value)


async def test_403_on_a_show_path_uses_the_template_scope(fake: FakeIncidentIo) -> None:
    doc = fake.fixtures.postmortem_documents[0]["id"]
    fake.forbid(f"/v1/postmortem_documents/{doc}/content")
    async with fake.client() as client:
        with pytest.raises(IncidentIoAuthError) as caught:
            await client.get(f"/v1/postmortem_documents/{doc}/content")
    assert caught.value.scope == "in_app_postmortems.copy_as_markdown"


async def test_other_4xx_is_not_retried(fake: FakeIncidentIo, sleep: SleepRecorder) -> None:
    async with fake.client(sleep=sleep) as client:
        with pytest.raises(SourceError, match="answered 404 to GET /v2/incidents/nope") as caught:
            await client.get("/v2/incidents/nope")
    assert "not found" in str(caught.value)
    assert "fake-request-id" in str(caught.value)
    # What a webhook's re-fetch meets when the key is another organisation's: say so.
    assert "belongs to another incident.io organisation" in str(caught.value)
    assert "PRECEDENT_INCIDENTIO_API_KEY" in str(caught.value)
    assert len(fake.requests) == 1


async def test_a_body_that_is_not_json_is_a_source_error() -> None:
    http = httpx.AsyncClient(
        base_url="https://api.incident.io",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>")),
    )
    async with IncidentIoClient(http) as client:
        with pytest.raises(SourceError, match="not JSON"):
            await client.get("/v1/severities")


async def test_unknown_fields_and_enum_values_pass_through(fake: FakeIncidentIo) -> None:
    fake.drift("/v2/incidents")
    async with fake.client() as client:
        pages = [page async for page in client.paginate("/v2/incidents")]
    body = pages[0]
    assert body["top_level_added_in_2027"] is True
    incident = body["incidents"][0]  # type: ignore[index]
    assert incident["mode"] == "future_standard"
    assert incident["incident_status"]["category"].startswith("future_")
    assert incident["field_added_in_2027"] == {"nested": [1, 2, 3]}


async def test_retries_are_logged_without_the_key(
    fake: FakeIncidentIo, caplog: pytest.LogCaptureFixture
) -> None:
    fake.rate_limit("/v1/severities", retry_after="2").server_error("/v1/severities", status=503, at=2)
    caplog.set_level(logging.DEBUG)
    async with fake.client() as client:
        await client.get("/v1/severities")

    retry_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("incidentio retry")]
    assert retry_lines[0] == "incidentio retry path=/v1/severities status=429 attempt=1/6 wait=2.00"
    assert retry_lines[1].startswith("incidentio retry path=/v1/severities status=503 attempt=2/6 wait=")
    assert all(API_KEY not in r.getMessage() for r in caplog.records)


async def test_stats_is_a_snapshot(fake: FakeIncidentIo) -> None:
    async with fake.client() as client:
        before = client.stats
        await client.get("/v1/severities")
    assert before.calls == 0
    assert client.stats.calls == 1
