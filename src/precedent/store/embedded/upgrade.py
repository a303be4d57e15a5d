"""Brings a map an older Precedent wrote up to today's snapshot format when a writer opens it.

Format 3 holds an update's merge (incident.io's ``merged_into_incident_id``) as an
``IncidentUpdate -MERGED_INTO-> Incident`` edge, which the one visibility rule hides from who may
not see that incident. Older maps kept the id as a property of the update, showing a private
incident's id to anyone who could see the update. ``upgrade_ops`` returns the writes that convert
them; the writer logs and applies them like any batch, so readers following its log see them too.
The Neo4j twin is ``graph_schema/migrations/0005_merged_into_edges.cypher``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import LEGACY_MERGED_INTO, Edge, Node
from precedent.store.embedded.ops import UpsertEdges, UpsertNodes

if TYPE_CHECKING:
    from precedent.store.embedded.ops import Op
    from precedent.store.embedded.state import GraphState

__all__ = ["upgrade_ops"]


def upgrade_ops(state: GraphState) -> list[Op]:
    """The writes that bring ``state`` (read from an older format) up to today's.

    Each update holding the legacy property is rewritten without it, keeping its embedding, and
    gets a ``MERGED_INTO`` edge when the incident it names is in the map (otherwise the link waits
    for the next import of that update, as an edge to a missing node always does).

    Returns:
        The operations to log and apply, in order; none when nothing needs converting.
    """
    nodes: list[Node] = []
    edges: list[Edge] = []
    for node_id in sorted(state.by_label.get("IncidentUpdate", ())):
        node = state.nodes[node_id]
        target = node.properties.get(LEGACY_MERGED_INTO)
        if target is None:
            continue
        kept = {key: value for key, value in node.properties.items() if key != LEGACY_MERGED_INTO}
        embedding = state.vectors.vector(node_id) if state.vectors is not None else None
        nodes.append(Node(node.id, node.label, kept, node.occurred_at, node.visibility, node.text, embedding))
        incident = state.nodes.get(str(target))
        if incident is not None and incident.label == "Incident":
            edges.append(Edge(node_id, "MERGED_INTO", incident.id))
    ops: list[Op] = []
    if nodes:
        ops.append(UpsertNodes(tuple(nodes)))
    if edges:
        ops.append(UpsertEdges(tuple(edges)))
    return ops
