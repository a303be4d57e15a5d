"""Neighbourhood walks in Neo4j: one node's neighbours, and a breadth-first k-hop subgraph.

The subgraph is walked one query per hop inside a single read transaction, so the hop order, the
per-hop id order and the ``max_nodes`` cap are decided here exactly as the contract states,
rather than left to a variable-length Cypher pattern whose order Neo4j does not promise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.model import Edge, GraphFilter, Node, Subgraph
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch, fetch_rows
from precedent.store.neo4j.convert import edge_from_record, node_from_record, to_micros

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.graph_schema import GraphSchema
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["neighbours", "neighbours_of", "subgraph"]


class _Walk:
    """A ``GraphFilter`` checked against the schema and split into Cypher parts and parameters."""

    def __init__(self, graph_filter: GraphFilter | None, schema: GraphSchema) -> None:
        f = graph_filter or GraphFilter()
        self.direction = f.direction
        self.types = sorted({schema.check_edge_type(t) for t in f.rel_types})
        labels = sorted({schema.check_label(label) for label in f.labels})
        self.stop = frozenset(schema.check_label(label) for label in f.stop_labels)
        self.predicates = queries.graph_node_predicates(
            "b", labels, before=f.before is not None, after=f.after is not None
        )
        self.params: dict[str, object] = {"visibilities": list(f.visibilities), "with_embeddings": False}
        if f.before is not None:
            self.params["before"] = to_micros(f.before)
        if f.after is not None:
            self.params["after"] = to_micros(f.after)


async def neighbours(
    connection: Connection, schema: GraphSchema, node_id: str, graph_filter: GraphFilter | None
) -> list[tuple[Edge, Node]]:
    """Edges at ``node_id`` the filter allows, with the far node; ordered by type, then far id.

    Ties (the same type both ways to the same neighbour) are broken by the edge's source, then
    target; a self-loop is one edge.
    """
    walk = _Walk(graph_filter, schema)
    query = queries.collected(
        queries.neighbours(walk.direction, walk.types, walk.predicates), queries.NEIGHBOUR_COLUMNS
    )
    params = {**walk.params, "id": node_id}

    async def work(tx: Runner) -> list[tuple[Edge, Node]]:
        pairs = []
        for row in await fetch_rows(tx, query, params):
            edge = edge_from_record(row["source"], row["type"], row["target"], row["edge_props"])
            pairs.append((edge, node_from_record(row["props"], row["labels"])))
        return pairs

    pairs = await connection.read(work, "reading neighbours")
    return sorted(pairs, key=lambda pair: (pair[0].type, pair[1].id, pair[0].source, pair[0].target))


async def neighbours_of(
    connection: Connection,
    schema: GraphSchema,
    ids: Sequence[str],
    graph_filter: GraphFilter | None,
    per_node: int,
) -> dict[str, list[tuple[Edge, Node]]]:
    """``neighbours`` of every id in one query, at most ``per_node`` each; every id is a key.

    Raises:
        SchemaError: if the filter names a label or relationship type not in ``graph_schema/``.
        InvalidQuery: if ``per_node`` < 1.
    """
    walk = _Walk(graph_filter, schema)
    if per_node < 1:
        raise InvalidQuery(f"per_node must be at least 1, not {per_node}")
    unique = list(dict.fromkeys(ids))
    found: dict[str, list[tuple[Edge, Node]]] = {node_id: [] for node_id in unique}
    if not unique:
        return found
    query = queries.collected(
        queries.neighbours_of(walk.direction, walk.types, walk.predicates),
        ("anchor", *queries.NEIGHBOUR_COLUMNS),
    )
    params = {**walk.params, "ids": unique, "per_node": per_node}

    async def work(tx: Runner) -> None:
        # Rows arrive in each subquery's order, so appending keeps the contract's order per id.
        for row in await fetch_rows(tx, query, params):
            edge = edge_from_record(row["source"], row["type"], row["target"], row["edge_props"])
            found[row["anchor"]].append((edge, node_from_record(row["props"], row["labels"])))

    await connection.read(work, "reading neighbours")
    return {node_id: found[node_id] for node_id in ids}


async def _existing(tx: Runner, ids: Sequence[str]) -> list[str]:
    return sorted({row["id"] for row in await fetch_rows(tx, queries.EXISTING_IDS_ROWS, {"ids": list(ids)})})


async def subgraph(
    connection: Connection,
    schema: GraphSchema,
    seeds: Sequence[str],
    *,
    depth: int,
    graph_filter: GraphFilter | None,
    max_nodes: int,
    label_ranks: Mapping[str, int] | None = None,
) -> Subgraph:
    """Breadth-first ``depth``-hop neighbourhood of the existing ``seeds``.

    Seeds are always kept (filters apply to reached nodes only) and walked from; a reached node
    the filter rejects is neither returned nor walked through, and one with a stop label is
    returned but not walked through. Each hop's new nodes are taken in ``next_hop``'s order
    (the best ranked labels, the newest, then id) until ``max_nodes``, and returned by id;
    ``truncated`` says a node was left out. The edges returned are every edge of an allowed
    type between two returned nodes, whatever the walk's direction.
    """
    walk = _Walk(graph_filter, schema)
    rank = {schema.check_label(label): i for label, i in (label_ranks or {}).items()}
    hop_query = queries.collected(
        queries.next_hop(walk.direction, walk.types, walk.predicates), ("id", "labels")
    )
    parts_query = queries.nodes_and_edges_among(walk.types)

    async def work(tx: Runner) -> Subgraph:
        frontier = await _existing(tx, seeds)
        truncated = len(frontier) > max_nodes
        order = frontier = frontier[: max(max_nodes, 0)]
        visited = set(order)
        for _ in range(depth):
            if truncated or not frontier:
                break
            room = max_nodes - len(order)
            # One more than the room left tells whether the cap cut anything off.
            params = {
                **walk.params,
                "frontier": frontier,
                "visited": sorted(visited),
                "limit": room + 1,
                "rank": rank,
                "unranked": max(rank.values(), default=0) + 1,
            }
            rows = await fetch_rows(tx, hop_query, params)
            if len(rows) > room:
                rows, truncated = rows[:room], True
            found = sorted(row["id"] for row in rows)
            order = [*order, *found]
            visited.update(found)
            frontier = sorted(row["id"] for row in rows if walk.stop.isdisjoint(row["labels"]))
        parts = (await fetch(tx, parts_query, {"ids": order, "with_embeddings": False}))[0]
        nodes = (node_from_record(props, labels) for props, labels in parts["nodes"])
        by_id = {node.id: node for node in nodes}
        edges = sorted(
            (edge_from_record(*row) for row in parts["edges"]),
            key=lambda edge: (edge.source, edge.type, edge.target),
        )
        return Subgraph(
            tuple(by_id[node_id] for node_id in order if node_id in by_id), tuple(edges), truncated
        )

    return await connection.read(work, "walking a subgraph")
