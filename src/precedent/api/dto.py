"""Pydantic DTOs: the JSON shapes the API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, Field, JsonValue

if TYPE_CHECKING:
    from precedent.model import Edge, Node

__all__ = [
    "DescribedIncidentDTO",
    "EdgeDTO",
    "NeighbourhoodDTO",
    "NodeDTO",
    "SimilarResponseDTO",
    "StatsDTO",
]


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


class ContributionDTO(BaseModel):
    value: float
    weight: float
    points: float


class FollowUpDTO(BaseModel):
    title: str
    status: str | None
    priority: str | None
    open: bool
    url: str | None


class LessonDTO(BaseModel):
    root_cause: str | None
    resolution: str | None
    learnings: str | None
    duration_seconds: int | None
    severity: str | None
    type: str | None
    follow_ups: list[FollowUpDTO]
    open_follow_ups: int


class ExplanationDTO(BaseModel):
    contributions: dict[str, ContributionDTO]
    matched_terms: list[str]
    shared_services: list[str]
    path: str | None
    path_kind: str | None
    lesson: LessonDTO


class SimilarIncidentDTO(BaseModel):
    incident_id: str
    reference: str | None
    name: str
    score: float
    started_at: datetime | None
    explanation: ExplanationDTO


class PosedQueryDTO(BaseModel):
    incident_id: str | None
    reference: str | None
    name: str
    text: str
    services: list[str]
    unknown_services: list[str]
    severity: str | None
    type: str | None
    declared_at: datetime | None
    before: datetime | None


class SimilarResponseDTO(BaseModel):
    """Similar past incidents, best first, with the query as ranking saw it."""

    query: PosedQueryDTO
    results: list[SimilarIncidentDTO]


class DescribedIncidentDTO(BaseModel):
    """An incident described by the caller; it need not be in the map."""

    name: str = Field(min_length=1)
    summary: str = ""
    services: list[str] = Field(default_factory=list)
    severity: str | None = None
    type: str | None = None
    declared_at: AwareDatetime | None = None
    before: AwareDatetime | None = None
    exclude: list[str] = Field(default_factory=list)
    limit: int = Field(default=10, ge=1, le=100)


class GraphNodeDTO(BaseModel):
    id: str
    labels: list[str]
    properties: dict[str, JsonValue]


class GraphEdgeDTO(BaseModel):
    source: str
    target: str
    type: str
    properties: dict[str, JsonValue]


class NeighbourhoodDTO(BaseModel):
    """A k-hop subgraph: nodes with labels and properties, edges with types."""

    nodes: list[GraphNodeDTO]
    edges: list[GraphEdgeDTO]
    truncated: bool
