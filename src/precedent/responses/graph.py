"""Nodes, edges, neighbourhoods and counts: the one shape a node has on every surface."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from precedent.ingest.hashing import HASH_PROPERTY
from precedent.model import LEGACY_MERGED_INTO
from precedent.responses.base import ResponseModel, utc_text
from precedent.retrieval.neighbourhood import truncation_note

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precedent.model import Edge, Node, StoreStats, Subgraph

__all__ = ["EdgeResponse", "NeighbourhoodResponse", "NodeResponse", "PropertyValue", "StatsResponse"]

PropertyValue = str | int | float | bool | list[str] | list[int] | list[float]

# A writer's open converts the legacy merge property into an edge the visibility rule hides, but
# a reader may open a map no writer has opened since: never show it. The content hash is the
# ingest's own bookkeeping (what changed since the last sync), not a fact about the node. An
# investigation's serialised result (``investigation.persist``) is tens of kilobytes of escaped
# JSON that ``GET /v1/investigations/{id}`` and MCP's get_investigation answer as a response: a
# neighbourhood of one incident was four fifths that string, in an agent's context.
_INTERNAL = frozenset({LEGACY_MERGED_INTO, HASH_PROPERTY, "result_json"})

# A time the map stores as text (Python's isoformat: "+00:00", no fraction on a whole second) is
# written as the response's own times (occurred_at) are, by ``utc_text``: one response said both.
# ASCII digits only: ``\d`` also matches other scripts' digits, which ``fromisoformat`` refuses.
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(\+00:00|Z)", re.ASCII)


def _property(value: PropertyValue) -> PropertyValue:
    if isinstance(value, str) and _UTC_TEXT.fullmatch(value):
        try:
            return utc_text(datetime.fromisoformat(value))
        except ValueError:
            # Shaped like a time but none (a custom field's "2026-02-30T10:00Z"): kept as written,
            # where it failed every answer holding the node (a 500, an MCP error, a page).
            return value
    return value


def _properties(properties: Mapping[str, PropertyValue]) -> dict[str, PropertyValue]:
    """``properties`` sorted by name, without the internal ones, each UTC time as ``utc_text`` writes it."""
    return {k: _property(v) for k, v in sorted(properties.items()) if k not in _INTERNAL}


class NodeResponse(ResponseModel):
    """A node of the map: its label, properties, time, visibility and text."""

    id: str
    label: str = Field(description="one label of graph_schema/schema.toml")
    properties: dict[str, PropertyValue]
    occurred_at: datetime | None = Field(description="when it happened (incident start, update time)")
    visibility: Literal["public", "private"]
    text: str | None = Field(default=None, description="the text that is embedded and searched")

    @classmethod
    def from_node(cls, node: Node, *, with_text: bool = True) -> NodeResponse:
        """Render ``node`` (properties sorted by name, so outputs diff clean)."""
        return cls(
            id=node.id,
            label=node.label,
            properties=_properties(node.properties),
            occurred_at=node.occurred_at,
            visibility=node.visibility,
            text=node.text if with_text else None,
        )


class EdgeResponse(ResponseModel):
    """A relationship of the map."""

    source: str
    type: str = Field(description="one relationship type of graph_schema/schema.toml")
    target: str
    properties: dict[str, PropertyValue]

    @classmethod
    def from_edge(cls, edge: Edge) -> EdgeResponse:
        """Render ``edge``."""
        return cls(
            source=edge.source,
            type=edge.type,
            target=edge.target,
            properties=_properties(edge.properties),
        )


class NeighbourhoodResponse(ResponseModel):
    """A k-hop subgraph: nodes sorted by id, edges by (source, type, target)."""

    nodes: list[NodeResponse]
    edges: list[EdgeResponse]
    truncated: bool = Field(description="true when the node cap cut the walk short")
    truncation_note: str | None = Field(
        default=None,
        description="when `truncated`: what the cap kept first, what most of the answer is, and "
        "how to narrow the walk to see the rest; else null",
    )

    @classmethod
    def from_subgraph(cls, subgraph: Subgraph) -> NeighbourhoodResponse:
        """Render ``subgraph`` in a stable order (two runs diff clean); node texts are left out."""
        return cls(
            nodes=[NodeResponse.from_node(n, with_text=False) for n in sorted(subgraph.nodes, key=_id)],
            edges=[
                EdgeResponse.from_edge(e)
                for e in sorted(subgraph.edges, key=lambda e: (e.source, e.type, e.target))
            ],
            truncated=subgraph.truncated,
            truncation_note=truncation_note(subgraph),
        )


def _id(node: Node) -> str:
    return node.id


class StatsResponse(ResponseModel):
    """How many nodes of each label and edges of each type the viewer may see."""

    nodes: dict[str, int]
    edges: dict[str, int]

    @classmethod
    def from_stats(cls, stats: StoreStats) -> StatsResponse:
        """Render ``stats``, sorted by name."""
        return cls(
            nodes=dict(sorted(stats.nodes_by_label.items())), edges=dict(sorted(stats.edges_by_type.items()))
        )
