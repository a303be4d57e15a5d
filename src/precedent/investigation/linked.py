"""Nodes linked into a set of anchors within a time window: incidents on services, changes to them.

A thin wrapper over ``GraphStore.linked_recent`` (one call for every anchor, newest first, capped
per anchor, one round trip on Neo4j) that keeps every anchor's list in the store's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import shifted

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.model import Node, Visibility
    from precedent.store.base import GraphStore

__all__ = ["linked_recent", "shifted"]


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
    if not wanted:
        return {}
    return await store.linked_recent(
        wanted,
        label=label,
        edge_type=edge_type,
        before=before,
        after=after,
        per_anchor=per_anchor,
        visibilities=visibilities,
    )
