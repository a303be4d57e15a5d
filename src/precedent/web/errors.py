"""What the pages answer when a read fails: a page a person can read, never problem+json.

The API maps Precedent's errors to problem details; under ``/ui`` these handlers (closer to the
pages, so litestar prefers them) map the same errors to HTML with the same status codes, and turn
``SignInRequired`` into a redirect to the sign-in form.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Response

from precedent.errors import InvalidQuery, NotFound, PrecedentError, StoreUnavailable
from precedent.web.rendering import page
from precedent.web.session import CsrfRefused, SignInRequired, sign_in_path

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = ["PAGE_EXCEPTION_HANDLERS", "http_error_page"]

log = logging.getLogger("precedent.web")


def _error(status: int, heading: str, detail: str, *, search: str | None = None) -> Response[Any]:
    return page(
        "error.html", None, status_code=status, title=heading, heading=heading, detail=detail, search=search
    )


def _sign_in(_: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return Redirect(sign_in_path(exc.return_to), status_code=303)


def _csrf(_: Request[Any, Any, Any], exc: CsrfRefused) -> Response[Any]:
    return _error(403, "Form refused", str(exc))


def _not_found(_: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    # The same words whether it does not exist or the viewer may not see it, as the API's 404.
    # Where to look next, as the API and the CLI say (a mistyped name, or a reference to look up);
    # a team's name finds the incidents and services that mention it.
    search = exc.id if exc.kind in ("incident", "service", "team") else None
    return _error(404, "Not found", f"There is no {exc.kind} {exc.id!r} that you can see.", search=search)


def _invalid(_: Request[Any, Any, Any], exc: InvalidQuery) -> Response[Any]:
    return _error(400, "Cannot show that", str(exc))


def _unavailable(request: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[Any]:
    # The page may show a generic text (``client_detail``): the log has the cause.
    log.warning("page refused path=%s status=503 error=%s: %s", request.url.path, type(exc).__name__, exc)
    return _error(503, "Unavailable", exc.client_detail())


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    # The app's handler for this class would answer problem+json; a reader gets the same facts as a page.
    problems = [
        f"{e.get('key')}: {e.get('message')}"
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict) and e.get("key")
    ]
    detail = "; ".join(problems) if problems else str(exc.detail)
    return _error(400, "Cannot show that", f"The address is not valid ({detail}).")


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """The page for litestar's own errors; the app also answers with it for an unknown ``/ui`` address."""
    if exc.status_code == 404:
        return _error(404, "Not found", f"There is no page at {request.url.path}.")
    return _error(exc.status_code, "Cannot show that", str(exc.detail))


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("page %s failed", request.url.path, exc_info=exc)
    return _error(500, "Something went wrong", "The page could not be built; the service log says why.")


PAGE_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SignInRequired: _sign_in,
    CsrfRefused: _csrf,
    NotFound: _not_found,
    InvalidQuery: _invalid,
    ValidationException: _validation,
    StoreUnavailable: _unavailable,
    HTTPException: http_error_page,
    PrecedentError: _internal,
    Exception: _internal,
}
