"""An in-process fake incident.io API for tests: spec-validated fixtures, real cursors, scripted faults.

``FakeIncidentIo`` is an ``httpx.MockTransport`` handler. It serves the records of an
``IncidentIoFixtures`` (default: ``small_organisation()``) per endpoint, pages them with real
``after`` cursors, records every request, and checks the bearer key. **Every body it serves is
validated against the official spec's response schema first**; an off-spec fixture raises
``SpecViolation`` into the test instead of being served.

Script faults per path (``at`` = the n-th request to that path, 1-based; ``times=None`` = forever)::

    fake = FakeIncidentIo()
    fake.rate_limit("/v2/incidents", retry_after="2")            # 429, Retry-After: 2
    fake.rate_limit_until("/v2/incidents", fake.now() + timedelta(seconds=7))  # HTTP-date
    fake.server_error("/v2/users", status=503)                   # then succeeds
    fake.timeout("/v2/users")                                    # raises httpx.ReadTimeout
    fake.unauthorised()                                          # 401 for everything
    fake.forbid("/v2/schedules")                                 # 403 for that path, forever
    fake.repeat_cursor("/v2/incidents", at=2)                    # page 2 repeats its cursor
    fake.empty_page("/v2/incidents", at=2)                       # page 2 is empty (cursor kept)
    fake.drift("/v2/incidents")                                  # unknown fields + enum values
    fake.rate_limit_every(7)                      # every 7th request, any path: 429 for 1 s
    async with fake.client(sleep=SleepRecorder()) as client: ...
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from precedent.sources.incidentio import IncidentIoClient, parse_retry_after
from precedent.sources.incidentio.retry import http_date
from tests.support.incidentio_fixtures import IncidentIoFixtures, small_organisation
from tests.support.incidentio_routes import BASE_URL, route
from tests.support.spec import OpenApiSpec, load_spec

if TYPE_CHECKING:
    from precedent.sources.incidentio import RateLimiter, RetryPolicy

__all__ = ["API_KEY", "BASE_URL", "Arrival", "FakeClock", "FakeIncidentIo", "Fault", "SleepRecorder"]

API_KEY = "test-incidentio-key"
SERVER_NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

Body = dict[str, Any]
Mutation = Callable[[Body, httpx.Request], Body]


@dataclass
class Fault:
    """One scripted misbehaviour for requests to ``path`` (``None``: any path).

    ``at`` counts requests to ``path``; ``every`` counts all requests the fake received.

    Exactly one of ``response``, ``exception`` or ``mutate`` is set: answer with that response,
    raise that exception, or serve the normal body passed through ``mutate`` (validated with
    unknown enum values allowed when ``drift`` is set).
    """

    path: str | None
    at: int | None = None
    times: int | None = 1
    response: Callable[[], httpx.Response] | None = None
    exception: Callable[[httpx.Request], Exception] | None = None
    mutate: Mutation | None = None
    drift: bool = False
    every: int | None = None

    def matches(self, path: str, count: int, total: int) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.every is not None and total % self.every != 0:
            return False
        return (self.path is None or self.path == path) and (self.at is None or self.at == count)


@dataclass
class Arrival:
    """One request as the fake saw it: when (its ``clock``), where, and, if it was answered with a
    scripted 429, the seconds its ``Retry-After`` asked for."""

    at: float
    path: str
    retry_after: float | None = None


@dataclass
class SleepRecorder:
    """An injected ``sleep`` that returns at once and remembers every requested wait.

    Its :meth:`clock` advances by each recorded sleep, so a client given both sees time pass
    exactly as asked (a 2 s ``Retry-After`` is one 2.0 s sleep).
    """

    calls: list[float] = field(default_factory=list)
    now: float = 0.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        """Monotonic seconds: the sum of the sleeps so far."""
        return self.now


@dataclass
class FakeClock:
    """A monotonic clock whose ``sleep`` advances it: deterministic pacing for ``RateLimiter``."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _error(status: int, kind: str, code: str, message: str, **extra: Any) -> Body:
    return {
        "type": kind,
        "status": status,
        "request_id": "fake-request-id",
        "errors": [{"code": code, "message": message}],
        **extra,
    }


_DRIFT_ENUM_KEYS = frozenset({"mode", "visibility", "category", "status", "field_type", "role_type", "type"})


