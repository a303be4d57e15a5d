"""What ranking needs of a set of candidate incidents, read from Neo4j in one query.

A similar-incident request used to ask for the nodes, their cosines, the services they affect,
those services' owners and the related incidents in five reads (the owners waiting on the
services), and for the top results' post-mortem chunks and follow-ups in two more. Each read is
a round trip and a transaction; here one ``UNWIND`` with COLLECT subqueries answers them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precedent.errors import InvalidQuery
from precedent.model import IncidentFacts, Node
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch_rows
from precedent.store.neo4j.convert import (
    from_micros,
    node_from_record,
    node_label,
    stored_property,
    to_micros,
    vector_list,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.model import Vector, Visibility
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["incident_facts"]


class _Decoder:
    """Turns records into nodes once per id: a busy service and its team recur in many rows."""

    def __init__(self) -> None:
        self._seen: dict[str, Node] = {}
        self._owners: dict[str, tuple[Node, ...]] = {}

    def node(self, props: Sequence[Sequence[Any]], labels: Sequence[str]) -> Node:
        node_id = next(value for key, value in props if key == "id")
        found = self._seen.get(node_id)
        if found is None:
            found = self._seen[node_id] = node_from_record(props, labels)
        return found

    def nodes(self, pairs: Sequence[Sequence[Any]]) -> tuple[Node, ...]:
        return tuple(self.node(props, labels) for props, labels in pairs) if pairs else ()

    def owners(self, service: Node, rows: Sequence[Sequence[Any]]) -> tuple[Node, ...]:
        """A service's owners, decoded once: the same service comes with most rows of a pool."""
        found = self._owners.get(service.id)
        if found is None:
            found = self._owners[service.id] = self.nodes(rows)
        return found

    def incident(self, row: dict[str, Any]) -> Node:
        return node_from_record(row["props"], row["labels"])

    def affected(self, item: Sequence[Any]) -> tuple[Node, Sequence[Any]]:
        """An affected node and its owners' rows, from ``[props, labels, owners]``."""
        props, labels, owners = item
        return self.node(props, labels), owners

    def facts(self, row: dict[str, Any]) -> IncidentFacts:
        affected = [self.affected(item) for item in row["affected"]]
        score = row["score"]
        return IncidentFacts(
            node=self.incident(row),
            # Neo4j's cosine answers (1 + cos) / 2; map it back as search.py does.
            cosine=None if score is None else 2.0 * float(score) - 1.0,
            affected=tuple(node for node, _ in affected),
            owners={node.id: self.owners(node, rows) for node, rows in affected if node.label == "Service"},
            related=tuple(str(i) for i in row["related"]),
            chunks=self.nodes(row["chunks"]),
            follow_ups=self.nodes(row["follow_ups"]),
        )


class _BriefDecoder(_Decoder):
    """Decodes the positional rows of ``queries.incident_facts(brief=True)`` (``properties`` asked)."""

    def __init__(self, properties: Sequence[str]) -> None:
        super().__init__()
        self._properties = properties

    def linked(self, brief: Sequence[Any]) -> Node:
        """A linked node from ``[id, label, occurred_at, visibility]``."""
        node_id, label, occurred_at, visibility = brief
        found = self._seen.get(node_id)
        if found is None:
            found = self._seen[node_id] = Node(node_id, label, {}, _time(occurred_at), visibility)
        return found

    def nodes(self, pairs: Sequence[Sequence[Any]]) -> tuple[Node, ...]:
        return tuple(self.linked(brief) for brief in pairs) if pairs else ()

    def incident(self, row: dict[str, Any]) -> Node:
        node_id, occurred_at, visibility, values = row["props"]
        kept = {key: value for key, value in zip(self._properties, values, strict=True) if value is not None}
        return Node(node_id, node_label(row["labels"]), kept, _time(occurred_at), visibility)

    def affected(self, item: Sequence[Any]) -> tuple[Node, Sequence[Any]]:
        """An affected node and its owners' rows, from ``[id, label, occurred_at, visibility, owners]``."""
        return self.linked(item[:4]), item[4]


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


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
    properties: Sequence[str] | None,
) -> dict[str, IncidentFacts]:
    """Facts about the visible incidents among ``ids``; see ``GraphStore.incident_facts``.

    Raises:
        SchemaError: if ``embedding`` is not a finite vector of the store's dimension, or a name
            in ``properties`` is not an identifier.
        InvalidQuery: if ``per_list`` < 1.
    """
    vector = None if embedding is None else vector_list("the query embedding", embedding, dimensions)
    if per_list < 1:
        raise InvalidQuery(f"per_list must be at least 1, not {per_list}")
    keys = None if properties is None else [stored_property(name) for name in properties]
    unique = list(dict.fromkeys(ids))
    if not unique:
        return {}
    query = queries.collected(
        queries.incident_facts(
            before=before is not None, scored=vector is not None, lessons=lessons, brief=keys is not None
        ),
        queries.FACT_COLUMNS,
    )
    params: dict[str, object] = {"ids": unique, "visibilities": list(visibilities), "per_list": per_list}
    if keys is not None:
        params["keys"] = keys
    if before is not None:
        params["before"] = to_micros(before)
    if vector is not None:
        params["vector"] = vector

    decoder = _Decoder() if properties is None else _BriefDecoder(properties)

    async def work(tx: Runner) -> dict[str, IncidentFacts]:
        found = {facts.node.id: facts for facts in map(decoder.facts, await fetch_rows(tx, query, params))}
        return {node_id: found[node_id] for node_id in unique if node_id in found}

    return await connection.read(work, "reading incident facts")
