"""The k-hop neighbourhood of an incident or a service, for people and tools.

One ``subgraph`` call with label, relationship, time and visibility filters and a node cap;
``responses.NeighbourhoodResponse`` renders it in a stable order.

A responder asks what surrounds a service: its dependencies and dependents, owners, recent
incidents and changes. Walked blindly, two hops from a service pass through the nodes every
incident links to (a severity, a status, the catalog type, the people who reported or led them)
and fill the node cap with every service and incident of the map. So a walk the caller did not
narrow (no label or relationship named) reaches those hubs but goes no further from them, and
when the cap still cuts a hop, services, teams, schedules, incidents and changes are kept first,
the newest first. A caller naming labels or relationships walks exactly what it names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.model import GraphFilter
from precedent.retrieval.catalog import unknown_service
from precedent.retrieval.query import check_window

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from precedent.model import Subgraph, Viewer
    from precedent.retrieval.catalog import Catalog
    from precedent.store.base import GraphStore

__all__ = [
    "DEFAULT_NEIGHBOURHOOD_DEPTH",
    "DEFAULT_NEIGHBOURHOOD_NODES",
    "HUB_LABELS",
    "LABEL_RANKS",
    "MAX_NEIGHBOURHOOD_DEPTH",
    "MAX_NEIGHBOURHOOD_NODES",
    "NeighbourhoodQuery",
    "find_neighbourhood",
    "truncation_note",
]

MAX_NEIGHBOURHOOD_DEPTH = 4
"""The most hops a neighbourhood walks, for every caller (API, MCP, CLI): beyond it a walk reaches
most of a connected map, which is no neighbourhood and costs the store a full traversal."""

MAX_NEIGHBOURHOOD_NODES = 5000
"""The largest node cap (``max_nodes``) a neighbourhood takes, for every caller (API, MCP, CLI):
the MCP tool stopped at 1,000, the API at 5,000, the CLI nowhere."""

DEFAULT_NEIGHBOURHOOD_DEPTH = 2
DEFAULT_NEIGHBOURHOOD_NODES = 200
"""The hops and node cap of a neighbourhood asked without them, for every caller (API, MCP, CLI):
the MCP tool walked 1 hop capped at 100 where the API and the CLI walk 2 capped at 200, so an
agent and a responder asking alike saw different neighbourhoods."""

HUB_LABELS = ("CatalogType", "IncidentStatus", "IncidentType", "Severity", "User")
"""Attribute-like nodes an unnarrowed walk reaches but does not walk through: each links to
every incident (or entry, or update) that shares it, so walking on from one reaches the map."""

LABEL_RANKS: Mapping[str, int] = MappingProxyType(
    {"Service": 0, "Team": 0, "Schedule": 1, "Incident": 2, "ChangeEvent": 2, "Postmortem": 3, "FollowUp": 3}
)
"""What the node cap keeps first in a hop it cuts short, lowest rank first, then the labels not
ranked here; the newest first within a rank: the services around the centre and who owns them,
who is on call, what happened to them lately (incidents and changes alike, by time), and what
was learnt from it."""


@dataclass(frozen=True)
class NeighbourhoodQuery:
    """Which neighbourhood to walk.

    Attributes:
        incident: Centre incident, by id or reference (exactly one of incident/service).
        service: Centre service, by id, name, external id or alias.
        depth: Hops from the centre.
        labels: Only reach nodes with these labels (the centre is always kept). Without labels
            or relationship types, ``HUB_LABELS`` nodes are reached but not walked through.
        rel_types: Only follow these relationship types (empty: all).
        before: Skip nodes that occurred at or after this time (nodes with no time pass).
        after: Skip nodes that occurred before this time (nodes with no time pass).
        max_nodes: Node cap; the answer says when it was reached (each hop it cuts keeps
            ``LABEL_RANKS`` labels first, the newest first).

    Raises:
        InvalidQuery: for a depth or a node cap out of range, or a time window that holds nothing.
        ValueError: for no centre or two.
    """

    incident: str | None = None
    service: str | None = None
    depth: int = DEFAULT_NEIGHBOURHOOD_DEPTH
    labels: tuple[str, ...] = ()
    rel_types: tuple[str, ...] = ()
    before: datetime | None = None
    after: datetime | None = None
    max_nodes: int = DEFAULT_NEIGHBOURHOOD_NODES

    def __post_init__(self) -> None:
        if (self.incident is None) == (self.service is None):
            raise ValueError("name exactly one centre: an incident or a service")
        if not 0 <= self.depth <= MAX_NEIGHBOURHOOD_DEPTH:
            raise InvalidQuery.depth_out_of_range(self.depth, MAX_NEIGHBOURHOOD_DEPTH)
        if not 1 <= self.max_nodes <= MAX_NEIGHBOURHOOD_NODES:
            raise InvalidQuery.number_out_of_range("max_nodes", self.max_nodes, 1, MAX_NEIGHBOURHOOD_NODES)
        check_window(self.after, self.before)


async def find_neighbourhood(
    store: GraphStore, catalog: Catalog, query: NeighbourhoodQuery, viewer: Viewer
) -> Subgraph:
    """Resolve the centre and walk its neighbourhood, showing only what ``viewer`` may see.

    Raises:
        NotFound: if the centre is not in the map, or is private and the viewer may not see it.
        SchemaError: for a label or relationship type ``graph_schema/`` does not have (the
            store's walk checks them, in the same words on every surface and either store).
    """
    if query.incident is not None:
        centre = await catalog.incident(query.incident, viewer)
    else:
        assert query.service is not None
        services, _ = await catalog.services((query.service,))
        if not services:
            raise await unknown_service(store, query.service)
        centre = services[0]
    narrowed = bool(query.labels or query.rel_types)
    graph_filter = GraphFilter(
        labels=query.labels,
        rel_types=query.rel_types,
        before=query.before,
        after=query.after,
        visibilities=viewer.visibilities,
        stop_labels=() if narrowed else HUB_LABELS,
    )
    return await store.subgraph(
        [centre.id],
        depth=query.depth,
        graph_filter=graph_filter,
        max_nodes=query.max_nodes,
        label_ranks=LABEL_RANKS,
    )


def truncation_note(subgraph: Subgraph) -> str | None:
    """What a neighbourhood the node cap cut short kept, and how to see the rest; ``None`` if whole.

    The same words on every surface, so they name no surface's own flags.
    """
    if not subgraph.truncated or not subgraph.nodes:
        return None
    label, most = min(Counter(n.label for n in subgraph.nodes).items(), key=lambda pair: (-pair[1], pair[0]))
    return (
        f"The node cap cut this neighbourhood short at {len(subgraph.nodes)} nodes, {most} of them "
        f"{label}; where it cut, services, teams, schedules, incidents and changes were kept "
        "first, the newest first. To see what was left out, narrow it (fewer hops, only the labels "
        "or relationship types you need, or a time window with after and before) or raise the node cap."
    )
