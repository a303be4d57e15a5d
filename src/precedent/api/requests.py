"""The request bodies the API accepts (responses live in ``precedent.responses``)."""

from __future__ import annotations

import json
from typing import Annotated

from litestar.params import ParameterKwarg, QueryParameter
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from precedent.errors import InvalidQuery
from precedent.retrieval import (
    EXCLUDE_MAX,
    NAME_MAX_CHARS,
    SERVICES_MAX,
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    SUMMARY_MAX_CHARS,
)

__all__ = [
    "PROJECT_REFUSALS",
    "DescribedIncidentRequest",
    "IsoTime",
    "hours_number",
    "limit_bounds",
    "limit_parameter",
    "whole_number",
]


def limit_bounds(most: int) -> JsonDict:
    """A ``limit``'s range, for a schema to publish but not check.

    The layer below checks it, in the one wording of every route, command and tool
    (``InvalidQuery.limit_out_of_range``): a validator here answered "Expected `int` >= 1", and
    pydantic "Input should be greater than or equal to 1", for the same mistake.
    """
    return {"minimum": 1, "maximum": most}


def limit_parameter(most: int, what: str) -> ParameterKwarg:
    """A ``limit`` query parameter from 1 to ``most`` (``limit_bounds``), described as ``what``."""
    return QueryParameter(description=f"{what} (1 to {most})", schema_extra=limit_bounds(most))


def _json(value: object) -> str:
    return json.dumps(value, default=str)


PROJECT_REFUSALS = frozenset({"whole_number", "hours_number"})
"""The pydantic error types of a body's field refused in the project's words (an ``InvalidQuery``'s)."""


def _refused(kind: str, said: InvalidQuery) -> PydanticCustomError:
    # The text as a context value: a sent "{" is no template field.
    return PydanticCustomError(kind, "{said}", {"said": str(said)})


def whole_number(name: str, least: int, most: int) -> BeforeValidator:
    """A body's whole-number field: a string, a fraction or a flag is refused as a number out of
    range is (``InvalidQuery.number_out_of_range``), its range left to the layer below.

    pydantic said "Input should be a valid integer" for ``"limit": "ten"``, and the framework read
    ``"limit": true`` as 1 before pydantic saw it (a ``StrictInt`` did not stop it).
    """

    def whole(value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)  # JSON's 5.0 is a whole number, as JSON Schema's "integer" says
        if isinstance(value, bool) or not isinstance(value, int):
            raise _refused("whole_number", InvalidQuery.number_out_of_range(name, _json(value), least, most))
        return value

    return BeforeValidator(whole)


def hours_number(name: str, most: int) -> BeforeValidator:
    """A body's window in hours: a string or a flag is refused as the MCP tools refuse it
    (``InvalidQuery.hours_out_of_range``), its range left to the layer below.

    pydantic said "Input should be a valid number" for ``"change_window_hours": "a day"``.
    """

    def hours(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refused("hours_number", InvalidQuery.hours_out_of_range(name, _json(value), most))
        return value

    return BeforeValidator(hours)


def _iso_text(value: object) -> object:
    # JSON has no time type: a time is an ISO 8601 string, never a number read as a Unix time.
    if value is not None and not isinstance(value, str):
        raise ValueError("a time must be an ISO 8601 string with a time zone, e.g. 2026-03-01T10:00:00Z")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
"""A timezone-aware time given as an ISO 8601 string (numbers are refused, not taken as epochs)."""


class DescribedIncidentRequest(BaseModel):
    """An incident described by the caller; it need not be in the map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A blank one is refused by DescribedQuery, as the MCP tool's and a name of spaces are: "give
    # its name (its title) or a summary"; a min_length here answered "" alone in pydantic's words.
    name: str = Field(max_length=NAME_MAX_CHARS, description="the incident's title")
    summary: str = Field(default="", max_length=SUMMARY_MAX_CHARS, description="what is known so far")
    services: list[str] = Field(
        default_factory=list,
        max_length=SERVICES_MAX,
        description=f"affected services, by id or name (at most {SERVICES_MAX})",
    )
    severity: str | None = Field(
        default=None,
        description="a severity the map knows (incident.io's names), in any case (400 naming them otherwise)",
    )
    type: str | None = Field(
        default=None,
        description="incident type name: one the map knows, in any case (400 naming them otherwise)",
    )
    declared_at: IsoTime | None = Field(default=None, description="when it was declared")
    before: IsoTime | None = Field(
        default=None, description="only incidents that started earlier (default: declared_at)"
    )
    exclude: list[str] = Field(
        default_factory=list,
        max_length=EXCLUDE_MAX,
        description=f"incident ids never to return (at most {EXCLUDE_MAX})",
    )
    limit: Annotated[int, whole_number("limit", 1, SIMILAR_MAX_RESULTS)] = Field(
        default=SIMILAR_DEFAULT_RESULTS,
        description=f"how many results (1 to {SIMILAR_MAX_RESULTS})",
        json_schema_extra=limit_bounds(SIMILAR_MAX_RESULTS),
    )
