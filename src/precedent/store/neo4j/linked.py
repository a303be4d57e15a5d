"""Bounded, ordered link questions in Neo4j, each answered in one query for every anchor at once.

"The latest incidents on these services" as one ``UNWIND`` with a per-anchor subquery, instead of
a breadth-first walk capped in id order (which keeps the oldest incidents on a busy service).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.store.matching import WHITESPACE, match_key
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch_rows
from precedent.store.neo4j.convert import from_micros, node_from_record, stored_property, to_micros

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.graph_schema import GraphSchema
    from precedent.model import Node, Visibility
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["find_nodes", "linked_recent", "linked_recent_ids", "linked_times"]


async def linked_recent(
    connection: Connection,
    schema: GraphSchema,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
) -> dict[str, list[Node]]:
    """For each anchor, its newest ``label`` nodes linked into it by ``edge_type``; see ``GraphStore``.

    Raises:
        SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
        InvalidQuery: if ``per_anchor`` < 1.
    """
    query = queries.collected(
        queries.linked_recent(
            schema.check_label(label),
            schema.check_edge_type(edge_type),
            before=before is not None,
            after=after is not None,
        ),
        ("anchor", *queries.NODE_COLUMNS),
    )
    unique, params = _recent_params(anchors, per_anchor, visibilities, before=before, after=after)
    found: dict[str, list[Node]] = {anchor: [] for anchor in unique}
    if not unique:
        return found
    params["with_embeddings"] = False

    async def work(tx: Runner) -> None:
        # Rows arrive in each subquery's order, so appending keeps newest-first per anchor.
        for row in await fetch_rows(tx, query, params):
            found[row["anchor"]].append(node_from_record(row["props"], row["labels"]))

    await connection.read(work, "reading linked nodes")
    return found


async def linked_recent_ids(
    connection: Connection,
    schema: GraphSchema,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
) -> dict[str, list[str]]:
    """``linked_recent`` with ids only, in one query; see ``GraphStore.linked_recent_ids``.

    Raises:
        SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
        InvalidQuery: if ``per_anchor`` < 1.
    """
    query = queries.collected(
        queries.linked_recent_ids(
            schema.check_label(label),
            schema.check_edge_type(edge_type),
            before=before is not None,
            after=after is not None,
        ),
        ("anchor", "ids"),
    )
    unique, params = _recent_params(anchors, per_anchor, visibilities, before=before, after=after)
    found: dict[str, list[str]] = {anchor: [] for anchor in unique}
    if not unique:
        return found

    async def work(tx: Runner) -> None:
        for row in await fetch_rows(tx, query, params):
            found[row["anchor"]] = [str(i) for i in row["ids"]]

    await connection.read(work, "reading linked ids")
    return found


async def linked_times(
    connection: Connection,
    schema: GraphSchema,
    anchors: Sequence[str],
    *,
    label: str,
    edge_type: str,
    before: datetime | None,
    after: datetime | None,
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
) -> dict[str, list[datetime]]:
    """For each anchor, when its linked ``label`` nodes occurred, newest first; see ``GraphStore``.

    Raises:
        SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
        InvalidQuery: if ``per_anchor`` < 1.
    """
    query = queries.linked_times(
        schema.check_label(label),
        schema.check_edge_type(edge_type),
        before=before is not None,
        after=after is not None,
    )
    if per_anchor < 1:
        raise InvalidQuery(f"per_anchor must be at least 1, not {per_anchor}")
    unique = list(dict.fromkeys(anchors))
    if not unique:
        return {}
    params: dict[str, object] = {
        "anchors": unique,
        "per_anchor": per_anchor,
        "visibilities": list(visibilities),
    }
    if before is not None:
        params["before"] = to_micros(before)
    if after is not None:
        params["after"] = to_micros(after)
    records = await connection.query(query, params, "reading linked times")
    found: dict[str, list[datetime]] = {anchor: [] for anchor in unique}
    for record in records:
        found[record["anchor"]] = [from_micros(t) for t in record["times"]]
    return found


async def find_nodes(
    connection: Connection, schema: GraphSchema, label: str, value: str, fields: Sequence[str]
) -> list[Node]:
    """The ``label`` nodes one of whose ``fields`` equals ``value``, by id; see ``GraphStore``.

    Raises:
        SchemaError: if ``label`` is not in ``graph_schema/`` or a field is not an identifier.
    """
    query = queries.find_nodes(schema.check_label(label))
    params = {
        "keys": [stored_property(f) for f in fields],
        "value": match_key(value),
        "spaces": list(WHITESPACE),
        "with_embeddings": False,
    }
    records = await connection.query(query, params, "finding nodes by property")
    return [node_from_record(r["props"], r["labels"]) for r in records]


def _recent_params(
    anchors: Sequence[str],
    per_anchor: int,
    visibilities: tuple[Visibility, ...],
    *,
    before: datetime | None,
    after: datetime | None,
) -> tuple[list[str], dict[str, object]]:
    """The distinct anchors, in order, and the parameters both ``linked_recent`` reads take."""
    if per_anchor < 1:
        raise InvalidQuery(f"per_anchor must be at least 1, not {per_anchor}")
    unique = list(dict.fromkeys(anchors))
    params: dict[str, object] = {
        "anchors": unique,
        "per_anchor": per_anchor,
        "visibilities": list(visibilities),
    }
    if before is not None:
        params["before"] = to_micros(before)
    if after is not None:
        params["after"] = to_micros(after)
    return unique, params
