"""Readiness, Prometheus metrics, request ids and the one structured log line per request."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from prometheus_client.parser import text_string_to_metric_families

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.cli.logs import JsonFormatter, RedactSecrets
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import StoreUnavailable
from precedent.ingest import SyncBoard, SyncSummary
from precedent.metrics import (
    INCIDENTIO_REQUESTS,
    INCIDENTIO_RETRIES,
    INVESTIGATION_BUILD_SECONDS,
    PRIVATE_SERIES,
    REGISTRY,
    SLACK_MESSAGES,
    SYNC_RECORDS,
    WEBHOOK_DELIVERIES,
    WEBHOOK_ROUTE,
)
from precedent.store.embedded import MIN_FREE_BYTES, EmbeddedStore, SqliteInbox
from tests.api.conftest import running
from tests.support.webhook_services import receiver_only

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from precedent.store import GraphStore
    from tests.api.conftest import Api


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_by_route_template_and_auth_failures(api: Api) -> None:
    route = {"route": "/v1/incidents/{incident}", "method": "GET", "status": "200"}
    before = _sample("precedent_http_request_duration_seconds_count", **route)
    missing = _sample("precedent_auth_failures_total", reason="missing")
    revoked = _sample("precedent_auth_failures_total", reason="revoked")
    scope = _sample("precedent_auth_failures_total", reason="insufficient_scope")
    for reference in ("INC-1", "inc-1"):
        assert (
            await api.client.get(f"/v1/incidents/{reference}", headers=api.auth(api.tokens.read))
        ).is_success
    await api.client.get("/v1/stats")
    await api.client.get("/v1/stats", headers=api.auth(api.tokens.revoked))
    await api.client.get("/v1/stats", headers=api.auth(api.tokens.write))

    scrape = await api.client.get("/metrics", headers=api.auth(api.tokens.read))
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    assert 'precedent_http_request_duration_seconds_bucket{le="0.005",method="GET"' in scrape.text
    assert "precedent_auth_failures_total" in scrape.text
    assert _sample("precedent_http_request_duration_seconds_count", **route) == before + 2
    assert _sample("precedent_auth_failures_total", reason="missing") == missing + 1
    assert _sample("precedent_auth_failures_total", reason="revoked") == revoked + 1
    assert _sample("precedent_auth_failures_total", reason="insufficient_scope") == scope + 1
    # Ids never become label values: one series per route template.
    assert "/v1/incidents/INC-1" not in scrape.text
    assert api.tokens.read not in scrape.text


async def test_metrics_public_when_configured(tmp_path: Path, embedded_store: GraphStore) -> None:
    for public, status in ((True, 200), (False, 401)):
        settings = Settings(data_dir=tmp_path, metrics_public=public, _env_file=None)  # type: ignore[call-arg]
        app = create_app(settings, store=embedded_store, embedder=HashEmbedder(dimensions=384))
        async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            scrape = await client.get("http://testserver/metrics")
            assert scrape.status_code == status
            if public:  # served as to a read token: nothing that counts private incidents' activity
                assert "precedent_webhook_deliveries" not in scrape.text
            assert (await client.get("http://testserver/v1/stats")).status_code == 401


async def test_ready_when_the_store_answers_503_when_not(tmp_path: Path, embedded_store: GraphStore) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, store=embedded_store, embedder=HashEmbedder(dimensions=384))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        starting = await client.get("/ready")
        assert starting.status_code == 503
        assert starting.headers["content-type"].startswith("application/problem+json")
        async with running(app):
            assert (await client.get("/ready")).json() == {"status": "ready"}
            await embedded_store.close()
            down = await client.get("/ready")
            assert down.status_code == 503
            assert "store does not answer" in down.json()["detail"]
            assert (await client.get("/health")).status_code == 200


async def test_not_ready_while_the_webhook_inbox_disk_is_all_but_full(
    tmp_path: Path, embedded_store: GraphStore
) -> None:
    free = [10 * MIN_FREE_BYTES]
    read: list[Path] = []

    def space(directory: Path) -> int:
        read.append(directory)
        return free[0]

    embedder = HashEmbedder(dimensions=384)
    inbox = SqliteInbox(tmp_path / "webhooks.sqlite", space=space)
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    service = receiver_only(inbox, embedded_store, embedder)
    app = create_app(settings, store=embedded_store, embedder=embedder, webhooks=service)
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        assert (await client.get("/ready")).json() == {"status": "ready"}
        free[0] = MIN_FREE_BYTES - 1
        full = await client.get("/ready")
        assert full.status_code == 503
        assert full.headers["content-type"].startswith("application/problem+json")
        detail = full.json()["detail"]
        assert "webhook inbox's disk has 63 MiB free" in detail
        assert "free disk space" in detail
        assert "PRECEDENT_DATA_DIR" in detail
        assert str(tmp_path) not in full.text
        free[0] = MIN_FREE_BYTES
        assert (await client.get("/ready")).json() == {"status": "ready"}
    assert read == [tmp_path] * 3  # the inbox's volume, read once per probe


async def test_request_id_is_echoed_or_generated(api: Api) -> None:
    given = await api.client.get("/health", headers={"X-Request-ID": "req-42.a"})
    assert given.headers["x-request-id"] == "req-42.a"
    generated = await api.client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await api.client.get("/health", headers={"X-Request-ID": "a b\tinjected=1"})
    assert unsafe.headers["x-request-id"] != "a b\tinjected=1"
    refused = await api.client.get("/v1/stats", headers={"X-Request-ID": "req-401"})
    assert refused.headers["x-request-id"] == "req-401"


async def test_one_json_log_line_per_request_without_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret = api.tokens.read
    # The token also sits in an unknown query parameter: refused (400), and still never logged.
    await api.client.get(
        "/v1/incidents/INC-1", headers={**api.auth(secret), "X-Request-ID": "req-7"}, params={"x": secret}
    )
    await api.client.get("/v1/stats", headers=api.auth(api.tokens.expired))
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "precedent.api.access"]
    assert len(lines) == 2
    ok, refused = lines
    assert ok["request_id"] == "req-7"
    assert (ok["method"], ok["route"], ok["status"], ok["viewer"]) == (
        "GET",
        "/v1/incidents/{incident}",
        400,
        "reader",
    )
    assert isinstance(ok["duration_ms"], float)
    assert (refused["status"], refused["viewer"]) == (401, None)
    assert refused["message"].endswith("request_id=" + refused["request_id"] + " viewer=-")
    # Everything the server side logged (httpx's lines here are the test client's own).
    everything = "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith("httpx"))
    assert secret not in everything
    assert api.tokens.expired not in everything


def test_secrets_are_masked_whatever_logs_them() -> None:
    record = logging.LogRecord(
        "httpx", logging.DEBUG, __file__, 1, "sent %s with %s", ("Bearer abc.def", "prec_" + "x" * 43), None
    )
    assert RedactSecrets().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent [redacted] with [redacted]"
    slack = logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, "token=%s", ("xoxb-1-2-abcDEF",), None)
    assert RedactSecrets().filter(slack)
    assert slack.getMessage() == "token=[redacted]"


def test_building_the_app_keeps_the_entry_points_logging(tmp_path: Path) -> None:
    # The CLI configures logging (JSON or text, secrets redacted) before it builds the app; the
    # app must not swap the root handlers for a framework's own format.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        create_app(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
        assert (root.handlers, root.level) == (handlers, level)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


async def test_metrics_content_type_names_each_parameter_once(api: Api) -> None:
    # Prometheus 3 parses the scrape's Content-Type with Go's mime.ParseMediaType, which refuses a
    # repeated parameter ("mime: duplicate parameter name") and then fails the whole scrape.
    scrape = await api.client.get("/metrics", headers=api.auth(api.tokens.read))
    media_type, *parameters = (part.strip() for part in scrape.headers["content-type"].split(";"))
    names = [parameter.split("=", 1)[0].lower() for parameter in parameters]
    assert media_type == "text/plain"
    assert sorted(names) == sorted(set(names)), scrape.headers["content-type"]
    assert "version" in names


def _series(scrape: httpx.Response) -> set[tuple[str, str | None]]:
    """Each family scraped, with the route of its series where it has one."""
    assert scrape.status_code == 200
    families = text_string_to_metric_families(scrape.text)
    return {(f.name, s.labels.get("route")) for f in families for s in f.samples}


async def test_metrics_count_private_incidents_activity_only_for_a_token_that_may_see_them(api: Api) -> None:
    # Each counts (or times, or holds) private incidents' work with the public ones': compared
    # with GET /v1/stats, the incidents' updated_at or the investigation list, they would tell a
    # read token how many private incidents there are and when they change (as /v1/stats/sync
    # leaves out for it). A delivery is also a request to the receiver's route.
    SYNC_RECORDS.labels("incidents").inc(2)
    WEBHOOK_DELIVERIES.labels("accepted").inc()
    INCIDENTIO_REQUESTS.labels("/v2/incidents", "200").inc()
    INCIDENTIO_RETRIES.labels("transport").inc()
    INVESTIGATION_BUILD_SECONDS.observe(0.2)
    SLACK_MESSAGES.labels("posted").inc()
    await api.client.post(WEBHOOK_ROUTE, content=b"{}")
    private = {name for name in PRIVATE_SERIES if name != "precedent_http_request_duration_seconds"}

    # A scraper's own token (``metrics``) sees what a reader's does; with ``read:private``, all.
    private_scraper = await TokenRegistry(api.store).create(["metrics", "read:private"], name="scraper-p")

    read = _series(await api.client.get("/metrics", headers=api.auth(api.tokens.read)))
    scraper = _series(await api.client.get("/metrics", headers=api.auth(api.tokens.metrics)))
    allowed = _series(await api.client.get("/metrics", headers=api.auth(api.tokens.private)))
    scraper_allowed = _series(await api.client.get("/metrics", headers=api.auth(private_scraper.secret)))

    assert private <= {name for name, _ in allowed}
    assert private <= {name for name, _ in scraper_allowed}
    assert not private & {name for name, _ in read}
    assert not private & {name for name, _ in scraper}
    receiver = ("precedent_http_request_duration_seconds", WEBHOOK_ROUTE)
    assert receiver in allowed
    assert receiver in scraper_allowed
    assert receiver not in read
    assert receiver not in scraper
    assert ("precedent_http_request_duration_seconds", "/metrics") in read  # the API's use
    # Whether a sync runs, refused requests and the process's resources are no count of incidents.
    for name in ("precedent_sync_in_progress", "precedent_auth_failures", "process_cpu_seconds"):
        assert name in {n for n, _ in read}


class _TokensUnreadable(EmbeddedStore):
    """An embedded store whose meta reads (token lookups among them) fail once ``down`` is set."""

    down = False

    async def get_meta(self, key: str) -> str | None:
        if self.down:
            raise StoreUnavailable("Neo4j at bolt://db:7687 is unreachable while reading a meta value")
        return await super().get_meta(key)


async def test_a_token_the_store_cannot_look_up_is_logged_and_counted_as_the_503_it_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The lookup fails in the auth middleware; Litestar answered that outside the request
    # observer, which had already logged and counted a 500, and sent no request id.
    store = _TokensUnreadable(tmp_path / "graph", dimensions=384)
    await store.open()
    try:
        read = await TokenRegistry(store).create(["read"], name="reader")
        settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
        app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=384))
        route = {"route": "/v1/stats", "method": "GET", "status": "503"}
        before = _sample("precedent_http_request_duration_seconds_count", **route)
        caplog.set_level(logging.INFO)
        transport = httpx.ASGITransport(app=app)
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            store.down = True
            response = await client.get("/v1/stats", headers={"Authorization": f"Bearer {read.secret}"})
    finally:
        store.down = False
        await store.close()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.headers["x-request-id"]
    assert _sample("precedent_http_request_duration_seconds_count", **route) == before + 1
    [line] = [r.fields for r in caplog.records if r.name == "precedent.api.access"]  # type: ignore[attr-defined]
    assert line["status"] == 503
    assert line["request_id"] == response.headers["x-request-id"]


async def test_the_last_sync_gauge_reads_a_sync_another_process_ran_on_the_map(api: Api) -> None:
    # `precedent sync` from cron is another process: the serving one's gauge stayed 0, so an
    # alert on its age fired after every restart however recently the map was synced.
    ended = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    board = SyncBoard(api.store, clock=lambda: ended)
    await board.finish(await board.claim(), [], [], report=SyncSummary(calls=3), error=None)

    scrape = await api.client.get("/metrics", headers=api.auth(api.tokens.read))

    assert scrape.status_code == 200
    assert _scraped(scrape.text, "precedent_sync_last_success_timestamp_seconds") == ended.timestamp()

    failed_at = ended + timedelta(hours=1)
    failing = SyncBoard(api.store, clock=lambda: failed_at)
    await failing.finish(await failing.claim(), [], [], report=None, error="incident.io answered 503")

    scrape = await api.client.get("/metrics", headers=api.auth(api.tokens.read))

    # A failed run is no success: the gauge keeps the last one it knew.
    assert _scraped(scrape.text, "precedent_sync_last_success_timestamp_seconds") == ended.timestamp()


def _scraped(text: str, name: str) -> float:
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    return next(s.value for s in samples if s.name == name)
