"""The OpenAPI document: request bodies that refuse unknown fields say so in their schema.

Litestar's pydantic schema plugin leaves ``additionalProperties`` out, so a client (or
schemathesis) would read a body model with ``extra="forbid"`` as accepting any extra field and
then be refused with a 400. This plugin states what the handler accepts.

It also writes a union whose members overlap as ``anyOf``: litestar writes every union as
``oneOf``, which a node property such as ``5400`` breaks (it is both an ``integer`` and a
``number``, and ``oneOf`` demands exactly one match).

A ``Literal[...] | None`` field (``path_kind``) is written as the document's other nullable fields
are, ``oneOf`` a string enum and ``null``: litestar writes one enum holding ``null`` under
``type: [null, string]``, which openapi-python-client turned into three identical enum classes.

Every property of a response is listed as required: pydantic writes every field of a response model
and of the dataclasses in it, ``None`` as ``null``, but litestar marks one with a default optional,
so a generated client typed ``NodeResponse.text`` as possibly absent (``Unset``) besides ``null``.

Every operation has an ``operation_id`` and a tag (one of ``TAGS``) where it is declared: litestar's
own ids (``V1IncidentsUpdatesUpdates``) became a generated client's function and type names.

And the schema pages declare the ``Retry-After`` header of the 503 (and any 429) answers, which
litestar's ``ResponseSpec`` cannot carry: a client reads from the document when to retry.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.openapi.spec import Schema, Tag
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.types import Empty
from litestar.typing import FieldDefinition

from precedent.responses.base import ResponseModel

if TYPE_CHECKING:
    from litestar import Request
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = [
    "RETRY_AFTER_HEADER",
    "JsonSchemaPage",
    "RedocSchemaPage",
    "TAGS",
    "ResponseDataclassSchemaPlugin",
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

TAGS: tuple[Tag, ...] = (
    Tag(name="incidents", description="Incidents and their parts, a page at a time."),
    Tag(name="similar", description="Past incidents like one in the map or one described now."),
    Tag(name="investigations", description="Hypotheses, precedents and context for an incident."),
    Tag(name="changes", description="Change events (deploys, config changes...) on services."),
    Tag(name="services", description="The catalog's services, their dependencies, owners and hotspots."),
    Tag(name="teams", description="Teams, their members and what they own."),
    Tag(name="users", description="People and the incidents they held a role in."),
    Tag(name="search", description="Words and meaning across incidents, post-mortems, updates and services."),
    Tag(name="graph", description="Nodes and neighbourhoods of the map."),
    Tag(name="stats", description="Counts, incidents per week, recurring failures, the sync's state."),
    Tag(name="admin", description="Syncing from incident.io (the `admin` scope)."),
    Tag(name="webhooks", description="incident.io's webhook receiver and its deliveries."),
    Tag(name="ops", description="Liveness, readiness and Prometheus metrics."),
)
"""The document's tags, in the order the pages show them; every operation has one."""


class StrictBodySchemaPlugin(PydanticSchemaPlugin):
    """Pydantic models with ``extra="forbid"`` get ``additionalProperties: false``; a response
    model requires every property it writes."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        model = field_definition.annotation
        if model.model_config.get("extra") == "forbid":
            schema.additional_properties = False
        if isinstance(model, type) and issubclass(model, ResponseModel):
            schema.required = sorted(schema.properties or {})
        _tidy_unions(schema)
        return schema


class ResponseDataclassSchemaPlugin(OpenAPISchemaPlugin):
    """A dataclass (only responses embed them: ``Change``, ``Hypothesis``...) requires every field.

    Litestar's own dataclass plugin, which this one comes before, marks a field with a default
    optional; pydantic writes each one of a response.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.is_dataclass_type

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        hints = field_definition.get_type_hints(include_extras=True, resolve_generics=True)
        written = dataclasses.fields(field_definition.type_)
        return schema_creator.create_component_schema(
            field_definition,
            required=sorted(f.name for f in written),
            property_fields={
                f.name: FieldDefinition.from_kwarg(
                    annotation=hints[f.name],
                    name=f.name,
                    default=Empty if f.default is dataclasses.MISSING else f.default,
                )
                for f in written
            },
        )


def _tidy_unions(schema: Schema) -> None:
    """Rewrite, in place, each union under ``schema`` in the shape clients read it in.

    A ``oneOf`` with an integer and a number variant becomes ``anyOf``; an enum holding ``null``
    becomes ``oneOf`` the enum without it and ``null``.
    """
    if schema.enum is not None and None in schema.enum:
        _nullable_enum_as_one_of(schema)
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
            _tidy_unions(child)


def _nullable_enum_as_one_of(schema: Schema) -> None:
    types = schema.type if isinstance(schema.type, list) else [schema.type]
    [kind] = [t for t in types if t not in (None, OpenAPIType.NULL)]
    values = [v for v in schema.enum or () if v is not None]
    schema.one_of = [Schema(type=kind, enum=values), Schema(type=OpenAPIType.NULL)]
    schema.type = schema.enum = None


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
