"""Investigations to JSON and back: the one serialised shape (stored, served, printed).

Walks the frozen dataclasses of ``results`` by their type hints, so a field added there is
serialised without touching this module. Times are ISO 8601 strings.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from precedent.investigation import results
from precedent.investigation.results import Investigation
from precedent.investigation.summary_links import site_relative

__all__ = ["JSON", "encode", "investigation_from_json", "investigation_json"]

JSON = dict[str, object]
T = TypeVar("T")

_HINTS: dict[type, dict[str, object]] = {}


def _hints(cls: type) -> dict[str, object]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls, vars(results))
    return _HINTS[cls]


def _upgrade_on_call(data: dict[str, object]) -> dict[str, object]:
    # Investigations stored before on-call entries said "synced"/"live" and "fetched_at" still
    # decode, so a map built by an earlier version keeps serving its investigations.
    old = {"schedule": "synced", "incident.io live": "live"}
    data = dict(data)
    if "as_of" in data and "fetched_at" not in data:
        data["fetched_at"] = data.pop("as_of")
    data["source"] = old.get(str(data.get("source")), data.get("source"))
    return data


def _upgrade_summary_links(data: dict[str, object]) -> dict[str, object]:
    # Investigations stored before their summaries' links were site-relative carry the base in
    # force when they were built: taken off, so each reader puts its own (``summary_links``).
    summary, investigation_id = data.get("summary_markdown"), data.get("id")
    if not isinstance(summary, str) or not isinstance(investigation_id, str):
        return data
    return {**data, "summary_markdown": site_relative(summary, investigation_id)}


_UPGRADES = {results.OnCall: _upgrade_on_call, results.Investigation: _upgrade_summary_links}


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _decode(hint: Any, value: object) -> object:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _decode(inner[0], value)
    if origin is tuple:
        item = get_args(hint)[0]
        return tuple(_decode(item, v) for v in typing.cast("list[object]", value))
    if origin is dict:
        item = get_args(hint)[1]
        return {k: _decode(item, v) for k, v in typing.cast("dict[str, object]", value).items()}
    if origin is typing.Literal or hint in (str, int, bool, object):
        return value
    if hint is float:
        return float(typing.cast("float", value))
    if hint is datetime:
        return datetime.fromisoformat(str(value))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        data = typing.cast("dict[str, object]", value)
        if hint in _UPGRADES:
            data = _UPGRADES[hint](data)
        hints = _hints(hint)
        return hint(**{name: _decode(hints[name], data.get(name)) for name in hints if name in data})
    return value


def encode(value: object) -> JSON:
    """Return any result dataclass (a ``Change``, a ``Hypothesis``...) as JSON-ready values."""
    return typing.cast("JSON", _encode(value))


def investigation_json(investigation: Investigation) -> JSON:
    """Return ``investigation`` as JSON-ready values (dicts, lists, strings, numbers)."""
    return typing.cast("JSON", _encode(investigation))


def investigation_from_json(data: JSON) -> Investigation:
    """Rebuild an ``Investigation`` from ``investigation_json``'s output.

    Raises:
        ValueError: if ``data`` is not the shape ``investigation_json`` writes.
    """
    try:
        return typing.cast("Investigation", _decode(Investigation, data))
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a stored investigation: {exc}") from exc
