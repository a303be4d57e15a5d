"""incident.io as a source: the async API client, its pacing, retries, pagination and filters.

Start with :class:`IncidentIoClient` (see ``client.py`` for the stable surface ``precedent sync``
builds on) and :func:`filter_params`.
"""

from precedent.sources.incidentio.client import ClientStats, IncidentIoClient
from precedent.sources.incidentio.filters import FilterValue, QueryParams, QueryValue, filter_params
from precedent.sources.incidentio.pagination import PAGE_SIZE_CAPS
from precedent.sources.incidentio.ratelimit import RateLimiter
from precedent.sources.incidentio.retry import DEFAULT_RETRY, RetryPolicy, parse_retry_after
from precedent.sources.incidentio.scopes import ENDPOINT_SCOPES, required_scopes

__all__ = [
    "DEFAULT_RETRY",
    "ENDPOINT_SCOPES",
    "PAGE_SIZE_CAPS",
    "ClientStats",
    "FilterValue",
    "IncidentIoClient",
    "QueryParams",
    "QueryValue",
    "RateLimiter",
    "RetryPolicy",
    "filter_params",
    "parse_retry_after",
    "required_scopes",
]
