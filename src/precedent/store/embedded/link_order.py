"""Incoming links of one type into one node, newest source first: the index behind "latest incidents here".

A busy service has well over a thousand incoming edges (incidents that affected it, its deploys,
dependants). Asking for its incidents of the last 30 days, or for its dependants, used to walk
all of them on every question; at 100,000 incidents that walk was most of an investigation's
build time. ``LinkOrder`` keeps, per (target, edge type) that has been asked about, the sources'
keys ``(-occurred_at µs, id)`` sorted, undated sources last by id (the order ``linked_recent``
answers in), so a time window is two bisections and a type filter touches only its own edges.

Busy pairs (at least ``BUSY`` sources: a service's incidents or deploys) are built when the map
is opened (``index_busy``), so a freshly opened map does not pay for them in its first
questions: on the investigation benchmark's map (100,000 incidents, 87,000 change events) that
is 400 pairs and 217,000 links, about 1.3 s on top of a 23 s open and 14 MB. Every other pair is
built on its first question, where sorting a few dozen sources costs next to nothing; all are
kept up to date by every write after that.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from precedent.store.embedded.filters import to_micros

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from precedent.model import Edge, Node
    from precedent.store.embedded.state import GraphState

__all__ = ["BUSY", "LinkOrder"]

BUSY = 64
"""Sources from which a (target, edge type) pair is indexed when the map is opened."""

_Key = tuple[int, str]
# After every dated key (-µs of any datetime is far smaller), so undated sources come last.
_UNDATED = 1 << 62


def _key(node: Node) -> _Key:
    return (_UNDATED if node.occurred_at is None else -to_micros(node.occurred_at), node.id)


class _Sources:
    """One (target, type) pair's sources: sorted keys, and each source's key to find it again."""

    __slots__ = ("key_of", "keys")

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.key_of = {node.id: _key(node) for node in nodes}
        self.keys = sorted(self.key_of.values())

    def put(self, node: Node) -> None:
        self.remove(node.id)
        key = self.key_of[node.id] = _key(node)
        bisect.insort(self.keys, key)

    def remove(self, source: str) -> None:
        key = self.key_of.pop(source, None)
        if key is not None:
            del self.keys[bisect.bisect_left(self.keys, key)]


class LinkOrder:
    """Per asked-about (target, edge type), the sources newest first, then undated by id."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], _Sources] = {}

    def _sources(self, state: GraphState, target: str, edge_type: str) -> _Sources:
        pair = (target, edge_type)
        found = self._pairs.get(pair)
        if found is None:
            edges = state.incoming.get(target, {}).values()
            found = self._pairs[pair] = _Sources(state.nodes[e.source] for e in edges if e.type == edge_type)
        return found

    def index_busy(self, state: GraphState, busy: int = BUSY) -> None:
        """Index every pair with at least ``busy`` sources now, in one pass over the incoming edges."""
        for target, edges in state.incoming.items():
            if len(edges) < busy:
                continue
            by_type: dict[str, list[Node]] = {}
            for edge in edges.values():
                by_type.setdefault(edge.type, []).append(state.nodes[edge.source])
            for edge_type, nodes in by_type.items():
                if len(nodes) >= busy and (target, edge_type) not in self._pairs:
                    self._pairs[(target, edge_type)] = _Sources(nodes)

    def sources(
        self,
        state: GraphState,
        target: str,
        edge_type: str,
        *,
        before: datetime | None = None,
        after: datetime | None = None,
    ) -> Iterator[str]:
        """The ids of the nodes linked into ``target`` by ``edge_type``, newest first.

        With ``before`` or ``after`` only dated sources in ``[after, before)`` come out; without
        either, undated ones follow the dated ones.
        """
        keys = self._sources(state, target, edge_type).keys
        first = 0 if before is None else bisect.bisect_right(keys, (-to_micros(before), "\U0010ffff"))
        if after is not None:
            last = bisect.bisect_right(keys, (-to_micros(after), "\U0010ffff"))
        elif before is not None:
            last = bisect.bisect_left(keys, (_UNDATED, ""))
        else:
            last = len(keys)
        # Copied so that a caller may write while it walks (a key moves when its node is re-dated).
        return iter([source for _, source in keys[first:last]])

    def link(self, edge: Edge, source: Node) -> None:
        """Record a new edge (from ``source``) where its pair is indexed."""
        found = self._pairs.get((edge.target, edge.type))
        if found is not None:
            found.put(source)

    def unlink(self, edge_type: str, source: str, target: str) -> None:
        """Forget an edge where its pair is indexed."""
        found = self._pairs.get((target, edge_type))
        if found is not None:
            found.remove(source)

    def redate(self, node: Node, outgoing: Iterable[Edge]) -> None:
        """Move ``node`` to its new time in every indexed pair its ``outgoing`` edges belong to."""
        for edge in outgoing:
            found = self._pairs.get((edge.target, edge.type))
            if found is not None:
                found.put(node)
