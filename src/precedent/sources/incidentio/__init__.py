"""incident.io as a source: the async API client, its pacing, retries, pagination and filters.

Start with :class:`IncidentIoClient` (see ``client.py`` for the stable surface ``precedent sync``
builds on), :func:`filter_params`, and :data:`ENDPOINTS`, the one registry of the endpoints Precedent
reads (path, body key, paging, scope, export file).
"""

from precedent.sources.incidentio.client import ClientStats, IncidentIoClient
from precedent.sources.incidentio.endpoints import ENDPOINTS, Endpoint, endpoint_for, required_scopes
from precedent.sources.incidentio.filters import FilterValue, QueryParams, QueryValue, filter_params
from precedent.sources.incidentio.ratelimit import RateLimiter
from precedent.sources.incidentio.retry import DEFAULT_RETRY, RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_RETRY",
    "ENDPOINTS",
    "ClientStats",
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
