"""Bounded, ordered link questions over the in-memory state ("the latest incidents on these services").

The Neo4j store answers the same questions in one query each (``store/neo4j/linked.py``); the
contract suite checks they agree.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from precedent.store.matching import match_key

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from precedent.model import Node, Property, Visibility
    from precedent.store.embedded.state import GraphState

__all__ = ["find_nodes", "linked_recent", "linked_times"]


def _linked(
    state: GraphState,
    anchor: str,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    visibilities: tuple[Visibility, ...],
) -> Iterator[Node]:
    """The ``label`` nodes linked into ``anchor`` by ``edge_type``, visible and in the window, newest first.

    Undated nodes come last, by id, and only when there is no window.
    """
    for source in state.links.sources(state, anchor, edge_type, before=before, after=after):
        node = state.nodes[source]
        if node.label == label and node.visibility in visibilities:
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
            found[anchor] = list(islice(allowed, per_anchor))
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
            found[anchor] = list(islice((n.occurred_at for n in allowed if n.occurred_at), per_anchor))
    return found


def _matches(value: Property | None, wanted: str) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v is not None and match_key(str(v)) == wanted for v in values)


def find_nodes(state: GraphState, label: str, value: str, fields: Sequence[str]) -> list[Node]:
    """The ``label`` nodes one of whose ``fields`` equals ``value`` (case and whitespace ignored), by id."""
    wanted = match_key(value)
    ids = state.by_label.get(label, set())
    return [
        node
        for node_id in sorted(ids)
        if any(_matches((node := state.nodes[node_id]).properties.get(f), wanted) for f in fields)
    ]
