"""Listing nodes newest first in Neo4j: one query a page, or one for every id (``queries.list_nodes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.store.listing import check_listing
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch
from precedent.store.neo4j.convert import node_from_record, to_micros

if TYPE_CHECKING:
    from precedent.model import ListingKey, Node, NodeListing
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["list_ids", "list_page"]


def _query(
    listing: NodeListing, start_after: ListingKey | None, *, ids_only: bool
) -> tuple[str, dict[str, object]]:
    """The query selecting ``listing`` and its parameters (a page's ``limit`` is the caller's)."""
    link = listing.linked
    query = queries.list_nodes(
        listing.label,
        [name for name, _ in listing.equals],
        link_type=None if link is None else link.edge_type,
        edge_property=None if link is None or link.edge_contains is None else link.edge_contains[0],
        among=listing.among is not None,
        before=listing.before is not None,
        after=listing.after is not None,
        start=start_after is not None,
        ids_only=ids_only,
    )
    params: dict[str, object] = {"visibilities": list(listing.visibilities)}
    params.update({f"values{i}": list(values) for i, (_, values) in enumerate(listing.equals)})
    if link is not None:
        params["anchors"] = sorted(link.anchors)
        if link.edge_contains is not None:
            params["edge_text"] = link.edge_contains[1]
    if listing.among is not None:
        params["among"] = sorted(listing.among)
    if listing.before is not None:
        params["before"] = to_micros(listing.before)
    if listing.after is not None:
        params["after"] = to_micros(listing.after)
    if start_after is not None:
        params["start_at"], params["start_id"] = to_micros(start_after[0]), start_after[1]
    return query, params


async def list_page(
    connection: Connection, listing: NodeListing, limit: int, start_after: ListingKey | None
) -> list[Node]:
    """One page of ``listing``; see ``GraphStore.list_nodes``.

    Raises:
        SchemaError: if a label, relationship type or property name is not allowed.
        InvalidQuery: if ``limit`` < 1.
    """
    check_listing(listing, limit)
    query, params = _query(listing, start_after, ids_only=False)
    params.update({"limit": limit, "with_embeddings": False})
    page: list[Node] = []

    async def work(tx: Runner) -> None:
        page.extend(node_from_record(r["props"], r["labels"]) for r in await fetch(tx, query, params))

    await connection.read(work, "listing nodes")
    return page


async def list_ids(connection: Connection, listing: NodeListing) -> list[str]:
    """The id of every node ``listing`` selects, in one query; see ``GraphStore.list_node_ids``.

    Raises:
        SchemaError: if a label, relationship type or property name is not allowed.
    """
    check_listing(listing, 1)
    query, params = _query(listing, None, ids_only=True)
    found: list[str] = []

    async def work(tx: Runner) -> None:
        found.extend(str(r["id"]) for r in await fetch(tx, query, params))

    await connection.read(work, "listing node ids")
    return found
