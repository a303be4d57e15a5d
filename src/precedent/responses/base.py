"""The base of every response model: one written shape for a time, wherever the time sits.

pydantic writes a time ``2026-12-05T10:00:00Z`` on a whole second and
``2026-12-05T10:00:00.500000Z`` otherwise, so a client sorting the strings put the whole second
after the half. Every response writes ``2026-12-05T10:00:00.000000Z`` instead: UTC, always six
digits of fraction, one length, so the strings sort as the times do. The models embed the
``browse`` and ``investigation`` layers' dataclasses (a ``Change``, an ``IncidentBrief``), which
cannot carry a pydantic annotation, so the rule is applied to every time in the model's schema as
it is built rather than to each field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

__all__ = ["ResponseModel", "time_text", "utc_text"]


def utc_text(value: datetime) -> str:
    """``value`` as every response writes a time: ``2026-12-05T10:00:00.000000Z``.

    Args:
        value: A time; one without a zone is read as UTC, as the map stores times.

    Returns:
        The time in UTC with microseconds and ``Z``, the same length for every time.
    """
    return _in_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _in_utc(value: datetime) -> datetime:
    """``value`` in UTC; one without a zone is read as UTC (``astimezone`` would read it as local)."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def time_text(value: datetime | None) -> str:
    """``value`` as every surface writes a time for people: ``2026-12-03 03:45 UTC``.

    The pages, the CLI's tables and its ``service`` and ``changes`` commands all show UTC, as
    incident.io's timelines do; ``unknown`` when there is no time. One without a zone is read as
    UTC, as ``utc_text`` reads it.
    """
    return _in_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "unknown"


_UTC_TEXT = core_schema.plain_serializer_function_ser_schema(utc_text, when_used="json")


def _write_times_as_utc_text(schema: object, handler: GetCoreSchemaHandler, seen: set[int]) -> None:
    # Nested dataclasses are references into the definitions being built: follow them, once.
    if isinstance(schema, dict):
        if id(schema) in seen:
            return
        seen.add(id(schema))
        if schema.get("type") == "datetime" and "serialization" not in schema:
            schema["serialization"] = _UTC_TEXT
        if schema.get("type") == "definition-ref":
            _write_times_as_utc_text(handler.resolve_ref_schema(schema), handler, seen)
        for value in schema.values():
            _write_times_as_utc_text(value, handler, seen)
    elif isinstance(schema, list):
        for value in schema:
            _write_times_as_utc_text(value, handler, seen)


class ResponseModel(BaseModel):
    """A frozen response whose times are written by ``utc_text`` in JSON (HTTP, ``--json``, MCP).

    In Python (``model_dump()``, the web pages' templates) a time stays a ``datetime``.
    """

    model_config = ConfigDict(frozen=True)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /
    ) -> core_schema.CoreSchema:
        """The model's schema, each time in it (nested dataclasses' too) written by ``utc_text``."""
        schema = handler(source)
        _write_times_as_utc_text(schema, handler, set())
        return schema
