"""The OpenAPI document: request bodies that refuse unknown fields say so in their schema.

Litestar's pydantic schema plugin leaves ``additionalProperties`` out, so a client (or
schemathesis) would read a body model with ``extra="forbid"`` as accepting any extra field and
then be refused with a 400. This plugin states what the handler accepts.

It also writes a union whose members overlap as ``anyOf``: litestar writes every union as
``oneOf``, which a node property such as ``5400`` breaks (it is both an ``integer`` and a
``number``, and ``oneOf`` demands exactly one match).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.openapi.spec import Schema
from litestar.plugins.pydantic import PydanticSchemaPlugin

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

__all__ = ["StrictBodySchemaPlugin"]


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
