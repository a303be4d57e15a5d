"""Listing nodes newest first over the in-memory state, without scanning the map for each page.

``TimeOrder`` keeps, per label that has been listed, the sorted keys ``(-occurred_at µs, id)``
of its dated nodes: a page is a bisect to where the previous one ended and a walk forward. It is
built on a label's first listing (a snapshot load does not pay for labels nobody lists) and kept
up to date by every write after that. A link or id filter starts from its few candidates instead.
The Neo4j store answers the same question in one query (``store/neo4j/queries.list_nodes``).
"""

from __future__ import annotations

import bisect
import heapq
from typing import TYPE_CHECKING

from precedent.store.embedded.filters import to_micros

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from precedent.model import ListingKey, Node, NodeListing
    from precedent.store.embedded.state import GraphState

__all__ = ["TimeOrder", "list_nodes"]

_Key = tuple[int, str]


def _key(node: Node) -> _Key | None:
    return None if node.occurred_at is None else (-to_micros(node.occurred_at), node.id)


class TimeOrder:
    """Per listed label, its dated nodes' keys in listing order (newest first, then id)."""

    def __init__(self) -> None:
        self._keys: dict[str, list[_Key]] = {}

    def keys(self, label: str, nodes: Iterable[Node]) -> list[_Key]:
        """The sorted keys of ``label``, built from ``nodes`` (the whole map) the first time."""
        if label not in self._keys:
            self._keys[label] = sorted(k for n in nodes if n.label == label and (k := _key(n)) is not None)
        return self._keys[label]

    def put(self, node: Node, previous: Node | None) -> None:
        """Keep the order right when ``node`` replaces ``previous`` (or is new)."""
        if previous is not None:
            self.remove(previous)
        keys, key = self._keys.get(node.label), _key(node)
        if keys is not None and key is not None:
            bisect.insort(keys, key)

    def remove(self, node: Node) -> None:
        """Forget ``node``."""
        keys, key = self._keys.get(node.label), _key(node)
        if keys is None or key is None:
            return
        at = bisect.bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            del keys[at]


def _allows(node: Node, listing: NodeListing) -> bool:
    if node.label != listing.label or node.occurred_at is None:
        return False
    if node.visibility not in listing.visibilities:
        return False
    if listing.before is not None and node.occurred_at >= listing.before:
        return False
    if listing.after is not None and node.occurred_at < listing.after:
        return False
    return all(node.properties.get(name) in values for name, values in listing.equals)


def _candidates(state: GraphState, listing: NodeListing) -> set[str]:
    """The ids a link or id filter allows (the caller checks there is one)."""
    ids: set[str] | None = set(listing.among) if listing.among is not None else None
    link = listing.linked
    if link is not None:
        linked: set[str] = set()
        for anchor in link.anchors:
            for edge in state.incoming_of_type(anchor, link.edge_type):
                if link.edge_contains is not None:
                    name, text = link.edge_contains
                    value = edge.properties.get(name)
                    if not (isinstance(value, str) and text in value):
                        continue
                linked.add(edge.source)
        ids = linked if ids is None else ids & linked
    assert ids is not None
    return ids


def _ordered(state: GraphState, order: TimeOrder, listing: NodeListing, start: _Key | None) -> Iterator[Node]:
    keys = order.keys(listing.label, state.nodes.values())
    at = 0 if start is None else bisect.bisect_right(keys, start)
    if listing.before is not None:
        # occurred_at < before  <=>  -micros >= -before_micros + 1
        at = max(at, bisect.bisect_left(keys, (-to_micros(listing.before) + 1, "")))
    floor = None if listing.after is None else -to_micros(listing.after)
    # Index by index, not a slice: a slice would copy the rest of the list on every page.
    while at < len(keys):
        minus_micros, node_id = keys[at]
        if floor is not None and minus_micros > floor:
            return
        yield state.nodes[node_id]
        at += 1


def list_nodes(
    state: GraphState, order: TimeOrder, listing: NodeListing, limit: int, start_after: ListingKey | None
) -> list[Node]:
    """One page of ``listing``; arguments are checked by the caller (see ``GraphStore.list_nodes``)."""
    start = None if start_after is None else (-to_micros(start_after[0]), start_after[1])
    if listing.linked is None and listing.among is None:
        page: list[Node] = []
        for node in _ordered(state, order, listing, start):
            if _allows(node, listing):
                page.append(node)
                if len(page) == limit:
                    break
        return page
    found = (state.nodes.get(node_id) for node_id in _candidates(state, listing))
    keyed = (
        (key, node)
        for node in found
        if node is not None and _allows(node, listing) and (key := _key(node)) is not None
        if start is None or key > start
    )
    return [node for _, node in heapq.nsmallest(limit, keyed, key=lambda pair: pair[0])]
