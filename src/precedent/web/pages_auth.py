"""Signing in and out: the one form of the pages, guarded against cross-site posts."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from precedent.auth import TokenRegistry
from precedent.errors import Unauthenticated
from precedent.web.rendering import page
from precedent.web.session import (
    SESSION_COOKIE,
    check_csrf,
    csrf_cookie,
    csrf_value,
    expired_session_cookie,
    new_csrf,
    safe_return_path,
    session_cookie,
    sign_in_path,
)

__all__ = ["AUTH_PAGES"]

# The form's answer when the token is refused says why, as the API's 401 does: "unknown, revoked
# or expired. Check it and try again" sent the holder of an expired token to check its spelling.
# Only the holder of a revoked or expired token's secret can hear that it was one.
REFUSED = "That token was not accepted: it is unknown, revoked or expired. Check it and try again."
_NEW_ONE = "ask for a new one (made with precedent token create --scope read) and sign in with it."
_REFUSED_BECAUSE = {
    "expired": f"That token has expired: {_NEW_ONE}",
    "revoked": f"That token was revoked: {_NEW_ONE}",
    "unknown": "That token is not one this map issued: check it was pasted whole, then try again.",
    "malformed": "That is not a Precedent token (one starts with prec_): paste the token itself.",
}
CANNOT_READ = "That token cannot read the map (it has no read scope). Use a token made with --scope read."
ENDED = (
    "Your session has ended: its token was revoked, has expired or can no longer read the map. "
    "Sign in with a current token."
)


def _form(
    request: Request[Any, Any, Any],
    secure: bool,
    *,
    return_to: str,
    error: str | None = None,
    notice: str | None = None,
) -> Template:
    csrf = csrf_value(request)
    response = page(
        "sign_in.html",
        None,
        status_code=401 if error else 200,
        csrf=csrf,
        return_to=safe_return_path(return_to),
        error=error,
        notice=notice,
    )
    response.cookies.append(csrf_cookie(csrf, secure=secure))
    return response


@get("/sign-in", name="web:sign-in")
async def sign_in_form(
    request: Request[Any, Any, Any],
    tokens: NamedDependency[TokenRegistry],
    cookie_secure: NamedDependency[bool],
    next: FromQuery[str | None] = None,
) -> Template:
    """The sign-in form: one field, an API token; it says so when the browser's session has ended."""
    ended = await _session_ended(request, tokens)
    response = _form(request, cookie_secure, return_to=next or "/ui/", notice=ENDED if ended else None)
    if ended:
        # Forget the refused token, so the notice is given once and not on every later visit.
        response.cookies.append(expired_session_cookie(secure=cookie_secure))
    return response


async def _session_ended(request: Request[Any, Any, Any], tokens: TokenRegistry) -> bool:
    """Whether the browser holds a session cookie whose token is no longer accepted for reading."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return False
    try:
        token = await tokens.authenticate(secret)
    except Unauthenticated:
        return True
    return not token.grants("read")


@post("/sign-in", status_code=303)
async def sign_in(
    request: Request[Any, Any, Any],
    tokens: NamedDependency[TokenRegistry],
    cookie_secure: NamedDependency[bool],
    public_origin: NamedDependency[str | None],
) -> Redirect | Template:
    """Check the token and keep it in the session cookie; back to where the reader was going."""
    form = await request.form()
    check_csrf(request, _field(form, "csrf"), public_origin=public_origin)
    return_to = safe_return_path(_field(form, "next"))
    secret = (_field(form, "token") or "").strip()
    try:
        token = await tokens.authenticate(secret)
    except Unauthenticated as exc:
        error = _REFUSED_BECAUSE.get(exc.reason, REFUSED)
        return _form(request, cookie_secure, return_to=return_to, error=error)
    if not token.grants("read"):
        return _form(request, cookie_secure, return_to=return_to, error=CANNOT_READ)
    redirect = Redirect(return_to, status_code=303)
    # A fresh CSRF token per session, so one seen before sign-in is worth nothing after it.
    redirect.cookies.extend(
        [session_cookie(secret, secure=cookie_secure), csrf_cookie(new_csrf(), secure=cookie_secure)]
    )
    return redirect


@post("/sign-out", status_code=303)
async def sign_out(
    request: Request[Any, Any, Any],
    cookie_secure: NamedDependency[bool],
    public_origin: NamedDependency[str | None],
) -> Redirect:
    """Forget the session (a POST with the CSRF token, so no other site can sign a reader out)."""
    form = await request.form()
    check_csrf(request, _field(form, "csrf"), public_origin=public_origin)
    redirect = Redirect(sign_in_path("/ui/"), status_code=303)
    redirect.cookies.append(expired_session_cookie(secure=cookie_secure))
    return redirect


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


AUTH_PAGES = [sign_in_form, sign_in, sign_out]
