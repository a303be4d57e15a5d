"""Plain domain types shared by every layer: nodes, edges, filters and search results.

Sources produce raw incident.io objects, ``ingest`` maps them onto these types, stores persist
them and ``retrieval`` reads them back. Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, TypeAlias

import msgspec
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CHANNEL_VIEWER",
    "CLOSED_CATEGORIES",
    "Direction",
    "Edge",
    "EdgeKey",
    "GraphFilter",
    "IncidentFacts",
    "LEGACY_MERGED_INTO",
    "LabelledHit",
    "ListingKey",
    "Node",
    "NodeLink",
    "NodeListing",
    "OWNER_VIEWER",
    "PUBLIC_VIEWER",
    "RESERVED_PROPERTIES",
    "Property",
    "ScoredNode",
    "SearchFilter",
    "StoreStats",
    "Subgraph",
    "Vector",
    "Viewer",
    "Visibility",
    "clean_properties",
    "display_name",
    "shifted",
    "stored_time",
]

Scalar: TypeAlias = str | int | float | bool
Property: TypeAlias = Scalar | list[str] | list[int] | list[float]
"""A property value both stores hold natively: a scalar or a flat list of scalars."""

Vector: TypeAlias = npt.NDArray[np.float32]
"""A unit-normalised float32 embedding."""

Visibility = Literal["public", "private"]
Direction = Literal["out", "in", "both"]

CLOSED_CATEGORIES = frozenset({"learning", "closed", "declined", "merged", "canceled"})
"""Status categories of an incident that is over (resolved, in post-incident, closed, or dropped)."""

LEGACY_MERGED_INTO = "merged_into_incident_id"
"""The update property older Precedent versions kept a merge in; it is a ``MERGED_INTO`` edge now,
so the visibility rule hides a private target (a writer's open converts old maps)."""

RESERVED_PROPERTIES = frozenset({"id", "label", "occurred_at", "visibility", "text", "embedding"})
"""Names a node property may not take: both stores keep these node fields under them."""

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def display_name(node_id: str, label: str, properties: Mapping[str, Property]) -> str:
    """How a node is named where it stands alone, as an edge's end: ``INC-59``, ``admin-portal``.

    An investigation takes its incident's reference and name, so it is named as what it is:
    ``INC-201 -INVESTIGATES-> INC-201`` read as an incident investigating itself.
    """
    name = str(properties.get("reference") or properties.get("name") or node_id)
    if label == "ChangeEvent" and "name" not in properties and properties.get("service_name"):
        # A change recorded from CI (`precedent changes record`, POST /v1/changes) has no name of
        # its own: it stood as `change:deploy-4711` in every neighbourhood, where the change list
        # and the investigation say `deploy of payments-api v2.14.1`.
        kind = str(properties.get("kind") or "change").replace("_", " ")
        version = properties.get("version")
        name = f"{kind} of {properties['service_name']}" + (f" {version}" if version else "")
    return f"investigation of {name}" if label == "Investigation" else name


def clean_properties(properties: Mapping[str, Property | None]) -> dict[str, Property]:
    """Return ``properties`` without ``None`` values, checking keys and value shapes.

    Both stores drop ``None`` (Neo4j cannot hold a null property), so dropping it here keeps
    them answering alike.

    Raises:
        ValueError: if a key is reserved or not an identifier, or a value is nested.
    """
    cleaned: dict[str, Property] = {}
    for key, value in properties.items():
        if key in RESERVED_PROPERTIES or not _KEY.match(key):
            raise ValueError(f"property name {key!r} is reserved or not an identifier")
        if value is None:
            continue
        if isinstance(value, list):
            if any(isinstance(item, list | dict) or item is None for item in value):
                raise ValueError(f"property {key!r} must be a flat list of scalars")
            # Neo4j holds only homogeneous lists; refuse mixes here so both stores agree.
            kinds = {str if isinstance(i, str) else bool if isinstance(i, bool) else float for i in value}
            if len(kinds) > 1:
                raise ValueError(f"property {key!r} mixes strings, booleans and numbers in one list")
        elif not isinstance(value, str | int | float | bool):
            raise ValueError(f"property {key!r} has unsupported type {type(value).__name__}")
        cleaned[key] = value
    return cleaned


@dataclass(frozen=True, eq=False)
class Node:
    """A node of the knowledge map.

    Attributes:
        id: Stable id (the incident.io id where one exists).
        label: One label from ``graph_schema/schema.toml``.
        properties: Flat properties (see ``Property``).
        occurred_at: When the thing happened (incident start, update time); drives time filters.
        visibility: ``private`` incidents (and their parts) are shown only to callers allowed to.
        text: The text that is embedded and full-text indexed, if any.
        embedding: Unit-normalised embedding of ``text``, if any.
    """

    id: str
    label: str
    properties: Mapping[str, Property] = field(default_factory=dict)
    occurred_at: datetime | None = None
    visibility: Visibility = "public"
    text: str | None = None
    embedding: Vector | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a node needs a non-empty id")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            raise ValueError(f"node {self.id}: occurred_at must be timezone-aware")

    def without_embedding(self) -> Node:
        """Return a copy without the embedding (for payloads that do not need it)."""
        return Node(self.id, self.label, self.properties, self.occurred_at, self.visibility, self.text)

    def brief(self, keys: Iterable[str] = ()) -> Node:
        """Return its id, label, time and visibility with only the properties in ``keys``.

        What ``GraphStore.incident_facts(properties=...)`` answers: ranking hundreds of
        candidates reads a few properties of each, and decoding whole nodes was most of its cost.
        """
        kept = {key: self.properties[key] for key in keys if key in self.properties}
        return Node(self.id, self.label, kept, self.occurred_at, self.visibility)


@dataclass(frozen=True)
class EdgeKey:
    """What identifies an edge: upserting the same key twice keeps one edge."""

    source: str
    type: str
    target: str


@dataclass(frozen=True, eq=False)
class Edge:
    """A typed, directed edge between two node ids."""

    source: str
    type: str
    target: str
    properties: Mapping[str, Property] = field(default_factory=dict)

    @property
    def key(self) -> EdgeKey:
        return EdgeKey(self.source, self.type, self.target)


@dataclass(frozen=True)
class SearchFilter:
    """Which nodes a vector or text search may return.

    Attributes:
        labels: Only these labels (empty means any).
        before: Only nodes that occurred strictly before this time (nodes with no time are excluded).
        after: Only nodes that occurred at or after this time (nodes with no time are excluded).
        exclude_ids: Never these ids.
        visibilities: Only these visibilities.
    """

    labels: tuple[str, ...] = ()
    before: datetime | None = None
    after: datetime | None = None
    exclude_ids: frozenset[str] = frozenset()
    visibilities: tuple[Visibility, ...] = ("public", "private")


@dataclass(frozen=True)
class GraphFilter:
    """Which nodes and edges a neighbourhood walk may traverse.

    Attributes:
        labels: Only reach nodes with these labels (the seeds are always kept).
        rel_types: Only follow these relationship types (empty means any).
        direction: Follow edges out of, into, or both ways from each node.
        before: Skip nodes that occurred at or after this time (nodes with no time pass).
        after: Skip nodes that occurred before this time (nodes with no time pass).
        visibilities: Only reach nodes with these visibilities.
        stop_labels: A subgraph walk reaches nodes with these labels but goes no further from
            them (the seeds are walked from whatever their label): attribute-like hubs, such as
            a severity every incident of that severity links to. ``neighbours`` ignores it.
    """

    labels: tuple[str, ...] = ()
    rel_types: tuple[str, ...] = ()
    direction: Direction = "both"
    before: datetime | None = None
    after: datetime | None = None
    visibilities: tuple[Visibility, ...] = ("public", "private")
    stop_labels: tuple[str, ...] = ()


ListingKey: TypeAlias = tuple[datetime, str]
"""Where a listing page ends: the last node's ``occurred_at`` and id (the next page starts after it)."""


@dataclass(frozen=True)
class NodeLink:
    """A listing's graph filter: only nodes with an ``edge_type`` edge out to one of ``anchors``.

    Attributes:
        edge_type: A relationship type from ``graph_schema/`` (``AFFECTS``, ``ROLE_HELD_BY``...).
        anchors: Ids of the nodes at the other end (services, a team and its services, a user).
        edge_contains: ``(property, text)``: the edge's string property must contain ``text``
            (case-sensitive), e.g. ``("role", "Lead")`` for the incidents a user led.
    """

    edge_type: str
    anchors: frozenset[str]
    edge_contains: tuple[str, str] | None = None


@dataclass(frozen=True)
class NodeListing:
    """Which nodes a listing returns, newest ``occurred_at`` first, then id ascending.

    Only dated nodes are listed (every incident has its declared time). Filters combine with AND;
    the values of one property filter with OR.

    Attributes:
        label: One label from ``graph_schema/``.
        equals: ``(property, values)`` pairs: the node's property must equal one of ``values``.
        before: Only nodes that occurred strictly before this time.
        after: Only nodes that occurred at or after this time.
        visibilities: Only these visibilities (a ``Viewer``'s).
        linked: Only nodes linked as ``NodeLink`` says.
        among: Only these ids (the hits of a text search, say).
    """

    label: str
    equals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    before: datetime | None = None
    after: datetime | None = None
    visibilities: tuple[Visibility, ...] = ("public",)
    linked: NodeLink | None = None
    among: frozenset[str] | None = None


@dataclass(frozen=True)
class ScoredNode:
    """A search hit: a node id and its score (cosine similarity, or a lexical score)."""

    node_id: str
    score: float


@dataclass(frozen=True)
class LabelledHit:
    """A vector search hit with what a caller needs to place it: its label and one property.

    Attributes:
        node_id: The node.
        score: Its cosine similarity with the query.
        label: The node's label.
        value: The node's value of the property asked for (``None`` when it has none).
    """

    node_id: str
    score: float
    label: str
    value: Property | None


@dataclass(frozen=True)
class Subgraph:
    """Nodes and the edges among them, in a stable order (by hop, then id)."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    truncated: bool = False


class IncidentFacts(msgspec.Struct, frozen=True):
    """What the map says about one incident, as ranking and explaining it need (``incident_facts``).

    A struct rather than a dataclass: a similar-incident query reads one per candidate (a few
    hundred), and building frozen dataclasses was a tenth of the embedded store's facts read.

    Attributes:
        node: The Incident node, without its embedding.
        cosine: Cosine of the query embedding with the incident's own (``None`` when either is
            missing).
        affected: The Service and Team nodes it AFFECTS, whatever their visibility, by id.
        owners: For each affected Service, the Team nodes it is OWNED_BY, by id (every affected
            service is a key).
        related: Ids of the visible incidents linked to it by RELATED_TO either way (itself left
            out), that did not occur at or after the cutoff (undated ones count), by id.
        chunks: Chunks of its visible post-mortems that are visible themselves, by id; empty
            unless lessons were asked for.
        follow_ups: Its visible FollowUp nodes, by id; empty unless lessons were asked for.
    """

    node: Node
    cosine: float | None
    affected: tuple[Node, ...]
    owners: Mapping[str, tuple[Node, ...]]
    related: tuple[str, ...]
    chunks: tuple[Node, ...] = ()
    follow_ups: tuple[Node, ...] = ()


@dataclass(frozen=True)
class StoreStats:
    """Counts of nodes per label and edges per type."""

    nodes_by_label: Mapping[str, int]
    edges_by_type: Mapping[str, int]

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_label.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_type.values())


@dataclass(frozen=True)
class Viewer:
    """Who is asking, resolved once at the entry point and applied by every read path.

    The one visibility rule of Precedent: a viewer sees public nodes, and private incidents
    (with their parts) only when ``include_private`` is set. Entry points decide it (an API
    token's scopes, the CLI run by the map's owner, ``--include-private`` on the MCP server);
    nothing below them takes visibility from a caller's argument.

    Attributes:
        include_private: Whether this viewer may see private incidents and their parts.
        name: Who the viewer is, for logs and audit (a token's name, ``owner`` for the CLI).
        cites_private: Whether what is derived from a private incident may cite other private
            ones: not for an audience allowed that one incident only (``CHANNEL_VIEWER``).
    """

    include_private: bool = False
    name: str = "public"
    cites_private: bool = True

    @property
    def visibilities(self) -> tuple[Visibility, ...]:
        """The node visibilities this viewer may read, for store filters."""
        return ("public", "private") if self.include_private else ("public",)

    def can_see(self, node: Node) -> bool:
        """Whether ``node`` may be shown to this viewer."""
        return node.visibility in self.visibilities

    def visibilities_about(self, subject: Visibility) -> tuple[Visibility, ...]:
        """What may be cited when answering about a ``subject`` of this visibility.

        A public incident's responders may not all be allowed to see private incidents, so
        anything derived from a public incident (similar incidents, an investigation) stays
        public whoever asks; a private incident's may cite both when the viewer may see and
        cite private incidents.
        """
        if subject == "private" and self.include_private and self.cites_private:
            return ("public", "private")
        return ("public",)


PUBLIC_VIEWER = Viewer()
"""The viewer of an unauthenticated or ``read``-only caller: public incidents only."""

OWNER_VIEWER = Viewer(include_private=True, name="owner")
"""The viewer of the map's owner (the CLI, notebooks): everything."""

CHANNEL_VIEWER = Viewer(include_private=True, name="incident channel", cites_private=False)
"""The members of an incident's own Slack channel: they may see that incident (private ones only
invite some), but no other private incident is cited to them."""


def shifted(at: datetime, delta: timedelta) -> datetime:
    """``at + delta``, held within the representable times (a caller may give year 1 or 9999)."""
    try:
        return at + delta
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if delta < timedelta(0) else datetime.max.replace(tzinfo=UTC)


def stored_time(value: object, *, assume_utc: bool = False) -> datetime | None:
    """A time kept as an ISO 8601 property, or ``None`` when absent or unreadable.

    A time without a zone is ``None`` too, unless ``assume_utc`` (records Precedent wrote itself).
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if assume_utc else None
    return parsed
