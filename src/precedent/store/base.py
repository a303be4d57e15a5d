"""The one interface every graph store implements; upper layers see nothing else.

Implementations live in ``store/embedded`` (in process memory, durable on local disk; networkx only
serves ``export``) and ``store/neo4j``.
``tests/store/test_contract.py`` proves they answer alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence
    from datetime import datetime

    import networkx as nx

    from precedent.model import (
        Edge,
        EdgeKey,
        GraphFilter,
        IncidentFacts,
        LabelledHit,
        ListingKey,
        Node,
        NodeListing,
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

    async def neighbours_of(
        self, ids: Sequence[str], graph_filter: GraphFilter | None = None, *, per_node: int = 100
    ) -> dict[str, list[tuple[Edge, Node]]]:
        """``neighbours`` of many nodes in one call, at most ``per_node`` each.

        Each id's list is ordered as ``neighbours`` orders it and cut after ``per_node``; every id
        given is a key (a missing node maps to ``[]``). One round trip on Neo4j.

        Raises:
            SchemaError: if the filter names a label or relationship type not in ``graph_schema/``.
            InvalidQuery: if ``per_node`` < 1.
        """

    async def subgraph(
        self,
        seeds: Sequence[str],
        *,
        depth: int,
        graph_filter: GraphFilter | None = None,
        max_nodes: int = 500,
        label_ranks: Mapping[str, int] | None = None,
    ) -> Subgraph:
        """Return the ``depth``-hop neighbourhood of ``seeds`` (breadth first).

        Nodes are ordered by hop then id, capped at ``max_nodes`` (``truncated`` says so); missing
        seeds are skipped, a node the filter rejects is not walked through, and one with a
        ``stop_labels`` label is returned but not walked through. Edges are those among the
        returned nodes whose type the filter allows (whatever their direction), ordered by
        (source, type, target). Nodes come without embeddings.

        When the cap cuts a hop short, the hop's nodes kept are those whose label has the lowest
        rank in ``label_ranks``, then those of labels it does not rank; within one rank, the
        newest ``occurred_at`` first (undated ones after), then id.

        Raises:
            SchemaError: if the filter or ``label_ranks`` names a label or relationship type not
                in ``graph_schema/``.
        """

    async def linked_recent(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 50,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[Node]]:
        """For each anchor id, the newest ``label`` nodes linked into it by an ``edge_type`` edge.

        Answers "the latest incidents on these services" (``label="Incident"``,
        ``edge_type="AFFECTS"``) or "the latest changes to these services" (``"ChangeEvent"``,
        ``"CHANGED"``): the nodes ``n`` with ``(n:label)-[:edge_type]->(anchor)``, a visibility in
        ``visibilities`` and ``after <= occurred_at < before`` (nodes without a time are excluded
        when a bound is given). Newest ``occurred_at`` first, then id ascending (undated nodes
        last); at most ``per_anchor`` each; without embeddings. Every anchor given appears as a
        key (a missing one, or one with no such links, maps to ``[]``). One round trip on Neo4j.

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """

    async def linked_recent_ids(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 50,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[str]]:
        """``linked_recent`` answered with the nodes' ids only, in the same order, under the same rules.

        For a caller that only needs to know which nodes: on Neo4j the nodes' properties are
        never read nor shipped, which at 100,000 incidents is most of the query's cost.

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """

    async def incident_facts(
        self,
        ids: Sequence[str],
        *,
        visibilities: tuple[Visibility, ...] = ("public",),
        before: datetime | None = None,
        embedding: Vector | None = None,
        lessons: bool = False,
        per_list: int = 200,
        properties: Sequence[str] | None = None,
    ) -> dict[str, IncidentFacts]:
        """What ranking and explaining need of each of ``ids``: one round trip on Neo4j.

        Answers for the ids that are Incident nodes with a visibility in ``visibilities`` and,
        when ``before`` is given, an ``occurred_at`` strictly before it (others are left out), in
        the order of ``ids`` (a repeated id once). Each ``IncidentFacts`` holds the node, the
        cosine of ``embedding`` with the incident's own, the services and teams it affects with
        the owners of those services, and the incidents related to it; with ``lessons``, also its
        post-mortem chunks and follow-ups. Every list is ordered by id and holds at most
        ``per_list`` items (an owners list per service). Nodes come without embeddings.

        ``properties`` asks for brief facts, as ranking a few hundred candidates needs: each
        incident node then carries only those of its properties (and no text), and the affected
        and owning nodes only their id and label. ``None`` (the default) returns whole nodes.

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension, or a
                name in ``properties`` is not an identifier.
            InvalidQuery: if ``per_list`` < 1.
        """

    async def list_nodes(
        self, listing: NodeListing, *, limit: int, start_after: ListingKey | None = None
    ) -> list[Node]:
        """One page of the nodes ``listing`` selects, newest ``occurred_at`` first, then id ascending.

        ``start_after`` is the previous page's last ``(occurred_at, id)``: the page holds the
        nodes strictly after it in that order, so pages neither repeat nor skip a node while
        other nodes come and go. At most ``limit`` nodes, without embeddings. Neo4j answers in one
        query walking the ``occurred_at`` index; the embedded store keeps each listed label
        sorted by time, so a page never scans the whole map.

        Raises:
            SchemaError: if the label or the link's relationship type is not in ``graph_schema/``,
                or a property name is not an identifier.
            InvalidQuery: if ``limit`` < 1.
        """

    async def list_node_ids(self, listing: NodeListing) -> list[str]:
        """The ids of every node ``listing`` selects, in ``list_nodes``' order, all at once.

        For a caller that only needs to know which nodes (sync's comparison of the listing
        with the map's public incidents): on Neo4j no other property is read nor shipped.

        Raises:
            SchemaError: if the label or the link's relationship type is not in ``graph_schema/``,
                or a property name is not an identifier.
        """

    async def linked_times(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 10_000,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[datetime]]:
        """For each anchor id, when its linked ``label`` nodes occurred: counts without the nodes.

        The same nodes as ``linked_recent`` (``(n:label)-[:edge_type]->(anchor)``, a visibility
        in ``visibilities``, ``after <= occurred_at < before``) but only their ``occurred_at``,
        newest first, undated nodes left out, at most ``per_anchor`` each: "incidents per week on
        every service" without shipping the incidents. Every anchor given is a key. One round
        trip on Neo4j.

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """

    async def find_nodes(self, label: str, value: str, *, fields: Sequence[str]) -> list[Node]:
        """The ``label`` nodes one of whose ``fields`` equals ``value``, ignoring case and whitespace.

        Compared as ``store.matching.match_key`` forms: case, outer whitespace and the length of
        a run of whitespace (any kind, a no-break space too) do not count. A list property matches
        when any of its items does. Answers "the service called
        payments-api" (``fields=("name", "external_id", "aliases")``) or "the user with this
        email" by the label's nodes alone, never a scan of the whole map. Ordered by id, without
        embeddings.

        Raises:
            SchemaError: if ``label`` is not in ``graph_schema/`` or a field is not an identifier.
        """

    async def vector_search(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """The k nearest neighbours by cosine similarity among nodes with embeddings.

        Each store is built exact or approximate (``exact_search``). Exact scans every embedding:
        the stores' constructors default to it, and the contract suite checks both agree on it.
        Approximate asks an HNSW index for an over-fetched candidate set, then filters and
        re-scores it exactly, so scores are exact cosines but a true neighbour can be missed:
        Precedent's settings (``embedded_exact_search``, ``neo4j_exact_search``) default to it.
        Both stores fall back to the scan when fewer than ``k`` candidates pass the filter, so a
        selective filter (a viewer's visibilities, a "declared before") never returns fewer than
        ``k`` while more nodes match it.
        """

    async def vector_search_labelled(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None, key: str
    ) -> list[LabelledHit]:
        """``vector_search``'s hits, in its order with its scores, each with its label and ``key``'s value.

        For a caller that must know what each hit is before using it (an incident, or a part of
        one naming its incident in a property): one round trip on Neo4j instead of a search and
        then a read of every hit's node.

        Raises:
            SchemaError: as ``vector_search``, or if ``key`` is not a property name.
        """

    async def similarities(self, embedding: Vector, ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of ``embedding`` with each of ``ids`` that has an embedding.

        Ids without an embedding (or missing) are left out; the rest come in the order of ``ids``.
        Scores equal ``vector_search``'s. The embeddings stay in the store, which is what makes
        scoring a few hundred candidates cheap on Neo4j: one round trip of floats, not vectors.

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
        """

    async def text_search(
        self, query: str, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """Lexical (BM25) search over node text, matching any of the query's terms.

        Both stores analyze text as Lucene's ``EnglishAnalyzer`` does (standard tokenizer,
        possessives, lower case, English stop words, Porter stemming), so they agree on which
        nodes match; scores differ slightly. Any query string is safe to pass.

        The filter picks the hits, not the statistics: a term's document frequency and the
        average length are those of every node indexed, private ones too (Neo4j's Lucene index
        also counts deleted nodes until it merges). A ``read`` viewer's order among public hits
        may therefore move with what private text holds, which tells at most how many private
        nodes share a word that public ones use, never which nor what they say. Statistics per
        visibility would need a second full-text index on Neo4j; not worth it for that.
        """

    async def stats(self, *, visibilities: Sequence[Visibility] = ("public", "private")) -> StoreStats:
        """Count nodes per label and edges per type (labels and types with none are left out).

        Only nodes whose visibility is in ``visibilities`` count, and only edges between two of
        them, so a viewer's counts never reveal what it may not see.
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

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        """Compare and set: write ``value`` durably only if ``key`` holds ``expected`` now.

        ``expected=None`` means the key has no value yet. Atomic against every other writer of
        the map, in this process or (Neo4j) another one, so it can hand out a lease: of two
        callers expecting the same value, exactly one gets ``True``.

        Returns:
            Whether ``value`` was written.
        """
