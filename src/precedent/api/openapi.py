"""The OpenAPI document: request bodies that refuse unknown fields say so in their schema.

Litestar's pydantic schema plugin leaves ``additionalProperties`` out, so a client (or
schemathesis) would read a body model with ``extra="forbid"`` as accepting any extra field and
then be refused with a 400. This plugin states what the handler accepts.

It also writes a union whose members overlap as ``anyOf``: litestar writes every union as
``oneOf``, which a node property such as ``5400`` breaks (it is both an ``integer`` and a
``number``, and ``oneOf`` demands exactly one match).

And the schema pages declare the ``Retry-After`` header of the 503 (and any 429) answers, which
litestar's ``ResponseSpec`` cannot carry: a client reads from the document when to retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.openapi.spec import Schema
from litestar.plugins.pydantic import PydanticSchemaPlugin

if TYPE_CHECKING:
    from litestar import Request
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

__all__ = [
    "RETRY_AFTER_HEADER",
    "JsonSchemaPage",
    "RedocSchemaPage",
    "StrictBodySchemaPlugin",
    "SwaggerSchemaPage",
    "YamlSchemaPage",
    "declare_retry_after",
]

RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": (
        "seconds to wait before retrying; sent while the service starts or stops and when its "
        "store cannot be reached (not when webhooks are not configured: retrying will not help)"
    ),
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
}
"""The ``Retry-After`` header as the OpenAPI document declares it."""

_RETRIED = ("429", "503")


class StrictBodySchemaPlugin(PydanticSchemaPlugin):
    """Pydantic models with ``extra="forbid"`` get ``additionalProperties: false``."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        if field_definition.annotation.model_config.get("extra") == "forbid":
            schema.additional_properties = False
        _overlapping_unions_as_any_of(schema)
        return schema


def _overlapping_unions_as_any_of(schema: Schema) -> None:
    """Rewrite, in place, each ``oneOf`` under ``schema`` that has an integer and a number variant."""
    members = schema.one_of or []
    kinds = {getattr(m.type, "value", m.type) for m in members if isinstance(m, Schema)}
    if {"integer", "number"} <= kinds:
        schema.any_of, schema.one_of = members, None
    children = [*(schema.properties or {}).values(), *(schema.any_of or []), *(schema.one_of or [])]
    if isinstance(schema.additional_properties, Schema):
        children.append(schema.additional_properties)
    if isinstance(schema.items, Schema):
        children.append(schema.items)
    for child in children:
        if isinstance(child, Schema):
            _overlapping_unions_as_any_of(child)


def declare_retry_after(document: dict[str, Any]) -> None:
    """Declare ``Retry-After`` on every 429 and 503 answer of ``document`` (in place; idempotent)."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            for status in _RETRIED:
                if status in responses:
                    responses[status].setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER


class _DeclaresRetryAfter(OpenAPIRenderPlugin):
    """A schema page that renders the document with ``Retry-After`` declared."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # Litestar builds the document once and hands every page the same dict.
        declare_retry_after(openapi_schema)
        # The page class this is mixed into (JSON, YAML, Redoc, Swagger) renders it.
        return super().render(request, openapi_schema)  # type: ignore[safe-super]


class JsonSchemaPage(_DeclaresRetryAfter, JsonRenderPlugin):
    """``/schema/openapi.json``."""


class YamlSchemaPage(_DeclaresRetryAfter, YamlRenderPlugin):
    """``/schema/openapi.yaml``."""


class RedocSchemaPage(_DeclaresRetryAfter, RedocRenderPlugin):
    """The Redoc page."""


class SwaggerSchemaPage(_DeclaresRetryAfter, SwaggerRenderPlugin):
    """The Swagger UI page."""
