"""The notebook API: ``await precedent.connect()`` opens the map for exploring in Jupyter.

An entry point like the CLI: it reads the same settings (``PRECEDENT_*``, embedded by default,
Neo4j when ``PRECEDENT_STORE=neo4j``), opens the embedded map read-only so it works beside a
running ``precedent serve``, and answers as the map's owner (private incidents included) unless
asked not to. Tables come back as pandas DataFrames (``pip install 'precedent[notebooks]'``);
everything else as the same response models the HTTP API returns.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Self

from precedent.config import Settings
from precedent.errors import ConfigError, InvalidQuery
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.responses import NeighbourhoodResponse, NodeResponse, SimilarResponse, StatsResponse
from precedent.retrieval import (
    DescribedQuery,
    IncidentQuery,
    NeighbourhoodQuery,
    SimilarOptions,
    find_neighbourhood,
)
from precedent.runtime import Runtime
from precedent.store import to_networkx

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType

    import networkx as nx
    import pandas as pd

    from precedent.model import Node, Subgraph, Viewer

__all__ = ["Map", "connect"]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # the service does not need pandas; notebooks do
        raise ConfigError(
            "tables need pandas: install the notebook extra with pip install 'precedent[notebooks]'"
        ) from exc
    return pandas


def _name(node: Node) -> str:
    return str(node.properties.get("name") or node.id)


async def connect(
    settings: Settings | None = None, *, include_private: bool = True, read_only: bool = True
) -> Map:
    """Open the map described by ``settings`` (read from the environment when omitted).

    Args:
        settings: Where the map is; ``Settings()`` reads ``PRECEDENT_*`` and ``.env``.
        include_private: Answer as the map's owner (``True``) or as a public viewer.
        read_only: Open the embedded map as a reader beside its writer (``precedent serve``).

    Returns:
        An open ``Map``; close it with ``await map.close()`` or use ``async with``.
    """
    runtime = Runtime.from_settings(settings or Settings(), read_only=read_only)
    await runtime.open()
    return Map(runtime, OWNER_VIEWER if include_private else PUBLIC_VIEWER)


class Map:
    """The knowledge map, for exploring: incidents and services as tables, similar incidents,
    neighbourhoods and the graph itself.

    Args:
        runtime: An opened runtime (``connect`` makes one).
        viewer: Who the answers are for.
    """

    def __init__(self, runtime: Runtime, viewer: Viewer) -> None:
        self._runtime = runtime
        self._viewer = viewer

    @property
    def runtime(self) -> Runtime:
        """The runtime underneath (its store, finder and catalog), for what this API does not cover."""
        return self._runtime

    async def close(self) -> None:
        """Close the map. Idempotent."""
        await self._runtime.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def stats(self) -> StatsResponse:
        """How many nodes of each label and edges of each type the viewer may see."""
        return StatsResponse.from_stats(
            await self._runtime.store.stats(visibilities=self._viewer.visibilities)
        )

    async def graph(self) -> nx.MultiDiGraph:
        """The whole map the viewer may see as a networkx graph (nodes keep label and properties,
        edges are keyed by type): any networkx algorithm applies from here."""
        graph = await self._runtime.store.export()
        hidden = [
            n for n, data in graph.nodes(data=True) if data.get("visibility") not in self._viewer.visibilities
        ]
        graph.remove_nodes_from(hidden)
        return graph

    async def incidents(
        self,
        *,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        """Incidents as a table, one row each, oldest first.

        Args:
            service: Only incidents affecting this service (by name or id).
            since: Only incidents that started at or after this time.
            until: Only incidents that started before this time.
            status: Only incidents with this status name (``Resolved``, ``Investigating``...).

        Returns:
            Columns ``id, reference, name, status, severity, type, started_at, duration_minutes,
            services, visibility``.
        """
        store = self._runtime.store
        names = {n.id: _name(n) async for n in store.scan_nodes(["Service"])}
        affected: dict[str, list[str]] = defaultdict(list)
        async for edge in store.scan_edges(["AFFECTS"]):
            if edge.target in names:
                affected[edge.source].append(names[edge.target])
        wanted = None
        if service is not None:
            found, unknown = await self._runtime.catalog.services((service,))
            if unknown:
                raise InvalidQuery(f"no service named {service!r}; see `await map.services()`")
            wanted = _name(found[0])
        rows = []
        async for node in store.scan_nodes(["Incident"]):
            props = node.properties
            started = node.occurred_at
            if not self._viewer.can_see(node) or (wanted and wanted not in affected[node.id]):
                continue
            if (since and (started is None or started < since)) or (until and started and started >= until):
                continue
            if status is not None and str(props.get("status", "")).casefold() != status.casefold():
                continue
            duration = props.get("duration_seconds")
            rows.append(
                {
                    "id": node.id,
                    "reference": props.get("reference"),
                    "name": props.get("name"),
                    "status": props.get("status"),
                    "severity": props.get("severity"),
                    "type": props.get("incident_type"),
                    "started_at": started,
                    "duration_minutes": float(duration) / 60 if isinstance(duration, int | float) else None,
                    "services": sorted(affected[node.id]),
                    "visibility": node.visibility,
                }
            )
        frame = _pandas().DataFrame(rows, columns=list(_INCIDENT_COLUMNS))
        return frame.sort_values("started_at", kind="stable").reset_index(drop=True)

    async def services(self) -> pd.DataFrame:
        """Services as a table: ``id, name, owners, depends_on, incidents`` (the viewer's count)."""
        store = self._runtime.store
        nodes = {n.id: n async for n in store.scan_nodes(["Service", "Team"])}
        owners: dict[str, list[str]] = defaultdict(list)
        depends: dict[str, list[str]] = defaultdict(list)
        async for edge in store.scan_edges(["OWNED_BY", "DEPENDS_ON"]):
            if edge.source in nodes and edge.target in nodes:
                into = owners if edge.type == "OWNED_BY" else depends
                into[edge.source].append(_name(nodes[edge.target]))
        visible = {n.id async for n in store.scan_nodes(["Incident"]) if self._viewer.can_see(n)}
        counts: dict[str, int] = defaultdict(int)
        async for edge in store.scan_edges(["AFFECTS"]):
            if edge.source in visible:
                counts[edge.target] += 1
        rows = [
            {
                "id": node.id,
                "name": _name(node),
                "owners": sorted(owners[node.id]),
                "depends_on": sorted(depends[node.id]),
                "incidents": counts[node.id],
            }
            for node in nodes.values()
            if node.label == "Service"
        ]
        return _pandas().DataFrame(rows, columns=["id", "name", "owners", "depends_on", "incidents"])

    async def incident(self, ref: str) -> NodeResponse:
        """One incident by id or reference (``INC-123``)."""
        return NodeResponse.from_node(await self._runtime.catalog.incident(ref, self._viewer))

    async def similar(
        self,
        ref: str | None = None,
        *,
        name: str | None = None,
        summary: str = "",
        services: tuple[str, ...] = (),
        declared_at: datetime | None = None,
        limit: int = 10,
    ) -> SimilarResponse:
        """Similar past incidents, for an incident in the map (``ref``) or a described one (``name``...)."""
        if (ref is None) == (name is None):
            raise InvalidQuery("give an incident reference, or describe one with name=...")
        query = (
            IncidentQuery(ref)
            if ref is not None
            else DescribedQuery(name=name or "", summary=summary, services=services, declared_at=declared_at)
        )
        options = SimilarOptions(limit=limit, viewer=self._viewer)
        return SimilarResponse.from_results(await self._runtime.finder.find(query, options))

    async def neighbourhood(
        self,
        *,
        incident: str | None = None,
        service: str | None = None,
        depth: int = 2,
        rel_types: tuple[str, ...] = (),
        max_nodes: int = 200,
    ) -> NeighbourhoodResponse:
        """The k-hop subgraph around an incident or a service (see ``to_networkx`` to draw it)."""
        return NeighbourhoodResponse.from_subgraph(
            await self._subgraph(incident, service, depth, rel_types, max_nodes)
        )

    async def to_networkx(
        self,
        *,
        incident: str | None = None,
        service: str | None = None,
        depth: int = 2,
        rel_types: tuple[str, ...] = (),
        max_nodes: int = 200,
    ) -> nx.MultiDiGraph:
        """A neighbourhood as a networkx graph: nodes keep their label and properties, edges their type."""
        subgraph = await self._subgraph(incident, service, depth, rel_types, max_nodes)
        return to_networkx(subgraph.nodes, subgraph.edges)

    async def _subgraph(
        self,
        incident: str | None,
        service: str | None,
        depth: int,
        rel_types: tuple[str, ...],
        max_nodes: int,
    ) -> Subgraph:
        try:
            query = NeighbourhoodQuery(
                incident=incident, service=service, depth=depth, rel_types=rel_types, max_nodes=max_nodes
            )
        except ValueError as exc:
            raise InvalidQuery(str(exc)) from exc
        runtime = self._runtime
        return await find_neighbourhood(runtime.store, runtime.catalog, query, self._viewer)


_INCIDENT_COLUMNS = (
    "id",
    "reference",
    "name",
    "status",
    "severity",
    "type",
    "started_at",
    "duration_minutes",
    "services",
    "visibility",
)
