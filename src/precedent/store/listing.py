"""``GraphStore.list_nodes``: what both stores check before answering (so they refuse alike), and
reading a listing whole, page by page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery, SchemaError
from precedent.graph_schema import load_schema

if TYPE_CHECKING:
    from precedent.model import ListingKey, Node, NodeListing
    from precedent.store.base import GraphStore

__all__ = ["check_listing", "list_every_node"]

_PAGE = 1000

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_listing(listing: NodeListing, limit: int) -> None:
    """Check a listing's names against ``graph_schema/`` and its page size.

    Raises:
        SchemaError: if the label or link type is unknown, or a property name is not an identifier.
        InvalidQuery: if ``limit`` < 1.
    """
    schema = load_schema()
    schema.check_label(listing.label)
    if listing.linked is not None:
        schema.check_edge_type(listing.linked.edge_type)
    names = [name for name, _ in listing.equals]
    if listing.linked is not None and listing.linked.edge_contains is not None:
        names.append(listing.linked.edge_contains[0])
    for name in names:
        if not _PROPERTY.match(name):
            raise SchemaError(f"property name {name!r} is not an identifier")
    if limit < 1:
        raise InvalidQuery(f"limit must be at least 1, not {limit}")


async def list_every_node(store: GraphStore, listing: NodeListing, cap: int | None = None) -> list[Node]:
    """Every node of ``listing`` (newest first), page by page, at most ``cap``."""
    found: list[Node] = []
    start: ListingKey | None = None
    while cap is None or len(found) < cap:
        page = await store.list_nodes(listing, limit=_PAGE, start_after=start)
        found += page
        if len(page) < _PAGE:
            break
        last = page[-1]
        assert last.occurred_at is not None
        start = (last.occurred_at, last.id)
    return found if cap is None else found[:cap]
