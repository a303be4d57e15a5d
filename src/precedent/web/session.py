"""Signing in to the pages with an API token: the session cookie, the CSRF token, the return path.

A browser cannot send ``Authorization: Bearer``, so the sign-in form takes a token once and keeps
it in an HttpOnly cookie scoped to ``/ui``; every page authenticates it again through the
``TokenRegistry`` (a revoked or expired token signs the browser out at once) and reads as the
token's ``Viewer``. The one form that changes state (sign-in, sign-out) is guarded twice: a
double-submit CSRF token (a random cookie echoed in a hidden field) and, when the browser sends
one, an ``Origin`` that must be this site: the ``Host`` it asked, or ``PRECEDENT_PUBLIC_URL``
(behind a reverse proxy that rewrites ``Host``, the public address is the only one the browser knows).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from litestar.datastructures import Cookie

from precedent.auth import ApiToken, TokenRegistry
from precedent.errors import Unauthenticated
from precedent.model import Viewer

if TYPE_CHECKING:
    from collections.abc import Callable

    from litestar.connection import ASGIConnection


__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CsrfRefused",
    "PageSession",
    "SignInRequired",
    "csrf_cookie",
    "csrf_value",
    "expired_session_cookie",
    "new_csrf",
    "authenticate",
    "site_origin",
    "check_csrf",
    "safe_return_path",
    "session_cookie",
    "sign_in_path",
]

SESSION_COOKIE = "precedent_session"
CSRF_COOKIE = "precedent_csrf"
COOKIE_PATH = "/ui"
SESSION_SECONDS = 7 * 24 * 3600
"""How long a browser stays signed in (the token's own expiry and revocation still apply)."""
HOME = "/ui/"


class SignInRequired(Exception):
    """The page needs a signed-in browser; the pages answer with a redirect to the sign-in form."""

    def __init__(self, return_to: str) -> None:
        super().__init__("sign in to read this page")
        self.return_to = return_to


class CsrfRefused(Exception):
    """A form post without the matching CSRF token, or from another site."""


@dataclass(frozen=True)
class PageSession:
    """A signed-in browser: its token, what it may see, and the CSRF token its forms carry."""

    token: ApiToken
    viewer: Viewer
    csrf: str


def safe_return_path(value: str | None) -> str:
    """``value`` when it is a path of the pages on this site, else the home page.

    Only ``/ui...`` paths pass: no scheme, no host, no ``//`` or ``\\`` a browser would read as
    another site, so the sign-in form cannot be used to send someone elsewhere.
    """
    if not value or not value.startswith(COOKIE_PATH) or "\\" in value or value.startswith("//"):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in value):
        return HOME
    return value


def sign_in_path(return_to: str) -> str:
    """The sign-in form's URL, coming back to ``return_to`` afterwards."""
    return f"{COOKIE_PATH}/sign-in?next={quote(safe_return_path(return_to), safe='/')}"


def session_cookie(secret: str, *, secure: bool) -> Cookie:
    """The cookie holding the API token (HttpOnly: no script on any page can read it)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=secret,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=SESSION_SECONDS,
    )


def expired_session_cookie(*, secure: bool) -> Cookie:
    """A cookie that makes the browser forget its session."""
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=0,
    )


def csrf_value(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The browser's CSRF token, or a fresh one when it has none (set it with ``csrf_cookie``)."""
    current = connection.cookies.get(CSRF_COOKIE, "")
    return current if len(current) >= 32 else new_csrf()


def new_csrf() -> str:
    """A fresh CSRF token (256 random bits)."""
    return secrets.token_urlsafe(32)


def csrf_cookie(value: str, *, secure: bool) -> Cookie:
    """The double-submit cookie; the server echoes it into each form, so it stays HttpOnly."""
    return Cookie(
        key=CSRF_COOKIE, value=value, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def site_origin(public_url: str | None) -> str | None:
    """The origin (``https://precedent.example.com``) of ``public_url``, or ``None`` when unset."""
    if not public_url:
        return None
    parts = urlsplit(public_url.strip())
    scheme, host = parts.scheme.lower(), parts.hostname
    if not scheme or not host:
        return None
    # As a browser writes its Origin: no user info, and no port where it is the scheme's own
    # (https://precedent.example.com:443 is sent as https://precedent.example.com).
    port = "" if parts.port in (None, _DEFAULT_PORTS.get(scheme)) else f":{parts.port}"
    return f"{scheme}://{f'[{host}]' if ':' in host else host}{port}"


def check_csrf(
    connection: ASGIConnection[Any, Any, Any, Any], submitted: str | None, *, public_origin: str | None = None
) -> None:
    """Refuse a form post that is not from one of this site's pages.

    Args:
        connection: The form post.
        submitted: The form's CSRF field.
        public_origin: ``site_origin(PRECEDENT_PUBLIC_URL)``: an ``Origin`` equal to it is this
            site even when a reverse proxy hands the app another ``Host``.

    Raises:
        CsrfRefused: if the field does not match the cookie, or ``Origin`` names another site.
    """
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    origin = connection.headers.get("origin")
    from_public = public_origin is not None and (origin or "").strip().lower() == public_origin
    on_http = connection.url.scheme == "http" and (public_origin or "").startswith("https://")
    # The scheme is the proxy's hop (http) unless uvicorn trusts its X-Forwarded-Proto: a form
    # from the public URL itself lost its cookie some other way, and opening that URL cannot help.
    if not cookie and on_http and not from_public:
        # The cookies are Secure under an https public URL, so a browser on plain http (the
        # server's own address, before the proxy) never keeps them: reloading could not help.
        raise CsrfRefused(
            f"this browser sent back no sign-in cookie: PRECEDENT_PUBLIC_URL is {public_origin}, so "
            f"the cookies are kept over HTTPS only; open the pages at {public_origin}/ui/ rather than "
            "over http://"
        )
    if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise CsrfRefused("the form's security token did not match; reload the page and try again")
    # Browsers send Origin on every cross-site POST; "null" (a sandboxed or privacy-stripped
    # origin) cannot prove it is this site.
    if origin is None or from_public:
        return
    netloc = urlsplit(origin).netloc
    if not netloc or netloc != connection.headers.get("host", ""):
        raise CsrfRefused("the form was posted from another site")


async def authenticate(
    connection: ASGIConnection[Any, Any, Any, Any], tokens: Callable[[], TokenRegistry]
) -> PageSession:
    """The browser's session, from its cookie.

    Raises:
        SignInRequired: if there is no session cookie, or its token is unknown, revoked, expired
            or cannot read.
    """
    secret = connection.cookies.get(SESSION_COOKIE)
    return_to = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    if connection.scope.get("method", "GET") != "GET":
        return_to = HOME
    if not secret:
        raise SignInRequired(return_to)
    try:
        token = await tokens().authenticate(secret)
    except Unauthenticated as exc:
        raise SignInRequired(return_to) from exc
    if not token.grants("read"):
        raise SignInRequired(return_to)
    # The request log names the viewer of a page as it does an API call's.
    connection.scope["user"] = token
    return PageSession(token, token.viewer(), csrf_value(connection))
