"""The one place where errors become HTTP responses: RFC 9457 problem details, always.

Precedent's own errors map by class (looked up along the MRO, so one entry covers a subtree);
Litestar's (an invalid parameter, an unknown route, a body too large) keep their status; anything
else is a 500 whose detail says nothing of the internals. Every route documents the problems it
can answer with through ``problem_responses``.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec

from precedent.api.observe import current_request_id
from precedent.api.parameter_advice import advised, body_advice
from precedent.api.requests import PROJECT_REFUSALS
from precedent.api.whole_numbers import number_refusal
from precedent.errors import (
    ConfigError,
    DeliveryNotRetryable,
    DeliveryTooLarge,
    Forbidden,
    InvalidQuery,
    MalformedDelivery,
    MetricsUnavailable,
    NotFound,
    PrecedentError,
    SchemaError,
    StoreError,
    StoreUnavailable,
    StoreWriteFailed,
    SyncConflict,
    Unauthenticated,
    WebhookRejected,
    WebhooksDisabled,
)
from precedent.responses.problem import PROBLEM_JSON, FieldProblem, ProblemDetails
from precedent.web import UI_PATH, http_error_page

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = [
    "EXCEPTION_HANDLERS",
    "STORE_RETRY_AFTER_SECONDS",
    "answer_problem",
    "problem_response",
    "problem_responses",
    "status_for",
]

log = logging.getLogger("precedent.api")

INVALID_BODY = "InvalidBody"
"""The title of every refusal of a request's body: not JSON, no object, or a field refused."""

STORE_RETRY_AFTER_SECONDS = 5
"""The ``Retry-After`` (seconds) of a 503 for a store that cannot be reached or written."""

_STATUS: dict[type[PrecedentError], int] = {
    NotFound: 404,
    SchemaError: 400,
    InvalidQuery: 400,
    MalformedDelivery: 400,
    DeliveryTooLarge: 413,
    WebhookRejected: 401,
    Unauthenticated: 401,
    Forbidden: 403,
    WebhooksDisabled: 503,
    MetricsUnavailable: 503,
    SyncConflict: 409,
    DeliveryNotRetryable: 409,
    StoreUnavailable: 503,
    StoreWriteFailed: 503,
    ConfigError: 500,
    PrecedentError: 500,
}

_MEANING = {
    400: "the request's arguments are invalid; `detail` (and `errors`) say which to change",
    401: "no valid API token was given",
    403: "the token lacks a scope this route needs",
    404: "nothing with that id, reference or name is in the map (or the token may not see it)",
    409: "the request conflicts with the service's state; `detail` says what to do",
    413: "the request body is too large",
    500: (
        "an unexpected failure, logged with the request id (the `X-Request-ID` header): quote it in "
        "a report; the detail names no internals"
    ),
    503: "the service is starting, stopping, cannot reach its store or cannot save a write; retry shortly",
}


