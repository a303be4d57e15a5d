"""Tool arguments the agent got wrong, said in the terms of the input schema it was given.

The SDK validates arguments against each tool's pydantic model before Precedent's code runs and
reports a failure as pydantic's own text ("1 validation error for searchArguments ... For further
information visit https://errors.pydantic.dev/..."). ``argument_errors`` rewrites that from the
tool's published input schema: which argument, what to send instead, what was sent.
``unknown_arguments`` refuses names a tool does not take, as the HTTP API refuses unknown query
parameters, so a misspelt ``service`` for ``services`` is never dropped in silence.
``mistyped_arguments`` refuses a string for a number or a flag, as the HTTP API does: the SDK's
validation is lax, so ``rebuild: "yes"`` became true and ``limit: "5"`` 5. A number with a published
range is refused in the words the HTTP API and the CLI use (``InvalidQuery.number_out_of_range``,
``InvalidQuery.hours_out_of_range``), whether it is out of range, a fraction or a string. ``renamed`` takes an
argument by the name the HTTP API gives it (``q``, ``label``, ``rel``) or by the older name a tool
gave it first (``query``, ``labels``, ``relationships``), so agents written for either keep working.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from precedent.errors import InvalidQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pydantic import ValidationError

__all__ = ["argument_errors", "mistyped_arguments", "nulls_left_out", "renamed", "unknown_arguments"]

T = TypeVar("T")

_TIME = "an ISO 8601 time with a time zone, e.g. 2026-12-03T14:05:00Z"


def _is_flag(value: object) -> bool:
    return isinstance(value, bool)


def _is_number(value: object) -> bool:
    # A bool is no number, as in JSON.
    return isinstance(value, int | float) and not isinstance(value, bool)


# What a JSON value of each strictly checked schema type is.
_JSON_TYPES: dict[str, Callable[[object], bool]] = {
    "boolean": _is_flag,
    "integer": _is_number,
    "number": _is_number,
}

# What is wrong with a value of the right type.
_WHY = {
    "timezone_aware": "has no time zone: add Z for UTC, or an offset such as +01:00",
    "int_from_float": "has a fractional part",
    "string_too_short": "is empty",
}


def argument_errors(error: ValidationError, schema: Mapping[str, Any]) -> str:
    """One clause per rejected argument: what it must be, and what was sent.

    Args:
        error: The SDK's validation of the arguments against the tool's model.
        schema: The tool's input schema, as ``tools/list`` gave it to the agent.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    problems: list[str] = []
    for detail in error.errors():
        location = [str(part) for part in detail["loc"]]
        name = location[0] if location else ""
        field = properties.get(name)
        if field is None:  # not an argument the schema names: pydantic's words are all there is
            problems.append(f"`{'.'.join(location)}`: {detail['msg']}")
            continue
        refusal = _range_refusal(name, field, detail["input"]) if len(location) == 1 else None
        if refusal is not None and detail["type"] != "missing":
            problems.append(refusal)
            continue
        if detail["type"] == "missing":
            what = field.get("description")
            problems.append(f"`{name}` is required" + (f": {what}" if what else ""))
            continue
        shape, sent, why = _expected(field), _shown(detail["input"]), _WHY.get(detail["type"])
        if field.get("type") == "array" and len(location) > 1:  # one item of a list
            name, shape = f"{name}[{location[1]}]", _expected(field.get("items", {}))
        elif field.get("type") == "array" and isinstance(detail["input"], str):
            why = f"is one value: send a list, {_shown([detail['input']])}"
        if why is None and detail.get("ctx", {}).get("error"):
            why = f"is not one ({detail['ctx']['error']})"
        problems.append(
            f"`{name}` must be {shape or detail['msg']}" + (f"; {sent} {why}" if why else f", not {sent}")
        )
    return "invalid arguments: " + "; ".join(problems)


def unknown_arguments(tool: str, arguments: Mapping[str, object], schema: Mapping[str, Any]) -> str | None:
    """Say which arguments ``tool`` does not take, and which it does; ``None`` when all are known."""
    known = list(schema.get("properties", {}))
    unknown = [name for name in arguments if name not in known]
    if not unknown:
        return None
    names = ", ".join(f"`{name}`" for name in unknown)
    takes = ", ".join(known) if known else "no arguments"
    return f"invalid arguments: {tool} takes no {names}; it takes {takes}"


