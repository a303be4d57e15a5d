"""Bounded, ordered link questions over the in-memory state ("the latest incidents on these services").

The Neo4j store answers the same questions in one query each (``store/neo4j/linked.py``); the
contract suite checks they agree.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from precedent.store.embedded.filters import to_micros

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from precedent.model import Node, Property, Visibility
    from precedent.store.embedded.state import GraphState

__all__ = ["find_nodes", "linked_recent", "linked_times"]


def _newest_first(node: Node) -> tuple[bool, int, str]:
    # Undated nodes sort after every dated one, then by id like the rest.
    if node.occurred_at is None:
        return (True, 0, node.id)
    return (False, -to_micros(node.occurred_at), node.id)


def _in_window(node: Node, before: datetime | None, after: datetime | None) -> bool:
    if before is None and after is None:
        return True
    if node.occurred_at is None:
        return False
    if before is not None and node.occurred_at >= before:
        return False
    return after is None or node.occurred_at >= after


def _linked(
    state: GraphState,
    anchor: str,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    visibilities: tuple[Visibility, ...],
) -> Iterator[Node]:
    """The ``label`` nodes linked into ``anchor`` by ``edge_type``, visible and in the window."""
    for edge in state.incoming_of_type(anchor, edge_type):
        node = state.nodes[edge.source]
        if node.label == label and node.visibility in visibilities and _in_window(node, before, after):
            yield node


def linked_recent(
    state: GraphState,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
) -> dict[str, list[Node]]:
    """For each anchor, its newest ``per_anchor`` ``label`` nodes linked by ``edge_type`` into it.

    Arguments are checked by the caller; see ``GraphStore.linked_recent`` for the semantics.
    """
    found: dict[str, list[Node]] = {}
    for anchor in anchors:
        if anchor not in found:
            allowed = _linked(state, anchor, label, edge_type, before, after, visibilities)
            found[anchor] = heapq.nsmallest(per_anchor, allowed, key=_newest_first)
    return found


def linked_times(
    state: GraphState,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
) -> dict[str, list[datetime]]:
    """For each anchor, the ``occurred_at`` of its linked ``label`` nodes, newest first (undated left out).

    Arguments are checked by the caller; see ``GraphStore.linked_times`` for the semantics.
    """
    found: dict[str, list[datetime]] = {}
    for anchor in anchors:
        if anchor not in found:
            allowed = _linked(state, anchor, label, edge_type, before, after, visibilities)
            found[anchor] = heapq.nlargest(per_anchor, (n.occurred_at for n in allowed if n.occurred_at))
    return found


def _matches(value: Property | None, wanted: str) -> bool:
    values = value if isinstance(value, list) else [value]
    # lower() rather than casefold(): Cypher's toLower, so both stores match the same names.
    return any(v is not None and str(v).strip().lower() == wanted for v in values)


def find_nodes(state: GraphState, label: str, value: str, fields: Sequence[str]) -> list[Node]:
    """The ``label`` nodes one of whose ``fields`` equals ``value`` (case and outer spaces ignored), by id."""
    wanted = value.strip().lower()
    ids = state.by_label.get(label, set())
    return [
        node
        for node_id in sorted(ids)
        if any(_matches((node := state.nodes[node_id]).properties.get(f), wanted) for f in fields)
    ]