def _drift(body: Body, request: httpx.Request) -> Body:
    """Add fields the spec does not know and replace enum values with future ones."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {
            k: (f"future_{v}" if k in _DRIFT_ENUM_KEYS and isinstance(v, str) else walk(v))
            for k, v in node.items()
        }
        if "id" in out:
            out["field_added_in_2027"] = {"nested": [1, 2, 3]}
        return out

    drifted: Body = walk(body)
    drifted["top_level_added_in_2027"] = True
    return drifted


class FakeIncidentIo:
    """The fake API. Call it with an ``httpx.Request`` (it is a MockTransport handler).

    Args:
        fixtures: The organisation to serve; ``small_organisation()`` by default.
        spec: The spec to validate against; the shared one by default.
        api_key: The bearer key it accepts.
        now: The server's wall clock (``Date`` headers, HTTP-date ``Retry-After``).
        schedule_page_size: Final entries per ``/v2/schedule_entries`` page.
        clock: Monotonic seconds, stamped on every request in ``arrivals``.
        sees_private: Whether the key may view private incidents. Without that role, as far as
            the docs let us tell, incident.io shows the key no private incident: its listing
            leaves them out and fetching one by id answers 404, as for one that does not exist.
    """

    def __init__(
        self,
        fixtures: IncidentIoFixtures | None = None,
        *,
        spec: OpenApiSpec | None = None,
        api_key: str = API_KEY,
        now: Callable[[], datetime] = lambda: SERVER_NOW,
        schedule_page_size: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sees_private: bool = True,
    ) -> None:
        self.fixtures = fixtures if fixtures is not None else small_organisation()
        self.sees_private = sees_private
        self.spec = spec if spec is not None else load_spec()
        self.api_key = api_key
        self.now = now
        self.schedule_page_size = schedule_page_size
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.arrivals: list[Arrival] = []
        self.faults: list[Fault] = []
        self._counts: dict[str, int] = {}

    # -- scripting ---------------------------------------------------------------------------

    def add(self, fault: Fault) -> FakeIncidentIo:
        """Script a fault; returns ``self`` for chaining."""
        self.faults.append(fault)
        return self

    def respond(
        self,
        path: str | None,
        status: int,
        body: Body,
        *,
        headers: dict[str, str] | None = None,
        at: int | None = None,
        times: int | None = 1,
    ) -> FakeIncidentIo:
        """Answer matching requests with a fixed status, body and headers."""
        return self.add(
            Fault(
                path,
                at,
                times,
                response=lambda: httpx.Response(
                    status, json=body, headers={"Date": self._date(), **(headers or {})}
                ),
            )
        )

    def rate_limit(
        self,
        path: str | None = None,
        *,
        retry_after: str | None = "2",
        at: int | None = None,
        times: int | None = 1,
    ) -> FakeIncidentIo:
        """Answer 429 with ``Retry-After: <retry_after>`` (omitted when ``None``)."""
        body = _error(
            429,
            "too_many_requests",
            "too_many_requests",
            "Too many requests hit the API too quickly. We recommend an exponential backoff of "
            "your requests.",
            rate_limit={
                "name": "api_key_name",
                "limit": 1200,
                "remaining": 0,
                "retry_after": "2026-03-10T12:00:02Z",
            },
        )
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return self.respond(path, 429, body, headers=headers, at=at, times=times)

    def rate_limit_until(
        self, path: str | None, when: datetime, *, at: int | None = None, times: int | None = 1
    ) -> FakeIncidentIo:
        """Answer 429 with ``Retry-After`` as an HTTP-date."""
        return self.rate_limit(
            path, retry_after=email.utils.format_datetime(when, usegmt=True), at=at, times=times
        )

    def rate_limit_every(self, n: int, *, seconds: int = 1) -> FakeIncidentIo:
        """Answer every ``n``-th request (counting all paths) with 429 for ``seconds``, forever.

        ``Retry-After`` alternates between delta-seconds and an HTTP-date ``seconds`` after the
        ``Date`` header, the two forms clients meet.
        """
        answered = 0

        def too_many() -> httpx.Response:
            nonlocal answered
            answered += 1
            when = self.now()
            retry_after = (
                str(seconds)
                if answered % 2
                else email.utils.format_datetime(when + timedelta(seconds=seconds), usegmt=True)
            )
            body = _error(429, "too_many_requests", "too_many_requests", "Too many requests")
            headers = {"Date": email.utils.format_datetime(when, usegmt=True), "Retry-After": retry_after}
            return httpx.Response(429, json=body, headers=headers)

        return self.add(Fault(None, times=None, response=too_many, every=n))

    def server_error(
        self, path: str | None = None, *, status: int = 503, at: int | None = None, times: int | None = 1
    ) -> FakeIncidentIo:
        """Answer with a 5xx."""
        return self.respond(
            path,
            status,
            _error(status, "internal_error", "internal_error", "Something went wrong"),
            at=at,
            times=times,
        )

    def timeout(
        self, path: str | None = None, *, at: int | None = None, times: int | None = 1
    ) -> FakeIncidentIo:
        """Raise ``httpx.ReadTimeout`` as if the server never answered."""
        return self.add(Fault(path, at, times, exception=lambda r: httpx.ReadTimeout("timed out", request=r)))

    def unauthorised(self, *, times: int | None = None) -> FakeIncidentIo:
        """Answer 401 to every request, as for a revoked key."""
        return self.respond(
            None,
            401,
            _error(
                401,
                "authentication_error",
                "missing_authorization_material",
                "The API key provided is not valid",
            ),
            times=times,
        )

    def forbid(self, path: str, *, times: int | None = None) -> FakeIncidentIo:
        """Answer 403 for ``path``, as for a key without that endpoint's scope."""
        return self.respond(
            path,
            403,
            _error(
                403, "authorization_error", "forbidden", "You do not have permission to perform this action"
            ),
            times=times,
        )

    def repeat_cursor(self, path: str, *, at: int = 2) -> FakeIncidentIo:
        """Make the ``at``-th page answer with the same cursor it was asked for."""

        def same_cursor(body: Body, request: httpx.Request) -> Body:
            body["pagination_meta"]["after"] = request.url.params["after"]
            return body

        return self.add(Fault(path, at, 1, mutate=same_cursor))

    def empty_page(self, path: str, *, at: int = 2) -> FakeIncidentIo:
        """Make the ``at``-th page hold no records while still carrying a cursor."""

        def empty(body: Body, request: httpx.Request) -> Body:
            for key, value in body.items():
                if isinstance(value, list):
                    body[key] = []
            body.setdefault("pagination_meta", {"page_size": 25})["after"] = "01JZZ000000000000000000999"
            return body

        return self.add(Fault(path, at, 1, mutate=empty))

    def drift(self, path: str, *, at: int | None = None, times: int | None = None) -> FakeIncidentIo:
        """Serve ``path`` with unknown fields and unknown enum values added (spec compatibility rules)."""
        return self.add(Fault(path, at, times, mutate=_drift, drift=True))

    # -- inspection --------------------------------------------------------------------------

    def paths(self) -> list[str]:
        """The path of every request received, in order."""
        return [r.url.path for r in self.requests]

    def client(
        self,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> IncidentIoClient:
        """An ``IncidentIoClient`` wired to this fake.

        Sleeps are recorded, never real, unless ``sleep`` says otherwise; the client's clock is
        ``clock``, else the recorder's (advanced by each sleep).
        """
        http = httpx.AsyncClient(
            base_url=BASE_URL,
            transport=httpx.MockTransport(self),
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        recorder = sleep if sleep is not None else SleepRecorder()
        if clock is None and isinstance(recorder, SleepRecorder):
            clock = recorder.clock
        kwargs: dict[str, Any] = {"limiter": limiter, "sleep": recorder}
        if clock is not None:
            kwargs["clock"] = clock
        if retry is not None:
            kwargs["retry"] = retry
        return IncidentIoClient(http, **kwargs)

    # -- serving -----------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        arrival = Arrival(self.clock(), request.url.path)
        self.requests.append(request)
        self.arrivals.append(arrival)
        path = request.url.path
        count = self._counts[path] = self._counts.get(path, 0) + 1
        fault = next((f for f in self.faults if f.matches(path, count, len(self.requests))), None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
        if fault is not None and fault.exception is not None:
            raise fault.exception(request)
        if fault is not None and fault.response is not None:
            response = fault.response()
            if response.status_code == 429:
                arrival.retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), now=http_date(response.headers.get("Date"))
                )
            return response
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._json(
                401,
                _error(
                    401,
                    "authentication_error",
                    "missing_authorization_material",
                    "No valid API key was provided",
                ),
            )
        if request.method != "GET":
            return self._json(405, _error(405, "method_not_allowed", "method_not_allowed", "GET only"))
        shown = self.fixtures
        if not self.sees_private:
            shown = replace(shown, incidents=[i for i in shown.incidents if i["visibility"] == "public"])
        status, body = route(shown, request, schedule_page_size=self.schedule_page_size)
        if status != 200:
            return self._json(status, body)
        drift = False
        if fault is not None and fault.mutate is not None:
            body = fault.mutate(body, request)
            drift = fault.drift
        self.spec.validate_response(path, body, allow_unknown_enums=drift)
        return self._json(200, body)

    def _date(self) -> str:
        return email.utils.format_datetime(self.now(), usegmt=True)

    def _json(self, status: int, body: Body) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"Date": self._date()})
