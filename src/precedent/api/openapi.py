"""The OpenAPI document: request bodies that refuse unknown fields say so in their schema.

Litestar's pydantic schema plugin leaves ``additionalProperties`` out, so a client (or
schemathesis) would read a body model with ``extra="forbid"`` as accepting any extra field and
then be refused with a 400. This plugin states what the handler accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.plugins.pydantic import PydanticSchemaPlugin

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

__all__ = ["StrictBodySchemaPlugin"]


class StrictBodySchemaPlugin(PydanticSchemaPlugin):
    """Pydantic models with ``extra="forbid"`` get ``additionalProperties: false``."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        if field_definition.annotation.model_config.get("extra") == "forbid":
            schema.additional_properties = False
        return schema