def nulls_left_out(arguments: Mapping[str, object], schema: Mapping[str, Any]) -> dict[str, object]:
    """``arguments`` without the nulls sent for arguments that have a default: those are left out.

    Many models fill every optional argument of a schema, sending ``null`` for those they mean
    to leave out (``"label": null``); refused as "must be a list", the first call failed. A null
    for an argument without a default (a required one) is kept, and refused as not what it takes.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    return {
        name: value
        for name, value in arguments.items()
        if value is not None or "default" not in properties.get(name, {})
    }


def renamed(name: str, value: T | None, older: str, older_value: T | None) -> T | None:
    """The argument given as ``name`` (the API's name for it) or as ``older`` (this tool's first name).

    Raises:
        ValueError: naming both, if both were given (which one was meant cannot be told).
    """
    given = value is not None and value != ()  # a list argument's default is empty, not absent
    if given and older_value is not None and older_value != ():
        raise ValueError(f"pass `{name}` or its older name `{older}`, not both")
    return value if given else older_value


def mistyped_arguments(arguments: Mapping[str, object], schema: Mapping[str, Any]) -> str | None:
    """Say which number or flag arguments were sent as another JSON type; ``None`` when none were.

    A float for a whole number passes here: the SDK's validation says whether it has a fractional part.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    problems = []
    for name, value in arguments.items():
        field = properties.get(name)
        if field is None:
            continue
        kinds = {branch.get("type") for branch in field.get("anyOf", [field])}
        if value is None and "null" in kinds:
            continue
        checks = [_JSON_TYPES[kind] for kind in kinds - {"null"} if kind in _JSON_TYPES]
        if checks and len(checks) == len(kinds - {"null"}) and not any(check(value) for check in checks):
            refusal = _range_refusal(name, field, value)
            problems.append(refusal or f"`{name}` must be {_expected(field)}, not {_shown(value)}")
    return "invalid arguments: " + "; ".join(problems) if problems else None


def _range_refusal(name: str, field: Mapping[str, Any], value: object) -> str | None:
    """The refusal of ``value`` for a number argument with a published range, in the words the
    HTTP API and the CLI use for it; ``None`` for any other argument.

    The tools' only fractional numbers are windows' hours (above 0, at most a cap).
    """
    choices = [branch for branch in field.get("anyOf", [field]) if branch.get("type") != "null"]
    if len(choices) != 1:
        return None
    number, shown = choices[0], _shown(value)
    least, most = number.get("minimum"), number.get("maximum")
    if number.get("type") == "integer" and isinstance(least, int) and isinstance(most, int):
        return str(InvalidQuery.number_out_of_range(name, shown, least, most))
    if number.get("type") == "number" and number.get("exclusiveMinimum") == 0 and isinstance(most, int):
        return str(InvalidQuery.hours_out_of_range(name, shown, most))
    return None


def _expected(field: Mapping[str, Any]) -> str:
    """What a value of ``field`` (a JSON schema) is, in words; empty when it cannot be said."""
    choices = [branch for branch in field.get("anyOf", ()) if branch.get("type") != "null"]
    if len(choices) == 1:
        return _expected(choices[0])
    if "enum" in field:
        return "one of " + ", ".join(json.dumps(value) for value in field["enum"])
    kind = field.get("type")
    if kind == "string":
        if field.get("format") == "date-time":
            return _TIME
        return "a non-empty string" if field.get("minLength") else "a string"
    if kind in ("integer", "number"):
        return ("a whole number" if kind == "integer" else "a number") + _bounds(field)
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        items = field.get("items", {})
        if "enum" in items:
            return "a list of " + ", ".join(json.dumps(value) for value in items["enum"])
        return "a list of strings" if items.get("type") == "string" else "a list"
    return ""


def _bounds(field: Mapping[str, Any]) -> str:
    low, high = field.get("minimum"), field.get("maximum")
    above, below = field.get("exclusiveMinimum"), field.get("exclusiveMaximum")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    parts = [
        f"at least {low}" if low is not None else "",
        f"above {above}" if above is not None else "",
        f"at most {high}" if high is not None else "",
        f"below {below}" if below is not None else "",
    ]
    said = " and ".join(part for part in parts if part)
    return f" {said}" if said else ""


def _shown(value: object) -> str:
    """The sent value as JSON, cut short (the argument, not the agent's whole message)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