def status_for(exc: PrecedentError) -> int:
    """Return the HTTP status for ``exc``: the entry of its nearest class in ``_STATUS``."""
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def problem_responses(
    *statuses: int, public: bool = False, meaning: Mapping[int, str] | None = None
) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json answers a route can give, 500 included.

    Args:
        statuses: The route's own problems (404, 400...).
        public: The route answers without a token; otherwise 401 and 403 are documented too.
        meaning: What a status means on this route when not what it means on every other (the
            webhook receiver's 401 is a signature that did not verify, not a missing token).
    """
    said = {**_MEANING, **(meaning or {})}
    # 500 too: a generated client parses only the answers a route declares, and returned nothing
    # (or raised "unexpected status") for the one a report most needs the detail of.
    every = sorted({*statuses, 500, *(() if public else (401, 403))})
    return {
        # No generated examples: they were random strings and numbers (`"status": 8793`), shown
        # as the answer in the interactive pages and copied into generated clients' docs.
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            description=said[status],
            generate_examples=False,
        )
        for status in every
    }


def _respond(problem: ProblemDetails, headers: dict[str, str] | None = None) -> Response[ProblemDetails]:
    return Response(problem, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers or {})


def problem_response(exc: PrecedentError, *, source: str = "query") -> Response[ProblemDetails]:
    """The problem-details response for ``exc``.

    A 401 also says to send a bearer token; a store that cannot be reached or written says when
    to retry. A store's failure is told in its ``client_detail``, which names no server path and
    quotes no database driver (the log has the message). A query
    refused for one argument lists it in ``errors`` (from ``source``: ``query`` or ``body``), as
    a parameter the framework refused is listed: ``errors[0].field`` is ``limit`` either way.
    """
    status = status_for(exc)
    detail = str(exc)
    headers: dict[str, str] | None = None
    if isinstance(exc, Unauthenticated):
        headers = {"www-authenticate": 'Bearer realm="precedent"'}
    elif isinstance(exc, StoreUnavailable | StoreWriteFailed):
        headers = {"retry-after": str(STORE_RETRY_AFTER_SECONDS)}
    if isinstance(exc, StoreError):
        # The store's own message may quote the driver or name a file: the log has it.
        detail = exc.client_detail()
    if isinstance(exc, NotFound) and exc.kind in ("incident", "service"):
        # Where to look next, as the CLI says `precedent search` (each surface names its own way).
        detail += f"; find the {exc.kind} by its words with GET /v1/search?q=WORDS"
    errors: list[FieldProblem] | None = None
    # A filter naming nothing in the map (?service=nope) too: still a 404, its field listed.
    if isinstance(exc, InvalidQuery | SchemaError | NotFound) and exc.field is not None:
        errors = [FieldProblem(field=exc.field, source=source, message=detail)]
    title = type(exc).__name__
    if isinstance(exc, InvalidQuery) and source == "body":
        # The layer below refused a body's field ("limit": 0): titled as the framework's refusal
        # of one ("limit": "x") is, and as a body that is no JSON is.
        title = INVALID_BODY
    problem = ProblemDetails(title=title, status=status, detail=detail, errors=errors)
    return _respond(problem, headers)


def answer_problem(request: Request[Any, Any, Any], exc: PrecedentError) -> Response[ProblemDetails]:
    """The app's answer to ``exc`` (``problem_response``), logging a 5xx as every handler's is logged."""
    status = status_for(exc)
    if status == 503:
        # A state of the service (a store down, an inbox full, webhooks not configured), not a
        # bug: one line each, or a flood of webhooks writes a traceback per delivery.
        # The answer's detail may be generic (``client_detail``): the full one is here.
        log.warning(
            "request refused path=%s status=503 request_id=%s error=%s: %s",
            request.url.path,
            current_request_id(),
            type(exc).__name__,
            exc,
        )
    elif status >= 500:
        log.error(
            "request failed path=%s request_id=%s error=%s",
            request.url.path,
            current_request_id(),
            type(exc).__name__,
            exc_info=exc,
        )
    return problem_response(exc, source=_source(request, exc))


def _source(request: Request[Any, Any, Any], exc: PrecedentError) -> str:
    """Where the refused argument came from: ``query``, or ``body`` for a route taking one.

    A route taking a body takes no query parameter, but one sent anyway is refused by name
    (``query_guard``): from the query, not the body.
    """
    field = getattr(exc, "field", None)
    if request.method not in ("POST", "PUT", "PATCH") or (field and field in request.query_params):
        return "query"
    return "body"


# A time whose "+02:00" came through a URL unescaped: the query string decodes "+" to a space.
_SPACED_OFFSET = re.compile(r"\d \d{2}(:?\d{2})?$")
_OFFSET_HINT = (
    "; a '+' in a URL's query is read as a space: write the offset as %2B "
    "(2026-03-01T12:00:00%2B02:00) or give the time in UTC (2026-03-01T10:00:00Z)"
)


def _body_errors(exc: ValidationException) -> dict[str, dict[str, Any]]:
    """pydantic's errors of the body's fields, by the field's name as ``errors`` lists it.

    Litestar's ``extra`` keeps a message and a field only; pydantic's error (its type, the value
    sent, the bound broken) is on the cause, located in the body.
    """
    found = getattr(exc.__cause__, "errors", None)
    if not isinstance(found, list):
        return {}
    located = (e for e in found if isinstance(e, dict) and e.get("loc"))
    return {".".join(str(part) for part in e["loc"]): e for e in located}


def _body_message(
    request: Request[Any, Any, Any], field: str, message: str, error: dict[str, Any] | None
) -> str:
    """A body field's refusal in the API's words: the project's own stand; pydantic's are reworded."""
    if error is not None and error.get("type") not in PROJECT_REFUSALS:
        said = body_advice(request, error)
        if said is not None:
            return said
    return advised(request, field, "body", message)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[ProblemDetails]:
    errors = [
        {
            "field": str(e.get("key", "")),
            # Litestar gives a ParamType enum for parameters; its value ("query") is what a caller
            # reads. The body's fields come from pydantic, which names no source.
            "source": str(getattr(e.get("source"), "value", e.get("source") or "body")),
            "message": str(e.get("message", "")),
        }
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict)
    ]
    refusals: list[InvalidQuery] = []
    reworded = 0
    body_errors = _body_errors(exc)
    for error in errors:
        if error["source"] == "body":
            error["message"] = _body_message(
                request, error["field"], error["message"], body_errors.get(error["field"])
            )
            continue
        raw = request.query_params.get(error["field"]) if error["source"] == "query" else None
        refusal = number_refusal(request.route_handler, error["field"], raw) if isinstance(raw, str) else None
        if refusal is not None:
            # "Expected `int`, got `str`" for ?limit=ten, where ?limit=0 is told the range.
            error["message"] = str(refusal)
            refusals.append(refusal)
        else:
            said = advised(request, error["field"], error["source"], error["message"])
            # A query parameter's type refusal reworded whole (?before=garbage: "before must be an
            # ISO 8601 time ...") is the project's, and titled as ?limit=ten is.
            reworded += error["source"] == "query" and said != error["message"]
            error["message"] = said
        if isinstance(raw, str) and _SPACED_OFFSET.search(raw):
            error["message"] += _OFFSET_HINT
    if len(errors) == 1 and refusals:
        # Answered as the same parameter out of range is, word for word.
        return problem_response(refusals[0])
    if any(e["field"] == "data" and e["source"] == "body" for e in errors):
        # Litestar reports a missing body under its own argument's name ("invalid data", "'data'").
        detail = "the request has no body; send one JSON object with 'Content-Type: application/json'"
        return _respond(ProblemDetails(title=INVALID_BODY, status=400, detail=detail))
    fields = ", ".join(e["field"] for e in errors if e["field"])
    if not fields and errors and request.method in ("POST", "PUT", "PATCH"):
        # The body as a whole is wrong (a list, a string): Litestar's "Validation failed for POST
        # /v1/similar" said neither what was wrong nor what to send.
        detail = (
            "the request body must be one JSON object (see `errors`), with the fields this route's "
            "OpenAPI document names (/schema)"
        )
        return _respond(ProblemDetails(title=INVALID_BODY, status=400, detail=detail, errors=_listed(errors)))
    if len(errors) == 1 and errors[0]["field"]:
        # One refusal: the detail says it whole, as a refusal from the layer below does, where
        # "invalid depth: see `errors`" sent a reader of the detail alone to look again.
        field, message = errors[0]["field"], errors[0]["message"]
        named = re.search(rf"\b{re.escape(field)}\b", message)
        detail = message if named else f"invalid {field}: {message}"
    else:
        detail = f"invalid {fields}: see `errors`" if fields else str(exc.detail)
    # Several parameters each refused in the project's words (?limit=ten&weeks=x) are titled as one
    # is: a client reads the title to tell the framework's refusals from the project's. A body's
    # fields are InvalidBody, as a body that is no JSON object is, and as the layer below's refusal
    # of one ("limit": 0) is titled: {"name": 5} was "ValidationError" beside them.
    if errors and all(e["source"] == "body" for e in errors):
        title = INVALID_BODY
    else:
        ours = errors and len(refusals) + reworded == len(errors)
        title = InvalidQuery.__name__ if ours else "ValidationError"
    return _respond(ProblemDetails(title=title, status=400, detail=detail, errors=_listed(errors) or None))


def _listed(errors: list[dict[str, str]]) -> list[FieldProblem]:
    return [FieldProblem(field=e["field"], source=e["source"], message=e["message"]) for e in errors]


# The collections whose items a caller may name in the path by a name that can hold "/", and
# where to find such an item's id.
_NAMED_BY_PATH = {"/v1/services/": "GET /v1/services?q=<part of the name>", "/v1/teams/": "GET /v1/teams"}


def _slashed_name(request: Request[Any, Any, Any]) -> str | None:
    """What to do when no route matched a path naming a service or team: a bare "/" in a name
    splits the path (``slashed_names`` routes one escaped as %2F)."""
    raw = request.scope.get("raw_path", b"").decode("latin-1").partition("?")[0]
    for prefix, listing in _NAMED_BY_PATH.items():
        if raw.startswith(prefix):
            return (
                f"no route matches {raw}: if the name in it holds a '/', escape that '/' as %2F "
                f"({prefix}payments%2Fapi), or name the item by its id (find it with {listing})"
            )
    return None


def _unrouted(request: Request[Any, Any, Any], exc: HTTPException) -> str | None:
    """What to do when no route takes the request's path or method; ``None`` for other errors.

    The router's own words were "Not Found" and "Method Not Allowed": nothing to go on for a
    client with a mistyped path, or a newcomer opening the server's root in a browser.
    """
    method, path = request.method, request.url.path
    if type(exc) is NotFoundException and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        return (
            f"no route matches {method} {path}: the API's routes are under /v1 (the OpenAPI "
            "document at /schema lists them), the pages for people under /ui/"
        )
    allowed = (exc.headers or {}).get("allow")
    if isinstance(exc, MethodNotAllowedException) and allowed:
        shown = ", ".join(m for m in allowed.split(", ") if m not in ("OPTIONS", "HEAD"))
        return f"{path} takes {shown or allowed}, not {method}; /schema lists what each route takes"
    return None


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    path = request.url.path
    slashed = _slashed_name(request) if exc.status_code == 404 else None
    if slashed is not None and not path.startswith(f"{UI_PATH}/"):
        return _respond(ProblemDetails(title="NotFound", status=404, detail=slashed))
    if path == UI_PATH or path.startswith(f"{UI_PATH}/"):
        # No page matched (a mistyped /ui address), so the pages' own handlers never ran: a person
        # reading them gets a page too, not problem+json.
        return http_error_page(request, exc)
    if exc.status_code == HTTPStatus.INTERNAL_SERVER_ERROR:
        # Litestar's own 500s (a dependency it could not check, say) carry the cause: logged as
        # any unexpected error is, where the client was told only "Internal Server Error".
        return _unexpected(request, exc)
    if isinstance(exc.__cause__, SerializationException):
        # Litestar wraps a body it cannot decode in a bare ClientException whose detail is the
        # decoder's ("Input data was truncated"), which says neither what was wrong nor what to send.
        detail = (
            f"the request body is not valid JSON ({exc.detail}); send one JSON object "
            "with 'Content-Type: application/json'"
        )
        return _respond(ProblemDetails(title=INVALID_BODY, status=400, detail=detail))
    title = type(exc).__name__.removesuffix("Exception")
    if type(exc) in (HTTPException, ClientException):
        # The generic classes would title the problem "HTTP" or "Client": name the status instead.
        title = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
    detail = _unrouted(request, exc) or str(exc.detail)
    problem = ProblemDetails(title=title or "HTTPError", status=exc.status_code, detail=detail)
    return _respond(problem, headers=dict(exc.headers or {}))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    log.error("unexpected error path=%s error=%s", request.url.path, type(exc).__name__, exc_info=exc)
    detail = "an unexpected error occurred; the server log has the details (search for the request path)"
    return _respond(ProblemDetails(title="InternalServerError", status=500, detail=detail))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    PrecedentError: answer_problem,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
