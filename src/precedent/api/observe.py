"""Per-request observability: a request id, a latency histogram and one structured log line each.

The log line (logger ``precedent.api.access``) carries ``method``, ``route`` (the template, not the
path, so ids stay out of metric labels), ``status``, ``duration_ms``, ``request_id`` and ``viewer``
(the token's name) as ``record.fields``; the JSON formatter writes them as keys. Headers, query
strings and bodies are never logged, so neither is a token.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

from litestar.enums import ScopeType

from precedent.auth import ApiToken
from precedent.metrics import REQUEST_DURATION

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUEST_ID_HEADER", "RequestObserver", "current_request_id"]

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("precedent.api.access")

_REQUEST_ID: ContextVar[str | None] = ContextVar("precedent_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being answered (``None`` outside one), for a log line to name it."""
    return _REQUEST_ID.get()


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            # A caller's id is echoed and logged only if it can't smuggle anything into either.
            if _SAFE_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestObserver:
    """Time each HTTP request, echo its request id, count it in the metrics and log one line."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``, the rest of the route's middleware stack."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, measuring it until the handler and the response are done."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        bound = _REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER.encode(), request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _REQUEST_ID.reset(bound)
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "<unmatched>"
            method = scope.get("method", "")
            REQUEST_DURATION.labels(route, method, str(status)).observe(elapsed)
            user = scope.get("user")
            fields = {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "request_id": request_id,
                "viewer": user.name if isinstance(user, ApiToken) else None,
            }
            # No viewer (no token, a webhook, a page before sign-in) reads "viewer=-", not Python's None.
            text = " ".join(f"{key}={'-' if value is None else value}" for key, value in fields.items())
            access_log.info(text, extra={"fields": fields})
