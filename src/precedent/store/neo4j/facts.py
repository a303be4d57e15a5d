"""What ranking needs of a set of candidate incidents, read from Neo4j in one query.

A similar-incident request used to ask for the nodes, their cosines, the services they affect,
those services' owners and the related incidents in five reads (the owners waiting on the
services), and for the top results' post-mortem chunks and follow-ups in two more. Each read is
a round trip and a transaction; here one ``UNWIND`` with COLLECT subqueries answers them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precedent.errors import InvalidQuery
from precedent.model import IncidentFacts
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch_rows
from precedent.store.neo4j.convert import node_from_record, to_micros, vector_list

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from neo4j import AsyncManagedTransaction

    from precedent.model import Node, Vector, Visibility
    from precedent.store.neo4j.connection import Connection

__all__ = ["incident_facts"]


class _Decoder:
    """Turns records into nodes once per id: a busy service and its team recur in many rows."""

    def __init__(self) -> None:
        self._seen: dict[str, Node] = {}

    def node(self, props: Sequence[Sequence[Any]], labels: Sequence[str]) -> Node:
        node_id = next(value for key, value in props if key == "id")
        found = self._seen.get(node_id)
        if found is None:
            found = self._seen[node_id] = node_from_record(props, labels)
        return found

    def nodes(self, pairs: Sequence[Sequence[Any]]) -> tuple[Node, ...]:
        return tuple(self.node(props, labels) for props, labels in pairs)

    def facts(self, row: dict[str, Any]) -> IncidentFacts:
        affected = [(self.node(props, labels), owners) for props, labels, owners in row["affected"]]
        score = row["score"]
        return IncidentFacts(
            node=node_from_record(row["props"], row["labels"]),
            # Neo4j's cosine answers (1 + cos) / 2; map it back as search.py does.
            cosine=None if score is None else 2.0 * float(score) - 1.0,
            affected=tuple(node for node, _ in affected),
            owners={node.id: self.nodes(owners) for node, owners in affected if node.label == "Service"},
            related=tuple(str(i) for i in row["related"]),
            chunks=self.nodes(row["chunks"]),
            follow_ups=self.nodes(row["follow_ups"]),
        )


async def incident_facts(
    connection: Connection,
    ids: Sequence[str],
    *,
    visibilities: tuple[Visibility, ...],
    before: datetime | None,
    embedding: Vector | None,
    lessons: bool,
    per_list: int,
    dimensions: int | None,
) -> dict[str, IncidentFacts]:
    """Facts about the visible incidents among ``ids``; see ``GraphStore.incident_facts``.

    Raises:
        SchemaError: if ``embedding`` is not a finite vector of the store's dimension.
        InvalidQuery: if ``per_list`` < 1.
    """
    vector = None if embedding is None else vector_list("the query embedding", embedding, dimensions)
    if per_list < 1:
        raise InvalidQuery(f"per_list must be at least 1, not {per_list}")
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    query = queries.collected(
        queries.incident_facts(before=before is not None, scored=vector is not None, lessons=lessons),
        queries.FACT_COLUMNS,
    )
    params: dict[str, object] = {"ids": unique, "visibilities": list(visibilities), "per_list": per_list}
    if before is not None:
        params["before"] = to_micros(before)
    if vector is not None:
        params["vector"] = vector

    async def work(tx: AsyncManagedTransaction) -> dict[str, IncidentFacts]:
        found = {facts.node.id: facts for facts in map(_Decoder().facts, await fetch_rows(tx, query, params))}
        return {node_id: found[node_id] for node_id in unique if node_id in found}

    return await connection.read(work, "reading incident facts")
