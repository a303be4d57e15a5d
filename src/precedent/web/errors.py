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

from precedent.auth import ApiToken
from precedent.errors import InvalidQuery, NotFound, PrecedentError, StoreUnavailable
from precedent.web.rendering import page
from precedent.web.session import CsrfRefused, PageSession, SignInRequired, csrf_value, sign_in_path

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = ["PAGE_EXCEPTION_HANDLERS", "PRIVATE_HINT", "http_error_page"]

log = logging.getLogger("precedent.web")


PRIVATE_HINT = (
    "Private incidents are shown only to a token with the read:private scope, and yours "
    "({name}) does not have it."
)
"""Said on every incident or investigation a viewer without private access cannot find, whether
it is private or does not exist (so it tells nothing of which): a responder sent a private
incident's link from Slack otherwise read "not found" with no idea why."""


def _session(request: Request[Any, Any, Any]) -> PageSession | None:
    """The signed-in reader of a page that failed, so its error page keeps the header (who is
    signed in, the lists, signing out); ``authenticate`` put the token in the request's scope."""
    token = request.scope.get("user")
    return PageSession(token, token.viewer(), csrf_value(request)) if isinstance(token, ApiToken) else None


def _error(
    request: Request[Any, Any, Any],
    status: int,
    heading: str,
    detail: str,
    *,
    search: str | None = None,
    private_hint: str | None = None,
) -> Response[Any]:
    return page(
        "error.html",
        _session(request),
        status_code=status,
        title=heading,
        heading=heading,
        detail=detail,
        search=search,
        private_hint=private_hint,
        sign_in_again=sign_in_path(request.url.path),
    )


def _sign_in(_: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return Redirect(sign_in_path(exc.return_to), status_code=303)


def _csrf(request: Request[Any, Any, Any], exc: CsrfRefused) -> Response[Any]:
    return _error(request, 403, "Form refused", str(exc))


def _not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[Any]:
    # The same words whether it does not exist or the viewer may not see it, as the API's 404.
    # Where to look next, as the API and the CLI say (a mistyped name, or a reference to look up);
    # a team's name finds the incidents and services that mention it.
    search = exc.id if exc.kind in ("incident", "service", "team") else None
    session = _session(request)
    hint = None
    if exc.kind in ("incident", "investigation") and session and not session.viewer.include_private:
        hint = PRIVATE_HINT.format(name=session.token.name)
    detail = f"There is no {exc.kind} {exc.id!r} that you can see."
    return _error(request, 404, "Not found", detail, search=search, private_hint=hint)


def _invalid(request: Request[Any, Any, Any], exc: InvalidQuery) -> Response[Any]:
    return _error(request, 400, "Cannot show that", str(exc))


def _unavailable(request: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[Any]:
    # The page may show a generic text (``client_detail``): the log has the cause.
    log.warning("page refused path=%s status=503 error=%s: %s", request.url.path, type(exc).__name__, exc)
    return _error(request, 503, "Unavailable", exc.client_detail())


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    # The app's handler for this class would answer problem+json; a reader gets the same facts as a page.
    problems = [
        f"{e.get('key')}: {e.get('message')}"
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict) and e.get("key")
    ]
    detail = "; ".join(problems) if problems else str(exc.detail)
    return _error(request, 400, "Cannot show that", f"The address is not valid ({detail}).")


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """The page for litestar's own errors; the app also answers with it for an unknown ``/ui`` address."""
    if exc.status_code == 404:
        return _error(request, 404, "Not found", f"There is no page at {request.url.path}.")
    if exc.status_code == 500:  # litestar's own (a dependency it could not check): log the cause
        return _internal(request, exc)
    return _error(request, exc.status_code, "Cannot show that", str(exc.detail))


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("page %s failed", request.url.path, exc_info=exc)
    detail = "The page could not be built; the service log says why."
    return _error(request, 500, "Something went wrong", detail)


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
