"""The async incident.io API client: one request path with pacing, retries and error mapping.

Public surface, kept stable for ``precedent sync``:

- ``IncidentIoClient.create(api_key, *, base_url=..., requests_per_minute=1200, timeout=30.0,
  transport=None, retry=DEFAULT_RETRY)`` builds the ``httpx.AsyncClient``; or inject your own with
  ``IncidentIoClient(http, *, limiter=None, retry=DEFAULT_RETRY, sleep=asyncio.sleep,
  clock=time.monotonic)``. Use it as ``async with``; leaving closes the httpx client.
- ``await client.get(path, params=None) -> dict[str, object]``: one JSON object.
- ``client.paginate(path, *, params=None, page_size=None, max_pages=None)``: an async iterator
  of raw pages (whole response objects) following ``pagination_meta.after``. Works for
  unpaginated lists too (one page).
- ``client.iter_schedule_entries(schedule_id, window_start, window_end, *, max_pages=None)``:
  raw ``/v2/schedule_entries`` pages, following that endpoint's own cursor.
- ``client.stats``: a :class:`ClientStats` snapshot for the sync summary.
- Filters come from ``filters.filter_params``.

A 429's ``Retry-After`` (seconds or an HTTP-date) pauses every request of the client, because
incident.io's limit is per API key: no request is sent before the pause ends.

Responses are returned as raw dicts with no strict parsing: incident.io adds fields and enum values
without notice, and mapping them is ``ingest``'s job. Errors: ``IncidentIoAuthError`` (401; 403
with ``.scope`` naming the missing scope), ``IncidentIoRateLimited`` (429 after retries) and
``SourceError`` (anything else).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Self

import httpx

from precedent import __version__
from precedent.errors import ConfigError, SourceError
from precedent.metrics import INCIDENTIO_REQUESTS, INCIDENTIO_RETRIES
from precedent.sources.incidentio.decoding import decode_json
from precedent.sources.incidentio.endpoints import ENDPOINTS
from precedent.sources.incidentio.failures import (
    auth_error,
    exhausted_error,
    rate_limited_error,
    status_error,
)
from precedent.sources.incidentio.pagination import count_items, next_cursor, page_size_for
from precedent.sources.incidentio.ratelimit import RateLimiter, RateLimitPause
from precedent.sources.incidentio.retry import DEFAULT_RETRY, RetryPolicy, http_date, parse_retry_after

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from datetime import datetime
    from types import TracebackType

    from precedent.sources.incidentio.filters import QueryParams, QueryValue

__all__ = ["ClientStats", "IncidentIoClient"]

logger = logging.getLogger("precedent.sources.incidentio")

DEFAULT_BASE_URL = "https://api.incident.io"


@dataclass
class ClientStats:
    """Counters for one client's lifetime, for the sync summary.

    Attributes:
        calls: HTTP requests sent (retries included).
        retries: Requests re-sent after a 429, a 5xx, a timeout or a transport error.
        rate_limit_waits: 429s from incident.io that paused the whole client for their wait.
        throttle_waits: Waits imposed by the client-side token bucket.
        seconds_waited: Total seconds slept by all requests, for any of these reasons.
    """

    calls: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    throttle_waits: int = 0
    seconds_waited: float = 0.0


class IncidentIoClient:
    """Reads incident.io's REST API through one injected ``httpx.AsyncClient``.

    The constructor only stores its collaborators; no I/O happens until the first call.

    Args:
        http: The httpx client, already carrying base URL, bearer auth and timeout
            (:meth:`create` builds one).
        limiter: Client-side pacing; ``None`` sends as fast as incident.io answers.
        retry: How often and how long to retry.
        sleep: Awaitable sleep used for every wait; tests inject a recorder.
        clock: Monotonic seconds: when a 429's pause ends, and request times in debug logs.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._stats = ClientStats()
        self._pause = RateLimitPause(clock=clock, sleep=sleep)

    @classmethod
    def create(
        cls,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        requests_per_minute: int = 1200,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> IncidentIoClient:
        """Build a client with its own ``httpx.AsyncClient`` and token bucket.

        Args:
            api_key: The incident.io API key (sent as ``Authorization: Bearer``; never logged).
            base_url: The API root.
            requests_per_minute: Client-side pacing; incident.io allows 1200 per key.
            timeout: Seconds for each read, write and pool wait (connect is capped at 10 s).
            transport: An httpx transport, e.g. ``httpx.MockTransport`` in tests.
            retry: The retry policy.

        Raises:
            ConfigError: If ``api_key`` is empty.
        """
        if not api_key.strip():
            raise ConfigError(
                "PRECEDENT_INCIDENTIO_API_KEY is empty; create a read-only key at "
                "https://app.incident.io/settings/api-keys and set it."
            )
        http = httpx.AsyncClient(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": f"precedent/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=transport,
        )
        return cls(http, limiter=RateLimiter(requests_per_minute), retry=retry)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying httpx client."""
        await self._http.aclose()

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the counters so far."""
        return replace(self._stats)

    async def get(self, path: str, params: QueryParams | None = None) -> dict[str, object]:
        """``GET path`` and return the JSON object it answers.

        Args:
            path: The endpoint path, e.g. ``/v2/incidents/01H…``.
            params: Query parameters; build filters with ``filter_params``.

        Returns:
            The decoded response object, unknown fields and enum values included.

        Raises:
            IncidentIoAuthError: On 401, or 403 (``.scope`` names the missing scope).
            IncidentIoRateLimited: If 429s outlast the retry policy.
            SourceError: On any other failure, after retries where retrying makes sense.
        """
        response = await self._send(path, params)
        try:
            body = decode_json(response.content)
        except ValueError as exc:
            raise SourceError(
                f"incident.io answered GET {path} with a body that is not JSON; "
                "check the base URL points at the incident.io API."
            ) from exc
        if not isinstance(body, dict):
            raise SourceError(f"incident.io answered GET {path} with JSON that is not an object.")
        return body

    async def paginate(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        page_size: int | None = None,
        max_pages: int | None = None,
    ) -> AsyncIterator[dict[str, object]]:
        """Yield each raw page of a list endpoint, following ``pagination_meta.after``.

        Stops when the cursor is missing or empty, when a page holds no records, when a cursor
        repeats (logged as a warning: the server is looping), or after ``max_pages`` pages.

        Args:
            path: A list endpoint, e.g. ``/v2/incidents``.
            params: Filters and other query parameters (an ``after`` here is the starting cursor).
            page_size: Records per page; defaults to, and is clamped at, the endpoint's cap.
            max_pages: Stop after this many pages.

        Yields:
            Whole response objects, so callers also see e.g. ``catalog_type``.

        Raises:
            The same errors as :meth:`get`.
        """
        query: dict[str, QueryValue | list[QueryValue]] = _mutable(params)
        size = page_size_for(path, page_size if page_size is not None else _int_param(query, path))
        if size is not None:
            query["page_size"] = size
        async for page in self._walk(path, query, "after", max_pages):
            yield page

    async def iter_schedule_entries(
        self,
        schedule_id: str,
        window_start: datetime,
        window_end: datetime,
        *,
        max_pages: int | None = None,
    ) -> AsyncIterator[dict[str, object]]:
        """Yield raw ``/v2/schedule_entries`` pages for one schedule over a window.

        This endpoint paginates differently: the cursor in ``pagination_meta.after`` goes back as
        ``entry_window_start`` with the original ``entry_window_end``. ``after_url`` is not
        followed: it is an absolute URL, and following it would send the API key to whatever host
        it names.

        Args:
            schedule_id: The schedule.
            window_start: Start of the window (timezone-aware).
            window_end: End of the window (timezone-aware).
            max_pages: Stop after this many pages.

        Yields:
            Whole responses: ``{"schedule_entries": {"scheduled", "overrides", "final"},
            "pagination_meta"?}``.

        Raises:
            ValueError: If a window bound is naive.
            The same errors as :meth:`get`.
        """
        entries = ENDPOINTS["schedule_entries"]
        query: dict[str, QueryValue | list[QueryValue]] = {
            **entries.of_parent(schedule_id),
            "entry_window_start": _timestamp(window_start),
            "entry_window_end": _timestamp(window_end),
        }
        async for page in self._walk(entries.path, query, entries.cursor_param, max_pages):
            yield page

    async def _walk(
        self,
        path: str,
        query: dict[str, QueryValue | list[QueryValue]],
        cursor_param: str,
        max_pages: int | None,
    ) -> AsyncIterator[dict[str, object]]:
        """Fetch pages, sending each page's ``pagination_meta.after`` back as ``cursor_param``."""
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages}")
        seen: set[str] = set()
        pages = 0
        while True:
            page = await self.get(path, query)
            pages += 1
            yield page
            cursor = next_cursor(page)
            if cursor is None or count_items(page) == 0:
                return
            if cursor in seen or cursor == query.get(cursor_param):
                logger.warning("incidentio repeated cursor path=%s after=%s pages=%d", path, cursor, pages)
                return
            if max_pages is not None and pages >= max_pages:
                logger.info("incidentio max_pages reached path=%s pages=%d", path, pages)
                return
            seen.add(cursor)
            query[cursor_param] = cursor

    async def _send(self, path: str, params: QueryParams | None) -> httpx.Response:
        """Send ``GET path`` until it succeeds, fails for good, or the retry policy runs out."""
        policy = self._retry
        for attempt in range(1, policy.max_attempts + 1):
            await self._throttle()
            await self._hold()
            self._stats.calls += 1
            started = self._clock()
            try:
                response = await self._http.get(path, params=params)
            except httpx.TransportError as exc:  # timeouts are TransportErrors too
                INCIDENTIO_REQUESTS.labels(_endpoint(path), "error").inc()
                if attempt == policy.max_attempts:
                    raise exhausted_error(path, exc, attempt, self._http.base_url.host) from exc
                await self._wait_before_retry(path, type(exc).__name__, attempt, policy.backoff(attempt))
                continue
            logger.debug(
                "incidentio call path=%s status=%d elapsed=%.3f",
                path,
                response.status_code,
                self._clock() - started,
            )
            status = response.status_code
            INCIDENTIO_REQUESTS.labels(_endpoint(path), str(status)).inc()
            if status < 300:
                return response
            if status in (401, 403):
                raise auth_error(path, response)
            if status == 429:
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), now=http_date(response.headers.get("Date"))
                )
                if (retry_after or 0.0) > policy.max_retry_after:
                    raise rate_limited_error(path, retry_after, attempt)
                # The limit is the key's: every request of this client waits, not just this one.
                wait = policy.rate_limit_wait(retry_after, attempt)
                self._pause.extend(wait)
                if attempt == policy.max_attempts:
                    raise rate_limited_error(path, retry_after, attempt)
                self._stats.rate_limit_waits += 1
                self._log_retry(path, "429", attempt, wait)
                continue
            if status >= 500 and attempt < policy.max_attempts:
                await self._wait_before_retry(path, str(status), attempt, policy.backoff(attempt))
                continue
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError as exc:
                raise status_error(path, response, attempt) from exc
            raise status_error(path, response, attempt)  # a 1xx/3xx that httpx does not raise for
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _throttle(self) -> None:
        if self._limiter is None:
            return
        waited = await self._limiter.acquire()
        if waited > 0:
            self._stats.throttle_waits += 1
            self._stats.seconds_waited += waited

    async def _hold(self) -> None:
        """Wait out a pause a 429 (to this request or any other) put on the whole client."""
        waited = await self._pause.wait()
        self._stats.seconds_waited += waited

    def _log_retry(self, path: str, status: str, attempt: int, wait: float) -> None:
        logger.warning(
            "incidentio retry path=%s status=%s attempt=%d/%d wait=%.2f",
            path,
            status,
            attempt,
            self._retry.max_attempts,
            wait,
        )
        self._stats.retries += 1
        reason = "rate_limited" if status == "429" else "server_error" if status.isdigit() else "transport"
        INCIDENTIO_RETRIES.labels(reason).inc()

    async def _wait_before_retry(self, path: str, status: str, attempt: int, wait: float) -> None:
        self._log_retry(path, status, attempt, wait)
        self._stats.seconds_waited += wait
        await self._sleep(wait)


def _endpoint(path: str) -> str:
    """The endpoint family of ``path`` (``/v2/incidents/01H..`` -> ``/v2/incidents``), a bounded label."""
    return "/".join(path.split("?", 1)[0].split("/")[:3])


def _mutable(params: QueryParams | None) -> dict[str, QueryValue | list[QueryValue]]:
    if params is None:
        return {}
    return {
        key: value if isinstance(value, (str, int, float, bool)) else list(value)
        for key, value in params.items()
    }


def _int_param(query: dict[str, QueryValue | list[QueryValue]], path: str) -> int | None:
    value = query.get("page_size")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"page_size for {path} must be an integer, got {value!r}")


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"schedule windows must be timezone-aware, got {value.isoformat()}")
    return value.isoformat().replace("+00:00", "Z")
