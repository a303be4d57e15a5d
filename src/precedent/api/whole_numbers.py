"""A whole-number query parameter the framework refused, said as Precedent says a number out of range.

Litestar parses ``?limit=ten`` (and checks ``?weeks=0`` against a ``ge=1``) before any handler
runs, and refused it as "Expected `int`, got `str`", where ``?limit=0`` got the project's "limit
must be a whole number from 1 to 100, not 0: ...". ``number_refusal`` finds the parameter in the
route's signature, with the bounds its OpenAPI entry publishes, so ``api/errors.py`` answers
both in one wording (``InvalidQuery.number_out_of_range``). A window's hours (a number above 0,
``?since_hours=0`` or ``?since_hours=x``) is refused as the CLI and the MCP tools refuse it
(``InvalidQuery.hours_out_of_range``); any other bounded number (``?min_similarity=2``) in the
same words (``InvalidQuery.decimal_out_of_range``).

Litestar also reads a whole number written as a decimal or in exponent form (``?limit=1e1`` as
10, ``?limit=1e6`` as 1000000, ``?limit=10.0``) before the range is checked: ``reject_unwhole_numbers``
refuses it first, in the words ``?limit=ten`` gets.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from litestar.params import ParameterKwarg

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.typing import FieldDefinition

__all__ = ["number_refusal", "reject_unwhole_numbers"]

_WRITTEN_WHOLE = re.compile(r"-?[0-9]+")


def _whole_number(parameter: FieldDefinition) -> bool:
    if parameter.annotation is int:
        return True
    return parameter.is_optional and any(inner.annotation is int for inner in parameter.inner_types)


def _bounds(kwarg: ParameterKwarg) -> tuple[int | None, int | None]:
    """The least and the most a parameter takes: its validator's bounds, or those it only publishes."""
    extra = kwarg.schema_extra or {}
    least = kwarg.ge if kwarg.ge is not None else (kwarg.gt + 1 if kwarg.gt is not None else None)
    most = kwarg.le if kwarg.le is not None else (kwarg.lt - 1 if kwarg.lt is not None else None)
    least = least if least is not None else extra.get("minimum")
    most = most if most is not None else extra.get("maximum")
    whole = (value if isinstance(value, int) else None for value in (least, most))
    return next(whole), next(whole)


def number_refusal(handler: BaseRouteHandler, name: str, given: str) -> InvalidQuery | None:
    """The refusal of ``given`` for the whole-number query parameter ``name`` of ``handler``.

    ``None`` when ``name`` is no whole number with a published range there (the framework's
    words stand).
    """
    for argument, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if not isinstance(kwarg, ParameterKwarg) or (kwarg.query or argument) != name:
            continue
        shown = given if given.strip() else repr(given)
        if parameter.annotation is float and kwarg.gt == 0 and isinstance(kwarg.le, int):
            return InvalidQuery.hours_out_of_range(name, shown, kwarg.le)
        if parameter.annotation is float and kwarg.gt is not None and kwarg.le is not None:
            # ?min_similarity=2 was "Expected `float` <= 1.0", and =x "Expected `float`, got `str`".
            return InvalidQuery.decimal_out_of_range(name, shown, kwarg.gt, kwarg.le)
        least, most = _bounds(kwarg)
        if not _whole_number(parameter) or least is None or most is None:
            return None
        # An empty value ("?limit=") would read as "not :"; quoted, it says what was sent.
        return InvalidQuery.number_out_of_range(name, shown, least, most)
    return None


def _reads_as_number(given: str) -> bool:
    try:
        float(given)
    except ValueError:
        return False
    return True


async def reject_unwhole_numbers(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse a whole-number query parameter written other than in digits, as ``?limit=ten`` is.

    Async although it never waits, so Litestar does not run it in a worker thread (see
    ``require_scope``). A word is left to the framework, whose refusal ``api/errors.py`` words
    alike (and lists beside any other parameter it refuses).

    Raises:
        InvalidQuery: naming the first whole-number parameter given as ``1e1`` or ``10.0``.
    """
    for name, given in connection.query_params.items():
        if not isinstance(given, str) or _WRITTEN_WHOLE.fullmatch(given) or not _reads_as_number(given):
            continue
        # A window's hours and a fraction take 1e1 as written: only a whole number is refused.
        if _whole_number_parameter(handler, name) and (refusal := number_refusal(handler, name, given)):
            raise refusal


def _whole_number_parameter(handler: BaseRouteHandler, name: str) -> bool:
    for argument, parameter in handler.parsed_fn_signature.parameters.items():
        kwarg = parameter.kwarg_definition
        if isinstance(kwarg, ParameterKwarg) and (kwarg.query or argument) == name:
            return _whole_number(parameter)
    return False
