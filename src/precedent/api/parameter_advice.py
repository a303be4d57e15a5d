"""What to send instead, for a parameter or body field the framework refused by its type.

Litestar and pydantic word a refusal as a type check: ``Expected `int`, got `str``` for
``?depth=two``, ``Invalid enum value 'fuzzy'`` for ``?mode=fuzzy`` (without the values it takes),
``Invalid RFC3339 encoded datetime`` for ``?declared_after=2026-11-01``, ``Extra inputs are not
permitted`` for a body's ``"service"`` (meant: ``services``). Each says what is wrong, not what to
send. The words here come from the route's own signature (the parameter's type, the body model's
fields), so a new parameter needs nothing added.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel

if TYPE_CHECKING:
    from litestar import Request
    from litestar.typing import FieldDefinition

__all__ = ["advised", "body_advice", "ISO_TIME_EXAMPLE"]

ISO_TIME_EXAMPLE = "2026-03-01T10:00:00Z"
_EXTRA_FIELD = "Extra inputs are not permitted"
_BAD_TIME = "Input should be a valid datetime"
# msgspec's words for a value of the wrong type; a bound it checks ("Expected `int` >= 1") is
# worded well enough already and is kept.
# "Expected `bool | null`" is an optional flag's (?archived=maybe).
_WRONG_TYPE = re.compile(r"^(Expected `[^`]+`, got `\w+`|Invalid enum value .*|Invalid RFC3339 encoded \w+)$")


def _base_type(annotation: Any) -> Any:
    """``annotation`` without ``None`` in a union (``int | None`` -> ``int``) nor its metadata."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        annotation = others[0] if len(others) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _takes(annotation: Any) -> str | None:
    """What a query parameter of this type takes, in words, or ``None`` when it is plain text."""
    base = _base_type(annotation)
    if base is AwareDatetime:  # a body's time: no datetime subclass
        base = datetime
    if typing.get_origin(base) is Literal:
        return "one of " + ", ".join(str(value) for value in typing.get_args(base))
    if isinstance(base, type) and issubclass(base, Enum):
        return "one of " + ", ".join(str(member.value) for member in base)
    if base is bool:  # before int: bool is an int
        return "true or false"
    if base is int:
        return "a whole number"
    if base is datetime:
        return f"an ISO 8601 time with a time zone, such as {ISO_TIME_EXAMPLE}"
    return None


def _parameter(request: Request[Any, Any, Any], name: str) -> FieldDefinition | None:
    parameters = request.route_handler.parsed_fn_signature.parameters
    if name in parameters:
        return parameters[name]
    # A parameter published under another name (``QueryParameter(query="...")``).
    return next(
        (p for p in parameters.values() if getattr(p.kwarg_definition, "query", None) == name),
        None,
    )


def _body_model(request: Request[Any, Any, Any]) -> type[BaseModel] | None:
    """The model of the route's JSON body, if it takes one."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    model = _base_type(data.annotation) if data is not None else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _body_fields(request: Request[Any, Any, Any]) -> list[str]:
    """The fields the route's JSON body takes (by the names a client sends), or none."""
    model = _body_model(request)
    return [info.alias or name for name, info in model.model_fields.items()] if model else []


def _body_takes(annotation: Any) -> str | None:
    """What a body field of this type takes, in words (a query parameter's words, and text and lists)."""
    base = _base_type(annotation)
    if base is str:
        return "a string"
    if base is float:
        return "a number"
    if typing.get_origin(base) in (list, tuple):
        items = [_body_takes(arg) for arg in typing.get_args(base) if arg is not Ellipsis]
        return "a list of strings" if items == ["a string"] else "a list"
    return _takes(base)


def _sent(value: object) -> str:
    """A sent value as the JSON it was, cut short (the field, not the whole body)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# pydantic's refusals of a value of the wrong type, each answered "<field> must be <what it takes>".
_WRONG_BODY_TYPE = frozenset(
    {
        "string_type",
        "list_type",
        "int_type",
        "float_type",
        "bool_type",
        "literal_error",
        "enum",
        "datetime_type",
        "datetime_parsing",
        "datetime_from_date_parsing",
        "value_error",  # a time sent as a number (requests.IsoTime)
    }
)


def body_advice(request: Request[Any, Any, Any], error: typing.Mapping[str, Any]) -> str | None:
    """pydantic's refusal ``error`` of a body field, in the API's words: what to send instead.

    pydantic says "Input should be a valid string" for ``{"name": 5}``, "Field required" for a
    missing one and "List should have at most 100 items after validation" for too many, where a
    query's refusal names the field, what it takes and what was sent.

    Returns:
        The sentence, or ``None`` for a refusal this does not word (pydantic's words stand).
    """
    model, location = _body_model(request), [str(part) for part in error.get("loc", ())]
    info = model.model_fields.get(location[0]) if model is not None and location else None
    if info is None:
        return None
    field, kind, sent, ctx = ".".join(location), error.get("type"), error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return f"{field} is required: send {info.description}" if info.description else f"{field} is required"
    if kind == "timezone_aware":
        zone = f"add Z for UTC ({ISO_TIME_EXAMPLE}) or an offset such as +01:00"
        return f"{field} has no time zone, {_sent(sent)}: {zone}"
    if kind == "string_too_long" and isinstance(sent, str):
        return f"{field} is {len(sent):,} characters long; send at most {ctx.get('max_length'):,}"
    if kind == "too_long":
        return f"{field} holds {ctx.get('actual_length'):,} items; send at most {ctx.get('max_length'):,}"
    if kind not in _WRONG_BODY_TYPE:
        return None
    annotation = info.annotation
    if len(location) > 1:  # one item of a list
        inner = [a for a in typing.get_args(_base_type(annotation)) if a is not Ellipsis]
        annotation = inner[0] if inner else annotation
    takes = _body_takes(annotation)
    return f"{field} must be {takes}, not {_sent(sent)}" if takes else None


def _unknown_field(field: str, accepted: list[str]) -> str:
    meant = difflib.get_close_matches(field, accepted, n=1)
    hint = f" (did you mean {meant[0]}?)" if meant else ""
    return f"unknown field {field!r}{hint}; this body takes: {', '.join(accepted)}"


def advised(request: Request[Any, Any, Any], field: str, source: str, message: str) -> str:
    """``message``, refusing ``field`` from ``source`` (``query`` or ``body``), saying what to send.

    Args:
        request: The refused request (its route's signature names the types and fields).
        field: The refused parameter or body field.
        source: ``query`` or ``body``.
        message: The framework's words for it.

    Returns:
        A sentence naming the field, what it takes and what was sent, when the field's type or
        the body's fields say it; else ``message`` unchanged.
    """
    if source == "query":
        parameter = _parameter(request, field)
        takes = _takes(parameter.annotation) if parameter is not None else None
        raw = request.query_params.get(field)
        if takes is None or not isinstance(raw, str) or not _WRONG_TYPE.match(message):
            return message
        return f"{field} must be {takes}, not {raw!r}"
    if source == "body":
        if message == _EXTRA_FIELD:
            accepted = _body_fields(request)
            return _unknown_field(field, accepted) if accepted else message
        if message.startswith(_BAD_TIME):
            return f"{message}: send an ISO 8601 time with a time zone, such as {ISO_TIME_EXAMPLE}"
    return message
