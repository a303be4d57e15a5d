"""Pydantic DTOs: the JSON shapes the API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from precedent.model import Edge, Node

__all__ = ["EdgeDTO", "NodeDTO", "StatsDTO"]


class StatsDTO(BaseModel):
    nodes: dict[str, int]
    edges: dict[str, int]


class NodeDTO(BaseModel):
    id: str
    label: str
    properties: dict[str, str | int | float | bool | list[str] | list[int] | list[float]]
    occurred_at: datetime | None
    visibility: str
    text: str | None

    @classmethod
    def from_node(cls, node: Node) -> NodeDTO:
        return cls(
            id=node.id,
            label=node.label,
            properties=dict(node.properties),
            occurred_at=node.occurred_at,
            visibility=node.visibility,
            text=node.text,
        )


class EdgeDTO(BaseModel):
    source: str
    type: str
    target: str
    properties: dict[str, str | int | float | bool | list[str] | list[int] | list[float]]

    @classmethod
    def from_edge(cls, edge: Edge) -> EdgeDTO:
        return cls(source=edge.source, type=edge.type, target=edge.target, properties=dict(edge.properties))
