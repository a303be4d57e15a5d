"""The one interface every graph store implements; upper layers see nothing else.

Implementations live in ``store/embedded`` (networkx + numpy on local disk) and ``store/neo4j``.
``tests/store/test_contract.py`` proves they answer alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    import networkx as nx

    from precedent.model import (
        Edge,
        EdgeKey,
        GraphFilter,
        Node,
        ScoredNode,
        SearchFilter,
        StoreStats,
        Subgraph,
        Vector,
        Visibility,
    )

__all__ = ["GraphStore"]


@runtime_checkable
class GraphStore(Protocol):
    """A knowledge-map store. All methods are safe to call concurrently from one event loop.

    Semantics both stores share:
        * Upserts are idempotent: the same node id (or edge key) twice is one node (edge); a
          later upsert replaces the node's label-independent fields and properties.
        * An edge upsert whose endpoints do not exist creates nothing for that edge.
        * Search results are ordered by score descending, then id ascending.
    """

    async def open(self) -> None:
        """Connect or load from disk, and apply schema migrations. Call once before use."""

    async def close(self) -> None:
        """Release connections and files. Idempotent."""

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        """Create or replace nodes in one batch; when this returns, the batch is durable."""

    async def upsert_edges(self, edges: Sequence[Edge]) -> None:
        """Create or replace edges in one batch; edges to missing nodes are ignored."""

    async def delete_nodes(self, ids: Sequence[str]) -> None:
        """Delete nodes and every edge touching them. Missing ids are ignored."""

    async def delete_edges(self, keys: Sequence[EdgeKey]) -> None:
        """Delete edges by key. Missing edges are ignored."""

    async def get_nodes(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Node]:
        """Return the nodes that exist among ``ids``, in the order of ``ids`` (a repeated id once)."""

    async def neighbours(
        self, node_id: str, graph_filter: GraphFilter | None = None
    ) -> list[tuple[Edge, Node]]:
        """Return the edges at ``node_id`` allowed by the filter with the node at the other end.

        Ordered by edge type, then neighbour id (then source, target); a self-loop counts once;
        a missing node has no neighbours.
        """

    async def subgraph(
        self,
        seeds: Sequence[str],
        *,
        depth: int,
        graph_filter: GraphFilter | None = None,
        max_nodes: int = 500,
    ) -> Subgraph:
        """Return the ``depth``-hop neighbourhood of ``seeds`` (breadth first).

        Nodes are ordered by hop then id, capped at ``max_nodes`` (``truncated`` says so); missing
        seeds are skipped and a node the filter rejects is not walked through. Edges are those
        among the returned nodes whose type the filter allows (whatever their direction), ordered
        by (source, type, target). Nodes come without embeddings.
        """

    async def vector_search(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """The k nearest neighbours by cosine similarity among nodes with embeddings.

        Exact by default in both stores (the contract suite checks they agree); a Neo4j store
        configured with ``exact_search=False`` answers through its HNSW index instead.
        """

    async def text_search(
        self, query: str, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """Lexical (BM25-style) search over node text. Any query string is safe to pass."""

    async def stats(self, *, visibilities: Sequence[Visibility] | None = None) -> StoreStats:
        """Count nodes per label and edges per type (labels and types with none are left out).

        With ``visibilities``, count only nodes of those visibilities and edges whose two ends
        both are (what a viewer may see); ``None`` counts everything from the stores' counters.
        """

    def scan_nodes(self, labels: Sequence[str] = (), *, with_embeddings: bool = False) -> AsyncIterator[Node]:
        """Iterate over every node with one of ``labels`` (all when empty), ordered by id."""

    def scan_edges(self, types: Sequence[str] = ()) -> AsyncIterator[Edge]:
        """Iterate over every edge of one of ``types`` (all when empty), ordered by (source, type, target)."""

    async def export(self, subgraph: Subgraph | None = None) -> nx.MultiDiGraph:
        """Return ``subgraph`` (or the whole map) as a networkx MultiDiGraph, edges keyed by type."""

    async def get_meta(self, key: str) -> str | None:
        """Read a small bookkeeping value (sync checkpoints, schema version)."""

    async def set_meta(self, key: str, value: str) -> None:
        """Write a small bookkeeping value durably."""
