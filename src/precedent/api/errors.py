"""The one place where Precedent's errors become HTTP responses (RFC 9457 problem details)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from litestar import MediaType, Response

from precedent.errors import (
    ConfigError,
    Forbidden,
    InvalidQuery,
    NotFound,
    PrecedentError,
    SchemaError,
    StoreUnavailable,
    Unauthenticated,
    WebhookRejected,
)

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = ["EXCEPTION_HANDLERS", "problem_response", "status_for"]

log = logging.getLogger("precedent.api")

# Looked up along the exception's MRO, so one entry covers a whole subtree.
_STATUS: dict[type[PrecedentError], int] = {
    NotFound: 404,
    SchemaError: 400,
    InvalidQuery: 400,
    WebhookRejected: 401,
    Unauthenticated: 401,
    Forbidden: 403,
    StoreUnavailable: 503,
    ConfigError: 500,
    PrecedentError: 500,
}


def status_for(exc: PrecedentError) -> int:
    """Return the HTTP status for ``exc``: the entry of its nearest class in ``_STATUS``."""
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def problem_response(exc: PrecedentError) -> Response[dict[str, object]]:
    """Return the problem-details response for ``exc`` (a 401 also says to send a bearer token)."""
    status = status_for(exc)
    headers = {"content-type": "application/problem+json"}
    if isinstance(exc, Unauthenticated):
        headers["www-authenticate"] = 'Bearer realm="precedent"'
    return Response(
        {"type": "about:blank", "title": type(exc).__name__, "status": status, "detail": str(exc)},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _problem(request: Request[Any, Any, Any], exc: PrecedentError) -> Response[dict[str, object]]:
    response = problem_response(exc)
    if status_for(exc) >= 500:
        log.error("request failed path=%s error=%s", request.url.path, type(exc).__name__, exc_info=exc)
    return response


EXCEPTION_HANDLERS: ExceptionHandlersMap = {PrecedentError: _problem}
