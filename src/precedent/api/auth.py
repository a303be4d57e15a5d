"""Bearer-token authentication: who is calling (middleware), what they may call (guard), what they see.

* ``BearerAuthMiddleware`` turns ``Authorization: Bearer prec_...`` into the request's ``user``
  (an ``ApiToken``) or a 401 problem; public paths (``PUBLIC_PATHS``) and handlers with
  ``opt={"exclude_from_auth": True}`` skip it.
* ``require_scope`` (an app-wide guard) refuses with 403 a token lacking the handler's scope,
  declared as ``opt={"scope": "admin"}`` (or several, all needed: ``opt={"scope": ("read",
  "write")}``); ``read`` when not declared. ``scope_security`` states the same scopes in the
  operation's OpenAPI ``security``.
* ``api/viewer.py`` turns the accepted token into the request's ``Viewer``.

The token is never logged, and failures are counted in ``precedent_auth_failures_total``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.types import Receive, Scope, Send

from precedent.api.errors import answer_problem
from precedent.auth import ApiToken, TokenRegistry
from precedent.errors import Forbidden, PrecedentError, StoreUnavailable, Unauthenticated
from precedent.metrics import AUTH_FAILURES

__all__ = [
    "BEARER_COMPONENTS",
    "BEARER_REQUIRED",
    "DEFAULT_SCOPE",
    "NO_TOKEN_NEEDED",
    "PUBLIC_PATHS",
    "TOKENS_STATE_KEY",
    "BearerAuthMiddleware",
    "demand_scopes",
    "require_scope",
    "route_scopes",
    "scope_security",
]

DEFAULT_SCOPE = "read"
PUBLIC_PATHS = ("^/health$", "^/ready$", "^/schema", "^/v1/webhooks/incident-io")
"""Paths answered without a token: liveness, readiness, the OpenAPI document and its pages, and
the webhook receiver (which checks incident.io's signature instead)."""
BEARER_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="prec_<43 characters>",
            description="An API token from `precedent token create --scope read`.",
        )
    }
)
"""The OpenAPI security scheme every route but the public ones uses."""
BEARER_REQUIRED: list[SecurityRequirement] = [{"bearer": []}]
NO_TOKEN_NEEDED: list[SecurityRequirement] = [{}]
"""A public route's OpenAPI security: the empty requirement says a token is not needed there."""
TOKENS_STATE_KEY = "tokens"
"""Where the lifespan puts the app's ``TokenRegistry`` in ``app.state``."""


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization")
    if not header:
        raise Unauthenticated("missing")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("malformed", scheme=scheme if secret.strip() else None)
    return secret.strip()


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Authenticate each request by its bearer token against the app's ``TokenRegistry``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, answering a refused one here with its problem response.

        Answering here rather than raising keeps the refusal inside the request-logging and
        latency middleware that wraps this one, so a 401 is logged and timed like any response.
        So is a token that cannot be looked up (the store is down: 503): Litestar answers an
        exception escaping middleware outside that middleware, which logged and counted it as a
        500 without a request id.
        """
        try:
            await super().__call__(scope, receive, send)
        except PrecedentError as exc:
            request: Request[Any, Any, Any] = Request(scope, receive)
            # The route's own encoders, so the problem serialises exactly as a handler's would.
            encoders = request.route_handler.resolve_type_encoders()
            response = answer_problem(request, exc).to_asgi_response(None, request, type_encoders=encoders)
            await response(scope, receive, send)

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Return the token as the user (and its id as the auth value).

        Raises:
            Unauthenticated: if the token is missing, malformed, unknown, revoked or expired.
            StoreUnavailable: while the app is starting or stopping.
        """
        registry = connection.app.state.get(TOKENS_STATE_KEY)
        if not isinstance(registry, TokenRegistry):
            raise StoreUnavailable(
                "the service is starting or stopping; retry in a few seconds", for_clients=True
            )
        try:
            token = await registry.authenticate(_bearer(connection))
        except Unauthenticated as exc:
            AUTH_FAILURES.labels(exc.reason).inc()
            raise
        return AuthenticationResult(user=token, auth=token.id)


def route_scopes(handler: BaseRouteHandler) -> tuple[str, ...]:
    """The scopes a handler needs, all of them: its ``opt["scope"]`` (one or a tuple), ``read`` by default."""
    declared = handler.opt.get("scope", DEFAULT_SCOPE)
    return (declared,) if isinstance(declared, str) else tuple(str(s) for s in declared)


def scope_security(*scopes: str) -> list[SecurityRequirement]:
    """An operation's OpenAPI ``security``: a bearer token holding every one of ``scopes``."""
    return [{"bearer": list(scopes)}]


async def require_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: the caller's token must grant each of the handler's scopes (``route_scopes``).

    Requests the middleware let through without a token (public paths) pass. Async although it
    never waits: Litestar runs a sync guard in a worker thread, a thread hop on every request that
    queued behind whatever else the pool was doing (webhook acknowledgements waited on it).

    Raises:
        Forbidden: naming the missing scope.
    """
    demand_scopes(connection, route_scopes(handler))


def demand_scopes(connection: ASGIConnection[Any, Any, Any, Any], needed: tuple[str, ...]) -> None:
    """Refuse the request unless its token grants every scope in ``needed``.

    For what a route needs only with some arguments (``?rebuild=true`` stores a new investigation);
    ``require_scope`` calls it for what every call of a route needs. Requests without a token
    (public paths) pass.

    Raises:
        Forbidden: naming the first missing scope, and all of ``needed``.
    """
    token = connection.scope.get("user")
    if not isinstance(token, ApiToken):
        return
    for scope in needed:
        if not token.grants(scope):
            AUTH_FAILURES.labels("insufficient_scope").inc()
            raise Forbidden(scope, needs=needed)
