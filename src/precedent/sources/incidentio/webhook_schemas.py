"""The payload schema of every incident.io webhook event, checked with ``fastjsonschema`` then ``jsonschema``.

The schemas are the spec's ``x-webhooks`` entries, copied into ``webhook_schemas.json`` by
``scripts/extract_webhook_schemas.py`` (enums dropped, because incident.io adds values without
notice), so the installed package never reads the spec itself. Timestamps must be RFC 3339 with a
time zone: mapping an incident needs that, and a delivery that breaks it is refused up front
rather than failing in the worker again and again.

For the same reason the schemas are bounded where the spec is not (``_bounded``): every number
must fit a signed 64-bit integer (the Neo4j driver cannot send a larger one), and every id or
reference (``id``, ``*_id``, ``*_ids``, ``reference``) is at most ``MAX_ID_LENGTH`` characters.
The embedded store would take either, Neo4j would refuse them in the worker ("Property value is
too large to index"), and a refusal there comes after the acknowledgement: retried, then dead.

Checking runs on every delivery, before its acknowledgement, on the event loop that answers the
next one: ``jsonschema`` took 1.5-2 ms of CPU per ``incident_created_v2`` (most of the receiver's
cost), so ``fastjsonschema`` (the schema compiled to Python, about 0.1 ms) decides whether a body
fits, and ``jsonschema`` only explains a body that does not (readable lines, every problem). A
body is refused only when ``jsonschema`` finds a problem, so it stays the one authority.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema
from jsonschema import Draft4Validator, FormatChecker

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jsonschema import ValidationError

__all__ = ["MAX_ID_LENGTH", "known_event_types", "schema_errors"]

_DATA_FILE = "webhook_schemas.json"
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.ASCII)
_FORMATS = FormatChecker(formats=())

# incident.io ids are 26-character ULIDs; other systems' ids it passes on (Slack, Microsoft Teams,
# catalog external ids) run to a few dozen. 1,024 characters is 40 times a ULID and, at 4 bytes a
# character in UTF-8 at worst, 4 KiB: under Neo4j's index key limit of about 8 KiB.
MAX_ID_LENGTH = 1024
_INT64 = (-(2**63), 2**63 - 1)


@_FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword reports non-strings
    if not _DATE_TIME.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with a time zone")
    datetime.fromisoformat(value)  # rejects impossible dates such as month 13
    return True


@functools.cache
def _document() -> Mapping[str, Any]:
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    document: Mapping[str, Any] = json.loads(text)
    return document


def _is_id(name: str) -> bool:
    return name in {"id", "reference"} or name.endswith(("_id", "_ids"))


def _bounded(schema: object, name: str = "") -> object:
    """``schema`` with the bounds the stores need (see the module docstring), named by its property."""
    if isinstance(schema, list):
        return [_bounded(item, name) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded: dict[str, object] = {}
    for key, value in schema.items():
        if key == "properties":
            bounded[key] = {prop: _bounded(sub, prop) for prop, sub in value.items()}
        else:
            bounded[key] = _bounded(value, name)  # an array's items keep the array's name
    if schema.get("type") in {"integer", "number"}:
        bounded.update(minimum=_INT64[0], maximum=_INT64[1])
    elif schema.get("type") == "string" and _is_id(name):
        bounded["maxLength"] = MAX_ID_LENGTH
    return bounded


@functools.cache
def _definitions() -> Mapping[str, Any]:
    return {key: _bounded(value) for key, value in _document()["definitions"].items()}


def _root(event_type: str) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": f"#/definitions/{_document()['events'][event_type]}",
        "definitions": _definitions(),
    }


@functools.cache
def _validator(event_type: str) -> Draft4Validator:
    return Draft4Validator(_root(event_type), format_checker=_FORMATS)


def _any(_: object) -> bool:
    return True


@functools.cache
def _fast(event_type: str) -> Callable[[object], object]:
    # The same formats as _FORMATS: date-time checked, the spec's numeric hints ignored.
    formats = {"date-time": _is_date_time, "double": _any, "int64": _any}
    validate: Callable[[object], object] = fastjsonschema.compile(_root(event_type), formats=formats)
    return validate


def _fits(event_type: str, body: object) -> bool:
    try:
        _fast(event_type)(body)
    except (fastjsonschema.JsonSchemaException, ValueError):  # _is_date_time raises ValueError
        return False
    return True


def known_event_types() -> frozenset[str]:
    """Every event type the spec describes."""
    return frozenset(_document()["events"])


def schema_errors(event_type: str, body: object, *, limit: int = 5) -> list[str]:
    """How ``body`` breaks the schema of ``event_type``, as readable lines (empty when it fits).

    Args:
        event_type: One of :func:`known_event_types`.
        body: The decoded delivery (the whole envelope, ``event_type`` included).
        limit: At most this many lines.

    Raises:
        KeyError: if the event type is unknown.
    """
    if _fits(event_type, body):
        return []
    errors = sorted(_validator(event_type).iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {_explained(e)}" for e in errors[:limit]]


def _explained(error: ValidationError) -> str:
    # jsonschema's own words quote the value first, so a long id would be cut before "is too long".
    if error.validator == "maxLength":
        return f"{len(error.instance)} characters, longer than the {MAX_ID_LENGTH} an id may have"
    if error.validator in {"minimum", "maximum"}:
        return f"{str(error.instance)[:40]} is outside the signed 64-bit integers the store can hold"
    return str(error.message)[:200]
