"""incident.io's official OpenAPI spec as a test oracle: response validation and schema inlining.

Loads ``shared/incidentio/openapi.json`` (the sibling of the repository root) once, converts its
OpenAPI 3.0 schemas into JSON Schema (draft 4) and validates response bodies with ``jsonschema``:

- required properties, types, enums and ``date-time`` formats (timezone required) are checked;
- additional properties are allowed, because incident.io adds response fields without notice;
- ``nullable`` becomes ``"null"`` in ``type`` (the copied spec uses none, newer ones may);
- numeric bounds are not checked: response schemas reuse request bounds, so
  ``pagination_meta.page_size`` says ``maximum: 250`` while ``/v2/users`` accepts 10000;
- ``allow_unknown_enums=True`` drops enums too, modelling the spec's compatibility rule that new
  enum values are not a breaking change (used when a test injects drift on purpose).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SPEC_PATH", "OpenApiSpec", "SpecViolation", "load_spec"]

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "incidentio" / "openapi.json"

JsonSchema = dict[str, Any]

_DROP = frozenset({"example", "description", "maximum", "minimum", "default", "title"})
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    return datetime.fromisoformat(value).tzinfo is not None


class SpecViolation(AssertionError):
    """A response body does not match incident.io's spec; the message lists every error."""


@dataclass(frozen=True)
class Operation:
    """One ``GET`` operation: its path template, operationId and 2xx response schema name."""

    template: str
    operation_id: str
    schema_name: str
    pattern: re.Pattern[str]


class OpenApiSpec:
    """The loaded spec: look operations up by concrete path and validate bodies against them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._schemas: Mapping[str, Any] = document["components"]["schemas"]
        self._operations = [op for op in map(self._operation, document["paths"].items()) if op]
        # Exact templates first so /v2/incidents/{id} never shadows a literal sibling.
        self._operations.sort(key=lambda op: op.template.count("{"))
        self._validators: dict[tuple[str, bool], Draft4Validator] = {}

    @staticmethod
    def _operation(item: tuple[str, Mapping[str, Any]]) -> Operation | None:
        template, methods = item
        get = methods.get("get")
        if get is None:
            return None
        for status, response in get["responses"].items():
            if status.startswith("2") and "content" in response:
                ref = response["content"]["application/json"]["schema"].get("$ref")
                if ref is None:  # /v1/openapiV3.json serves the spec itself as a binary string
                    return None
                pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
                return Operation(template, get["operationId"], ref.rsplit("/", 1)[1], pattern)
        return None

    def operation(self, path: str) -> Operation:
        """The ``GET`` operation serving a concrete path such as ``/v2/incidents/01H…``."""
        for op in self._operations:
            if op.pattern.match(path):
                return op
        raise KeyError(f"no GET operation in the incident.io spec matches {path}")

    def schema(self, name: str) -> Mapping[str, Any]:
        """The raw OpenAPI schema ``components.schemas[name]``."""
        return cast("Mapping[str, Any]", self._schemas[name])

    def validator(self, schema_name: str, *, allow_unknown_enums: bool = False) -> Draft4Validator:
        """A (cached) validator for one component schema."""
        key = (schema_name, allow_unknown_enums)
        if key not in self._validators:
            definitions = {
                name: _convert(schema, drop_enums=allow_unknown_enums)
                for name, schema in self._schemas.items()
            }
            root = {"$ref": f"#/definitions/{schema_name}", "definitions": definitions}
            self._validators[key] = Draft4Validator(root, format_checker=_FORMATS)
        return self._validators[key]

    def errors(self, schema_name: str, body: object, *, allow_unknown_enums: bool = False) -> list[str]:
        """Every way ``body`` breaks ``schema_name``, as readable lines (empty when valid)."""
        validator = self.validator(schema_name, allow_unknown_enums=allow_unknown_enums)
        found = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]

    def validate_response(self, path: str, body: object, *, allow_unknown_enums: bool = False) -> None:
        """Check a ``GET path`` response body against the spec.

        Raises:
            SpecViolation: Listing every error, the operation and the schema.
        """
        op = self.operation(path)
        problems = self.errors(op.schema_name, body, allow_unknown_enums=allow_unknown_enums)
        if problems:
            shown = "\n  ".join(problems[:20])
            raise SpecViolation(
                f"response for GET {path} ({op.operation_id}) breaks {op.schema_name}:\n  {shown}"
            )

    def inline(self, schema_name: str, *, closed: bool = False) -> JsonSchema:
        """A self-contained JSON Schema for ``schema_name`` with every ``$ref`` inlined.

        For data generation (hypothesis-jsonschema). ``closed=True`` forbids additional properties
        so generated objects stay small.

        Raises:
            ValueError: If the schema is recursive.
        """
        return _inline(self._schemas, schema_name, closed=closed, stack=())


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> OpenApiSpec:
    """Load the spec once per test session."""
    if not path.is_file():
        raise FileNotFoundError(f"incident.io spec not found at {path}: shared/ must sit beside the checkout")
    return OpenApiSpec(json.loads(path.read_text(encoding="utf-8")))


def _convert(node: Any, *, drop_enums: bool) -> Any:
    if isinstance(node, list):
        return [_convert(item, drop_enums=drop_enums) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key.startswith("x-") or (drop_enums and key == "enum"):
            continue
        if key == "$ref":
            out[key] = "#/definitions/" + value.rsplit("/", 1)[1]
        elif key == "properties":
            out[key] = {name: _convert(sub, drop_enums=drop_enums) for name, sub in value.items()}
        else:
            out[key] = _convert(value, drop_enums=drop_enums)
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _inline(schemas: Mapping[str, Any], name: str, *, closed: bool, stack: tuple[str, ...]) -> JsonSchema:
    if name in stack:
        raise ValueError(f"schema {name} is recursive via {' -> '.join(stack)}")

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return _inline(schemas, node["$ref"].rsplit("/", 1)[1], closed=closed, stack=(*stack, name))
        out = {key: walk(value) for key, value in node.items() if key == "properties" or key not in _DROP}
        if "properties" in node:
            out["properties"] = {prop: walk(sub) for prop, sub in node["properties"].items()}
        out = {key: value for key, value in out.items() if not key.startswith("x-")}
        if closed and out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out

    converted: JsonSchema = _convert(walk(copy.deepcopy(schemas[name])), drop_enums=False)
    return converted
