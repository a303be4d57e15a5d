"""``Neo4jStore``: the ``GraphStore`` on a Neo4j 5.26+ server (or Aura) through the async driver.

Every node carries ``:Entity`` plus its schema label, with a unique ``id``; writes are
``UNWIND $rows`` batches in managed transactions, reads run as auto-commit statements in read
sessions (retried on transient failures) so a ``neo4j://`` URI routes them to secondaries on a
cluster. Search lives in ``search``, walks and
batched neighbours in ``traversal``, the newest-linked question in ``linked``; the Cypher itself
lives in ``queries``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING

from precedent.graph_schema import load_schema
from precedent.model import StoreStats
from precedent.store.export import to_networkx
from precedent.store.neo4j import facts, linked, queries, search, traversal
from precedent.store.neo4j.connection import DEFAULT_MAX_CONCURRENCY, Connection, fetch, fetch_rows, run
from precedent.store.neo4j.convert import edge_from_record, edge_row, node_from_record, node_row
from precedent.store.neo4j.listing import list_ids, list_page
from precedent.store.neo4j.migrations import migrate, vector_index_dimensions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence
    from datetime import datetime

    import networkx as nx

    from precedent.graph_schema import GraphSchema
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
        Subgraph,
        Vector,
        Visibility,
    )
    from precedent.store.neo4j.connection import Runner

__all__ = ["Neo4jStore"]

BATCH_ROWS = 2000
"""Rows per write transaction: large enough to amortise round trips, small enough to retry."""

SCAN_PAGE = 1000


class Neo4jStore:
    """A ``GraphStore`` backed by Neo4j.

    Args:
        uri: ``neo4j://`` (routing; use it for clusters and Aura) or ``bolt://`` (one server).
        auth: ``(user, password)``, or None when the server has authentication off.
        database: The database every session uses.
        dimensions: The embedder's dimension, needed to create the vector index. When None, an
            existing index is kept (and vectors are checked against its dimension) and a missing
            one waits for an ``open()`` that knows it.
        over_fetch: Candidates the approximate (index) vector search asks HNSW for before
            filtering and exact re-scoring.
        exact_search: The default of ``vector_search(exact=...)``. Exact scans every embedding
            (cost grows linearly with the map); the index path measured recall@10 = 1.000 against
            exact at 20,000 nodes with ``over_fetch=200`` and is an order of magnitude faster.
        text_over_fetch: Lucene hits a text search filters first; the full search runs only when
            those cannot prove the answer exact (see ``search.text_search``). Answers are exact
            either way: this trades round trips for rows read.
        max_concurrency: Transactions this store runs at once; the rest queue (see
            ``connection.Connection``).
    """

    def __init__(
        self,
        uri: str,
        *,
        auth: tuple[str, str] | None,
        database: str = "neo4j",
        dimensions: int | None = None,
        over_fetch: int = 200,
        exact_search: bool = True,
        text_over_fetch: int = 1000,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        self._connection = Connection(uri, auth, database, max_concurrency)
        self._dimensions = dimensions
        self._over_fetch = over_fetch
        self._exact_search = exact_search
        self._text_over_fetch = text_over_fetch

    @property
    def _schema(self) -> GraphSchema:
        # Read on first use (and cached by load_schema), so the constructor touches no files.
        return load_schema()

    async def open(self) -> None:
        """Connect, check the server answers, apply pending migrations and wait for indexes.

        Raises:
            StoreUnavailable: if the server cannot be reached (the message says what to check).
            StoreError: if a migration fails or the vector index has another dimension.
        """
        await self._connection.open()
        try:
            await migrate(self._connection, self._schema, self._dimensions)
            if self._dimensions is None:
                # Opened without the embedder's length (a reader): vectors are checked against the map's.
                self._dimensions = await vector_index_dimensions(self._connection)
        except BaseException:
            await self._connection.close()
            raise

    async def close(self) -> None:
        """Close the driver. Idempotent."""
        await self._connection.close()

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        """Create or replace nodes; each label's rows go in batches of ``BATCH_ROWS`` per transaction.

        Every node is checked and converted before anything is written. Batches commit one by one,
        so a failure part-way leaves earlier batches written; upserts are idempotent, so calling
        again with the same nodes is the recovery.

        Raises:
            SchemaError: if a label, visibility, property or embedding is not allowed (checked
                before anything is written).
        """
        by_label: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
        for node in nodes:
            label = self._schema.check_label(node.label)
            for rows in by_label.values():
                rows.pop(node.id, None)  # the last version of a node in the batch wins
            by_label[label][node.id] = node_row(node, self._dimensions)
        for label, rows in sorted(by_label.items()):
            others = sorted(self._schema.node_labels - {label})
            await self._write_batches(
                queries.upsert_nodes(label, others), list(rows.values()), "upserting nodes"
            )

    async def upsert_edges(self, edges: Sequence[Edge]) -> None:
        """Create or replace edges; an edge whose endpoints do not both exist is skipped.

        Raises:
            SchemaError: if a relationship type or a property is not allowed.
        """
        by_type: dict[str, dict[tuple[str, str], dict[str, object]]] = defaultdict(dict)
        for edge in edges:
            by_type[self._schema.check_edge_type(edge.type)][(edge.source, edge.target)] = edge_row(edge)
        for edge_type, rows in sorted(by_type.items()):
            await self._write_batches(queries.upsert_edges(edge_type), list(rows.values()), "upserting edges")

    async def delete_nodes(self, ids: Sequence[str]) -> None:
        """Delete nodes and every edge touching them (DETACH). Missing ids are ignored."""
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_ROWS):
            batch = unique[start : start + BATCH_ROWS]
            await self._connection.execute(queries.DELETE_NODES, {"ids": batch}, "deleting nodes")

    async def delete_edges(self, keys: Sequence[EdgeKey]) -> None:
        """Delete edges by key. Missing edges are ignored.

        Raises:
            SchemaError: if a relationship type is not in ``graph_schema/``.
        """
        by_type: dict[str, list[dict[str, object]]] = defaultdict(list)
        for key in keys:
            by_type[self._schema.check_edge_type(key.type)].append(
                {"source": key.source, "target": key.target}
            )
        for edge_type, rows in sorted(by_type.items()):
            await self._write_batches(queries.delete_edges(edge_type), rows, "deleting edges")

    async def get_nodes(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Node]:
        """Return the nodes that exist among ``ids``, in the order of ``ids`` (a repeated id once)."""
        params = {"ids": list(dict.fromkeys(ids)), "with_embeddings": with_embeddings}

        async def work(tx: Runner) -> dict[str, Node]:
            rows = await fetch_rows(tx, queries.GET_NODES_ROWS, params)
            nodes = (node_from_record(row["props"], row["labels"]) for row in rows)
            return {node.id: node for node in nodes}

        found = await self._connection.read(work, "reading nodes")
        return [found[node_id] for node_id in dict.fromkeys(ids) if node_id in found]

    async def neighbours(
        self, node_id: str, graph_filter: GraphFilter | None = None
    ) -> list[tuple[Edge, Node]]:
        """Return the edges at ``node_id`` allowed by the filter with the node at the other end.

        Ordered by edge type, then neighbour id (then source and target, for a type both ways).
        """
        return await traversal.neighbours(self._connection, self._schema, node_id, graph_filter)

    async def neighbours_of(
        self, ids: Sequence[str], graph_filter: GraphFilter | None = None, *, per_node: int = 100
    ) -> dict[str, list[tuple[Edge, Node]]]:
        """``neighbours`` of each of ``ids`` in one query, at most ``per_node`` each; every id is a key.

        Raises:
            SchemaError: if the filter names a label or relationship type not in ``graph_schema/``.
            InvalidQuery: if ``per_node`` < 1.
        """
        return await traversal.neighbours_of(self._connection, self._schema, ids, graph_filter, per_node)

    async def subgraph(
        self,
        seeds: Sequence[str],
        *,
        depth: int,
        graph_filter: GraphFilter | None = None,
        max_nodes: int = 500,
        label_ranks: Mapping[str, int] | None = None,
    ) -> Subgraph:
        """Return the ``depth``-hop neighbourhood of ``seeds`` (breadth first); see ``traversal.subgraph``."""
        return await traversal.subgraph(
            self._connection,
            self._schema,
            seeds,
            depth=depth,
            graph_filter=graph_filter,
            max_nodes=max_nodes,
            label_ranks=label_ranks,
        )

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
        """What ranking needs of each visible incident among ``ids``, in one query (see ``GraphStore``).

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension, or a
                name in ``properties`` is not an identifier.
            InvalidQuery: if ``per_list`` < 1.
        """
        return await facts.incident_facts(
            self._connection,
            ids,
            visibilities=visibilities,
            before=before,
            embedding=embedding,
            lessons=lessons,
            per_list=per_list,
            dimensions=self._dimensions,
            properties=properties,
        )

    async def list_nodes(
        self, listing: NodeListing, *, limit: int, start_after: ListingKey | None = None
    ) -> list[Node]:
        """One page of the nodes ``listing`` selects, newest first, in one query (see ``GraphStore``).

        Raises:
            SchemaError: if a label, relationship type or property name is not allowed.
            InvalidQuery: if ``limit`` < 1.
        """
        return await list_page(self._connection, listing, limit, start_after)

    async def list_node_ids(self, listing: NodeListing) -> list[str]:
        """The ids of every node ``listing`` selects, in one query reading no other property.

        Raises:
            SchemaError: if a label, relationship type or property name is not allowed.
        """
        return await list_ids(self._connection, listing)

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
        """For each anchor, its newest ``label`` nodes linked into it by ``edge_type``, in one query.

        See ``GraphStore.linked_recent`` for the semantics.

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        return await linked.linked_recent(
            self._connection,
            self._schema,
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )

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
        """``linked_recent`` answered with ids only, in one query (see ``GraphStore.linked_recent_ids``).

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        return await linked.linked_recent_ids(
            self._connection,
            self._schema,
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )

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
        """For each anchor, when its linked ``label`` nodes occurred, newest first, in one query.

        See ``GraphStore.linked_times`` for the semantics.

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        return await linked.linked_times(
            self._connection,
            self._schema,
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )

    async def find_nodes(self, label: str, value: str, *, fields: Sequence[str]) -> list[Node]:
        """The ``label`` nodes one of whose ``fields`` equals ``value``, by id (see ``GraphStore``).

        Raises:
            SchemaError: if ``label`` is not in ``graph_schema/`` or a field is not an identifier.
        """
        return await linked.find_nodes(self._connection, self._schema, label, value, fields)

    async def vector_search(
        self,
        embedding: Vector,
        *,
        k: int,
        search_filter: SearchFilter | None = None,
        exact: bool | None = None,
    ) -> list[ScoredNode]:
        """Return the k nearest nodes by cosine similarity, score descending then id ascending.

        Args:
            embedding: The query vector.
            k: How many hits at most.
            search_filter: Which nodes may be returned.
            exact: True scans every candidate; False asks the HNSW index for ``over_fetch``
                candidates and filters them: much faster on large maps, approximate; when fewer
                than ``k`` pass the filter it scans instead. None uses the store's default.

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
        """
        return await search.vector_search(
            self._connection,
            self._schema,
            embedding,
            k=k,
            search_filter=search_filter,
            dimensions=self._dimensions,
            over_fetch=None if (self._exact_search if exact is None else exact) else self._over_fetch,
        )

    async def vector_search_labelled(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None, key: str
    ) -> list[LabelledHit]:
        """``vector_search``'s hits with each one's label and ``key``'s value, in one statement.

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension, or
                ``key`` is not a property name.
        """
        return await search.vector_search_labelled(
            self._connection,
            self._schema,
            embedding,
            k=k,
            search_filter=search_filter,
            dimensions=self._dimensions,
            over_fetch=None if self._exact_search else self._over_fetch,
            key=key,
        )

    async def similarities(self, embedding: Vector, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of ``embedding`` with each of ``ids`` that has an embedding, computed in the server.

        Raises:
            SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
        """
        return await search.similarities(self._connection, embedding, ids, self._dimensions)

    async def text_search(
        self, query: str, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """Full-text (Lucene BM25) search over node text. Any query string is safe to pass."""
        return await search.text_search(
            self._connection,
            self._schema,
            query,
            k=k,
            search_filter=search_filter,
            over_fetch=self._text_over_fetch,
        )

    async def stats(self, *, visibilities: Sequence[Visibility] = ("public", "private")) -> StoreStats:
        """Count visible nodes per label and edges per type (labels and types with none are left out)."""
        labels = sorted(self._schema.node_labels)
        types = sorted(self._schema.edge_types)
        hidden = sorted({"public", "private"} - set(visibilities))

        async def work(tx: Runner) -> StoreStats:
            nodes = {label: (await fetch(tx, queries.count_nodes(label), {}))[0]["count"] for label in labels}
            edges = {t: (await fetch(tx, queries.count_edges(t), {}))[0]["count"] for t in types}
            if hidden:
                for row in await fetch(tx, queries.HIDDEN_NODE_COUNTS, {"hidden": hidden}):
                    nodes[row["label"]] = nodes.get(row["label"], 0) - row["count"]
                for row in await fetch(tx, queries.HIDDEN_EDGE_COUNTS, {"hidden": hidden}):
                    edges[row["type"]] = edges.get(row["type"], 0) - row["count"]
            return StoreStats(
                nodes_by_label={k: int(v) for k, v in nodes.items() if v},
                edges_by_type={k: int(v) for k, v in edges.items() if v},
            )

        return await self._connection.read(work, "counting nodes and edges")

    async def scan_nodes(
        self, labels: Sequence[str] = (), *, with_embeddings: bool = False
    ) -> AsyncIterator[Node]:
        """Iterate over every node with one of ``labels`` (all when empty), ordered by id."""
        query = queries.scan_nodes_page(sorted({self._schema.check_label(label) for label in labels}))
        after = ""
        while True:
            params = {"after": after, "page": SCAN_PAGE, "with_embeddings": with_embeddings}
            records = await self._connection.query(query, params, "scanning nodes")
            node = None
            for record in records:
                node = node_from_record(record["props"], record["labels"])
                yield node
            if len(records) < SCAN_PAGE or node is None:
                return
            after = node.id

    async def scan_edges(self, types: Sequence[str] = ()) -> AsyncIterator[Edge]:
        """Iterate over every edge of one of ``types`` (all when empty), ordered by (source, type, target)."""
        query = queries.scan_edges_page(sorted({self._schema.check_edge_type(t) for t in types}))
        after = ""
        while True:
            params = {"after": after, "page": SCAN_PAGE}
            records = await self._connection.query(query, params, "scanning edges")
            edges = [
                edge_from_record(r["source"], r["type"], r["target"], r["props"])
                for r in records
                if r["type"]
            ]
            for edge in sorted(edges, key=lambda e: (e.source, e.type, e.target)):
                yield edge
            sources = {record["source"] for record in records}
            if len(sources) < SCAN_PAGE:
                return
            after = max(sources)

    async def export(self, subgraph: Subgraph | None = None) -> nx.MultiDiGraph:
        """Return ``subgraph`` (or the whole map) as a networkx MultiDiGraph, edges keyed by type."""
        if subgraph is not None:
            return to_networkx(subgraph.nodes, subgraph.edges)
        nodes = [node async for node in self.scan_nodes()]
        edges = [edge async for edge in self.scan_edges()]
        return to_networkx(nodes, edges)

    async def get_meta(self, key: str) -> str | None:
        """Read a small bookkeeping value (sync checkpoints, schema version)."""
        records = await self._connection.query(queries.GET_META, {"key": key}, "reading a meta value")
        return str(records[0]["value"]) if records else None

    async def set_meta(self, key: str, value: str) -> None:
        """Write a small bookkeeping value durably."""
        await self._connection.execute(queries.SET_META, {"key": key, "value": value}, "writing a meta value")

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        """Write ``value`` only if the key holds ``expected`` now (``None``: absent), atomically."""
        params = {"key": key, "value": value, "expected": expected, "token": uuid.uuid4().hex}

        async def work(tx: Runner) -> bool:
            if expected is None:
                records = await fetch(tx, queries.META_CREATE, params)
            else:
                await run(tx, queries.META_LOCK, params)
                records = await fetch(tx, queries.META_REPLACE, params)
            return bool(records and records[0]["changed"])

        return await self._connection.write(work, "replacing a meta value")

    async def _write_batches(self, query: str, rows: Sequence[dict[str, object]], action: str) -> None:
        for start in range(0, len(rows), BATCH_ROWS):
            await self._connection.execute(query, {"rows": rows[start : start + BATCH_ROWS]}, action)
