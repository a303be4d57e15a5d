"""A whole-number query parameter the framework refused, said as Precedent says a number out of range.

Litestar parses ``?limit=ten`` (and checks ``?weeks=0`` against a ``ge=1``) before any handler
runs, and refused it as "Expected `int`, got `str`", where ``?limit=0`` got the project's "limit
must be a whole number from 1 to 100, not 0: ...". ``number_refusal`` finds the parameter in the
route's signature, with the bounds its OpenAPI entry publishes, so ``api/errors.py`` answers
both in one wording (``InvalidQuery.number_out_of_range``). A window's hours (a number above 0,
``?since_hours=0`` or ``?since_hours=x``) is refused as the CLI and the MCP tools refuse it
(``InvalidQuery.hours_out_of_range``); any other bounded number (``?min_similarity=2``) in the
same words (``InvalidQuery.decimal_out_of_range``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.params import ParameterKwarg

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from litestar.handlers.base import BaseRouteHandler
    from litestar.typing import FieldDefinition

__all__ = ["number_refusal"]


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
