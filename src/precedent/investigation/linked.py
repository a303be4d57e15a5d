"""Nodes linked into a set of anchors within a time window: incidents on services, changes to them.

Shaped like ``GraphStore.linked_recent`` (being added to the store interface): one call for every
anchor, newest first, capped per anchor. Until the store answers it natively, it is answered here
with one ``subgraph`` call, which is bounded by the same caps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import GraphFilter

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.model import Node, Visibility
    from precedent.store.base import GraphStore

__all__ = ["linked_recent"]


def _newest_first(node: Node) -> tuple[float, str]:
    assert node.occurred_at is not None
    return (-node.occurred_at.timestamp(), node.id)


async def linked_recent(
    store: GraphStore,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None = None,
    after: datetime | None = None,
    per_anchor: int = 50,
    visibilities: tuple[Visibility, ...] = ("public",),
) -> dict[str, list[Node]]:
    """Per anchor, the ``label`` nodes with an ``edge_type`` edge into it, newest first.

    Args:
        store: The knowledge map.
        anchors: Node ids (services); missing ones map to an empty list.
        label: Label of the linked nodes (``Incident``, ``ChangeEvent``).
        edge_type: The edge pointing from them into the anchor (``AFFECTS``, ``CHANGED``).
        before: Only nodes that occurred strictly before this.
        after: Only nodes that occurred at or after this.
        per_anchor: At most this many per anchor (the newest).
        visibilities: Only nodes with these visibilities.

    Returns:
        Anchor id -> nodes ordered by ``occurred_at`` descending, then id.
    """
    wanted = list(dict.fromkeys(anchors))
    found: dict[str, list[Node]] = {a: [] for a in wanted}
    if not wanted:
        return found
    graph_filter = GraphFilter(
        labels=(label,),
        rel_types=(edge_type,),
        direction="in",
        before=before,
        after=after,
        visibilities=visibilities,
    )
    # Anchors come back at hop 0 and linked nodes at hop 1; the cap leaves room for every anchor's share.
    sub = await store.subgraph(
        wanted, depth=1, graph_filter=graph_filter, max_nodes=len(wanted) * (per_anchor + 1)
    )
    nodes = {n.id: n for n in sub.nodes if n.label == label and n.occurred_at is not None}
    for edge in sub.edges:
        node = nodes.get(edge.source)
        if edge.type == edge_type and node is not None and edge.target in found:
            found[edge.target].append(node)
    for linked in found.values():
        linked.sort(key=_newest_first)
        del linked[per_anchor:]
    return found
