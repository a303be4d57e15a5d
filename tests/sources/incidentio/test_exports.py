"""The public surface of precedent.sources.incidentio, which ``precedent sync`` builds on."""

from __future__ import annotations

import inspect

import precedent.sources.incidentio as incidentio
from precedent.errors import IncidentIoAuthError, SourceError


def test_all_is_exactly_the_public_surface() -> None:
    assert sorted(incidentio.__all__) == sorted(
        [
            "ClientStats",
            "DEFAULT_RETRY",
            "ENDPOINTS",
            "Endpoint",
            "FilterValue",
            "IncidentIoClient",
            "QueryParams",
            "QueryValue",
            "RateLimiter",
            "RetryPolicy",
            "endpoint_for",
            "filter_params",
            "parse_retry_after",
            "required_scopes",
        ]
    )
    for name in incidentio.__all__:
        assert getattr(incidentio, name) is not None


def test_stable_signatures() -> None:
    client = incidentio.IncidentIoClient
    assert list(inspect.signature(client.__init__).parameters) == [
        "self",
        "http",
        "limiter",
        "retry",
        "sleep",
        "clock",
    ]
    assert list(inspect.signature(client.create).parameters) == [
        "api_key",
        "base_url",
        "requests_per_minute",
        "timeout",
        "transport",
        "retry",
    ]
    assert list(inspect.signature(client.get).parameters) == ["self", "path", "params"]
    assert list(inspect.signature(client.paginate).parameters) == [
        "self",
        "path",
        "params",
        "page_size",
        "max_pages",
    ]
    assert list(inspect.signature(client.iter_schedule_entries).parameters) == [
        "self",
        "schedule_id",
        "window_start",
        "window_end",
        "max_pages",
    ]
    assert list(inspect.signature(incidentio.filter_params).parameters) == [
        "field",
        "operator",
        "value",
        "key",
    ]


def test_auth_error_carries_status_and_scope() -> None:
    error = IncidentIoAuthError("no", status=403, scope="schedules.view")
    assert isinstance(error, SourceError)
    assert (error.status, error.scope) == (403, "schedules.view")
    assert IncidentIoAuthError("plain").scope is None
