"""Guard: a ``/v1`` request with a query parameter its route does not take is a 400 naming it.

Without it, ``?statu=closed`` or ``?servise=db`` would be ignored and the caller would read every
incident as if filtered, and ``POST /v1/similar?limit=50`` would answer the body's 10 as if
asked for 50. So is one given twice that takes one value: ``?severity=Minor&severity=Major``
(as many HTTP clients send a list) kept the last and listed the Major incidents alone. A route
may opt out with ``opt={"any_query": True}`` (the webhook receiver: its URL, query string and
all, is whatever its sender was configured with).

The accepted names come from the handler's own signature (what the OpenAPI document lists), so a
new parameter needs no second list here.

A name another surface gives one of the route's parameters (``OTHER_NAMES``: the MCP tools' older
``query``, ``labels`` and ``relationships``, ``recent_changes``' ``hours``, the CLI's ``--kind``)
is refused naming the API's ("use q, not query"), not taken as well: each alias would be a second
parameter of the route in the OpenAPI document, two ways to send one value for a generated client,
and a request giving both would need a rule of its own. The refusal costs a caller who learnt
another surface one retry.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OTHER_NAMES", "reject_unknown_query"]

OTHER_NAMES: Mapping[str, str] = MappingProxyType(
    {"query": "q", "labels": "label", "relationships": "rel", "kind": "kinds", "hours": "since_hours"}
)
"""The API's name of a parameter, by the name another surface gives it: an MCP tool's older name
(``query`` for ``q``; tests/mcp checks the tools' list against this one), an MCP tool's own
(``recent_changes``' ``hours``) or a CLI flag's."""

# Names litestar fills from the request itself, never from the query string.
_RESERVED = frozenset({"data", "request", "state", "scope", "socket", "headers", "cookies", "query", "body"})
_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def _accepted(handler: BaseRouteHandler) -> dict[str, bool]:
    """The query parameters ``handler`` takes, each with whether it takes a list (given repeated)."""
    # Not cached: a few names per request, and litestar caches resolve_dependencies itself.
    skip = set(handler.resolve_dependencies()) | _RESERVED
    skip |= {name for path in handler.paths for name in _PATH_PARAMETER.findall(path)}
    names: dict[str, bool] = {}
    for name, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if name in skip or (isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie)):
            continue
        listed = parameter.is_non_string_collection or any(
            inner.is_non_string_collection for inner in parameter.inner_types
        )
        names[kwarg.query if isinstance(kwarg, ParameterKwarg) and kwarg.query else name] = listed
    return names


async def reject_unknown_query(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse a ``/v1`` request whose query names a parameter its route does not take.

    Async although it never waits, so Litestar does not run it in a worker thread (see
    ``require_scope``).

    Raises:
        InvalidQuery: naming the first unknown parameter and the ones the route accepts (the one
            to use instead, for a name another surface gives one), or the first one given more
            than once that takes one value.
    """
    if handler.opt.get("any_query") or not connection.url.path.startswith("/v1/"):
        return
    accepted = _accepted(handler)
    # From the raw query string: the parsed one drops a parameter with an empty name ("?=x").
    raw = connection.scope.get("query_string", b"").decode("latin-1")
    names = [unquote_plus(part.split("=", 1)[0]) for part in raw.split("&") if part]
    given = set(names)
    unknown = sorted(given - accepted.keys())
    renamed = [name for name in unknown if OTHER_NAMES.get(name) in accepted]
    if renamed:
        other, own = renamed[0], OTHER_NAMES[renamed[0]]
        raise InvalidQuery(
            f"unknown query parameter {other!r}: use {own}, not {other} (the API takes one name for "
            f"each parameter, as its OpenAPI document at /schema lists them); {connection.url.path} "
            f"accepts: {', '.join(sorted(accepted))}",
            field=other,
        )
    if unknown:
        if accepted:
            takes = f"accepts: {', '.join(sorted(accepted))}"
        else:  # a POST whose fields, limit included, go in its JSON body
            body = connection.scope.get("method") in ("POST", "PUT", "PATCH")
            takes = "takes none" + ("; send its fields in the JSON body" if body else "")
        raise InvalidQuery(
            f"unknown query parameter {unknown[0]!r}; {connection.url.path} {takes}", field=unknown[0]
        )
    repeated = sorted(name for name in given if names.count(name) > 1 and not accepted[name])
    if repeated:
        raise InvalidQuery(
            f"query parameter {repeated[0]!r} is given {names.count(repeated[0])} times and takes one "
            f"value; give it once (several values comma-separated where it takes them: "
            f"{repeated[0]}=a,b)",
            field=repeated[0],
        )
