"""Every Prometheus metric Precedent exports, in one registry any layer may increment.

It sits beside ``model`` at the bottom of the layers so that sources (incident.io calls), ingest
(sync progress, the webhook inbox) and investigation (build time) can record what they do without
importing the API; ``api/routes_ops.py`` serves ``exposition()`` at ``/metrics``.

Label values are kept to small, fixed sets (a route *template*, an outcome word): a label per
incident or per token would grow the series without bound.

Under ``precedent serve --workers N`` the workers are separate processes, and a scrape reaches
whichever one accepts it. ``serve`` then sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers
start, so prometheus-client (which reads it when imported) keeps every value in a per-process file
there, and ``exposition`` sums the files of every worker: counters and histograms add up across
processes, each gauge says how its processes' values combine (``multiprocess_mode``).
"""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Metric,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
    values,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "AUTH_FAILURES",
    "INBOX_DEPTH",
    "INBOX_OLDEST_AGE",
    "INBOX_PRUNED",
    "INCIDENTIO_REQUESTS",
    "INCIDENTIO_RETRIES",
    "INVESTIGATION_BUILD_SECONDS",
    "PRIVATE_SERIES",
    "REGISTRY",
    "REQUEST_DURATION",
    "SLACK_MESSAGES",
    "SYNC_IN_PROGRESS",
    "SYNC_LAST_SUCCESS",
    "SYNC_RECORDS",
    "WEBHOOK_DELIVERIES",
    "WEBHOOK_ROUTE",
    "exposition",
    "forget_this_process",
    "multiprocess_mode",
]

REGISTRY = CollectorRegistry()
"""Precedent's own registry (not prometheus-client's global one), so tests and embedders of the
package see exactly these series."""
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUEST_DURATION = Histogram(
    "precedent_http_request_duration_seconds",
    "HTTP request latency by route template, method and status code.",
    ("route", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "precedent_auth_failures_total",
    "Refused API requests by reason: missing, malformed, unknown, revoked, expired, insufficient_scope.",
    ("reason",),
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "precedent_webhook_deliveries_total",
    "incident.io webhook deliveries by outcome "
    "(accepted, duplicate, ignored, bad_signature, stale, malformed, disabled, failed).",
    ("outcome",),
    registry=REGISTRY,
)
# Every worker measures the one shared inbox: report the highest reading of the live ones.
INBOX_DEPTH = Gauge(
    "precedent_inbox_depth",
    "Webhook deliveries persisted but not yet applied to the map.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
INBOX_OLDEST_AGE = Gauge(
    "precedent_inbox_oldest_age_seconds",
    "Age of the oldest webhook delivery not yet applied (0 when the inbox is empty).",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
INBOX_PRUNED = Counter(
    "precedent_inbox_pruned_total",
    "Finished webhook deliveries deleted from the inbox after PRECEDENT_WEBHOOK_RETENTION_DAYS.",
    registry=REGISTRY,
)
INVESTIGATION_BUILD_SECONDS = Histogram(
    "precedent_investigation_build_seconds",
    "Time to build one incident investigation.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
SYNC_RECORDS = Counter(
    "precedent_sync_records_total",
    "incident.io records fetched by sync, by resource (incidents, follow_ups, catalog_entries, ...).",
    ("resource",),
    registry=REGISTRY,
)
SYNC_IN_PROGRESS = Gauge(
    "precedent_sync_in_progress",
    "Syncs running (0 or 1 per process; summed over the live workers).",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
SYNC_LAST_SUCCESS = Gauge(
    "precedent_sync_last_success_timestamp_seconds",
    "Unix time the last sync finished without error.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
INCIDENTIO_REQUESTS = Counter(
    "precedent_incidentio_requests_total",
    "Requests to the incident.io API by endpoint family and HTTP status (or 'error' on transport failure).",
    ("endpoint", "status"),
    registry=REGISTRY,
)
INCIDENTIO_RETRIES = Counter(
    "precedent_incidentio_retries_total",
    "Retried incident.io requests by reason (rate_limited, server_error, transport).",
    ("reason",),
    registry=REGISTRY,
)
SLACK_MESSAGES = Counter(
    "precedent_slack_messages_total",
    "Investigations published to Slack by outcome "
    "(posted, updated, superseded, adopted, no_channel, redrawn, no_message, failed, refused).",
    ("outcome",),
    registry=REGISTRY,
)


def multiprocess_mode() -> bool:
    """Whether prometheus-client keeps this process's values in files shared with other workers.

    prometheus-client decides once, when imported, from ``PROMETHEUS_MULTIPROC_DIR``; asking it
    (rather than the environment) gives the answer its metrics actually follow.
    """
    return values.ValueClass is not values.MutexValue


WEBHOOK_ROUTE = "/v1/webhooks/incident-io"
"""The webhook receiver's route: each request to it is a delivery from incident.io."""

PRIVATE_SERIES: Mapping[str, Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        # Counted with the public ones' (records synced, deliveries and the requests carrying
        # them, deliveries waiting, incident.io calls, builds, Slack messages): set beside what a
        # viewer of public incidents reads (GET /v1/stats, the incidents' updated_at, the
        # investigation list), they say how many private incidents there are and when they change.
        "precedent_sync_records": {},
        "precedent_webhook_deliveries": {},
        "precedent_http_request_duration_seconds": {"route": frozenset({WEBHOOK_ROUTE})},
        "precedent_inbox_depth": {},
        "precedent_inbox_oldest_age_seconds": {},
        "precedent_incidentio_requests": {},
        "precedent_incidentio_retries": {},
        "precedent_investigation_build_seconds": {},
        "precedent_slack_messages": {},
    }
)
"""The series that move with private incidents' activity, served only to a viewer who may see
private incidents: a metric family, and the label values that make one of its series so (none:
every series). The API's use, authentication failures, whether a sync runs and when one last
succeeded, and the process's resources say nothing of any incident."""


class _PublicSeries:
    """A registry's metrics less ``PRIVATE_SERIES`` (a collector for a registry of its own)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():
            private = PRIVATE_SERIES.get(metric.name)
            if private is None:
                yield metric
                continue
            public = Metric(metric.name, metric.documentation, metric.type, metric.unit)
            public.samples = [
                sample
                for sample in metric.samples
                if private and not any(sample.labels.get(k) in values for k, values in private.items())
            ]
            if public.samples:
                yield public


def exposition(*, private_series: bool = True) -> bytes:
    """The metrics in Prometheus's text format: this process's, or the sum over every worker's files.

    In multiprocess mode the per-process collectors (CPU, memory, file descriptors) are left out:
    they describe whichever worker answered the scrape, and summing them would mean nothing.

    Args:
        private_series: Include ``PRIVATE_SERIES`` (for a viewer who may see private incidents).
    """
    registry = REGISTRY
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if not private_series:
        source, registry = registry, CollectorRegistry()
        registry.register(_PublicSeries(source))
    return generate_latest(registry)


def forget_this_process() -> None:
    """Drop this worker's live gauges from the shared files as it exits (multiprocess mode only).

    Counters and histograms stay: what a worker counted before exiting still happened.
    """
    if multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
