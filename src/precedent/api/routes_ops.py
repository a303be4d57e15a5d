"""Operations routes: readiness for orchestrators and Prometheus metrics for scrapers."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST

from precedent.api.auth import NO_TOKEN_NEEDED, scope_security
from precedent.api.errors import problem_responses
from precedent.errors import MetricsUnavailable, PrecedentError, StoreUnavailable
from precedent.ingest import BackgroundSync
from precedent.metrics import SYNC_LAST_SUCCESS, exposition, multiprocess_mode
from precedent.model import Viewer
from precedent.retrieval import SimilarIncidentFinder
from precedent.store import GraphStore
from precedent.webhooks import WebhookService

__all__ = ["OPS_ROUTES", "READY_TIMEOUT_SECONDS"]

READY_TIMEOUT_SECONDS = 5.0
# A scrape reads the map's sync record; a store that does not answer at once must not fail the scrape.
SYNC_RECORD_TIMEOUT_SECONDS = 1.0


@get(
    "/ready",
    operation_id="getReadiness",
    summary="Readiness",
    tags=["ops"],
    responses=problem_responses(503, public=True),
    security=NO_TOKEN_NEEDED,
)
async def ready(
    store: NamedDependency[GraphStore],
    finder: NamedDependency[SimilarIncidentFinder],
    webhooks: NamedDependency[WebhookService],
) -> dict[str, str]:
    """Readiness: the model is loaded, the store answers and webhook deliveries can be stored.

    Answers 503 (problem+json) while the app starts or stops (the runtime, which holds the loaded
    model and the migrated store, is not there yet), when the store stops answering, or when the
    webhook inbox could not be opened or its disk is all but full: a load balancer should send
    deliveries elsewhere rather than here, where each would be answered 503. Each check is cheap
    (a read, a flag, a statvfs).
    """
    del finder  # its presence is the check: it exists only once the model has loaded
    try:
        await asyncio.wait_for(store.get_meta("schema_version"), READY_TIMEOUT_SECONDS)
    except (PrecedentError, TimeoutError) as exc:
        raise StoreUnavailable(
            f"the store does not answer ({type(exc).__name__}); check it is running", for_clients=True
        ) from exc
    inbox = webhooks.require_inbox()  # not opened yet (its store down): deliveries would get 503
    try:
        full = await asyncio.wait_for(inbox.cannot_record(), READY_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise StoreUnavailable(
            "the webhook inbox's disk does not answer (TimeoutError); check its volume", for_clients=True
        ) from exc
    if full is not None:
        raise StoreUnavailable(full, for_clients=True)
    return {"status": "ready"}


# litestar appends "; charset=utf-8" to every text/* media type, and prometheus_client's constant
# carries one already: Prometheus 3 refuses a Content-Type that repeats a parameter, and the scrape.
METRICS_MEDIA_TYPE = "; ".join(
    part for part in CONTENT_TYPE_LATEST.split("; ") if not part.startswith("charset=")
)


@get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    tags=["ops"],
    opt={"scope": "metrics"},
    security=scope_security("metrics"),
    media_type=METRICS_MEDIA_TYPE,
    responses=problem_responses(503),
)
async def metrics(
    viewer: NamedDependency[Viewer], sync_if_open: NamedDependency[BackgroundSync | None]
) -> Response[bytes]:
    """Prometheus metrics in the text exposition format.

    Needs a token with the ``metrics`` scope (a scraper's, which reads nothing else) or ``read``,
    unless ``PRECEDENT_METRICS_PUBLIC=true``. The series that count private incidents' activity
    with the rest (``metrics.PRIVATE_SERIES``: records synced, deliveries, incident.io calls,
    builds, Slack messages) are served only to a token that may see private incidents
    (``read:private``). Under ``serve --workers N`` every worker answers
    with the sum over all of them.
    """
    if sync_if_open is not None:
        await _read_last_sync(sync_if_open)
    try:
        text = exposition(private_series=viewer.include_private)
    except (ValueError, FileNotFoundError) as exc:
        if not multiprocess_mode():
            raise
        # prometheus-client's words for a multiprocess directory that is not there any more
        # (a ValueError) or lost a file while it read: a traceback per scrape said neither.
        raise MetricsUnavailable from exc
    return Response(text, media_type=METRICS_MEDIA_TYPE)


async def _read_last_sync(sync: BackgroundSync) -> None:
    """Set the last-success gauge from the map's sync record.

    Syncs usually run as ``precedent sync`` from cron, another process: the gauge set only by
    this process's own runs read 0 after every restart, and an alert on its age always fired.
    """
    try:
        finished = await asyncio.wait_for(sync.last_success(), SYNC_RECORD_TIMEOUT_SECONDS)
    except (PrecedentError, TimeoutError):
        return  # the store is down: /ready says so; the scrape still answers
    if finished is not None:
        SYNC_LAST_SUCCESS.set(finished.timestamp())


OPS_ROUTES = [ready, metrics]
