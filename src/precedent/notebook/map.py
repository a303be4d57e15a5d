"""``Map``: the knowledge map for exploring in a notebook, through the same code as the API.

Every method calls the retrieval, investigation and store code the HTTP API and the CLI call, as
the map's owner or as a public viewer, and returns either a pandas DataFrame (whole-map tables)
or the response models the API returns (one incident, similar incidents, an investigation).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Self, TypeAlias

from precedent.browse import MAX_CHANGES
from precedent.errors import InvalidQuery
from precedent.investigation import (
    InvestigationOptions,
    build_investigation,
    change_window,
    recent_changes,
    save,
)
from precedent.notebook import tables
from precedent.notebook.scans import read_rows
from precedent.responses import (
    IncidentDetailResponse,
    InvestigationResponse,
    NeighbourhoodResponse,
    SimilarResponse,
    StatsResponse,
)
from precedent.retrieval import (
    SIMILAR_DEFAULT_RESULTS,
    DescribedQuery,
    IncidentQuery,
    NeighbourhoodQuery,
    SimilarOptions,
    find_neighbourhood,
    incident_detail,
)
from precedent.retrieval.catalog import unknown_service
from precedent.store import to_networkx

if TYPE_CHECKING:
    from types import TracebackType

    import networkx as nx
    import pandas as pd

    from precedent.model import Subgraph, Viewer
    from precedent.retrieval import Catalog, SimilarQuery
    from precedent.runtime import Runtime

__all__ = ["Map"]

# An incident is named by one token (INC-123, an id); anything with a space describes one.
_ONE_TOKEN = re.compile(r"^\S+$")


Names: TypeAlias = str | tuple[str, ...] | list[str]
"""Names of services, labels or relationship types: several, or one given as a string."""


def _names(given: Names) -> tuple[str, ...]:
    """A list of names, or one name given alone: ``services="payments-api"`` was read letter by
    letter, as the services "p", "a", "y"..., each "not in the map"."""
    return (given,) if isinstance(given, str) else tuple(given)


def _aware(name: str, value: datetime | None) -> datetime | None:
    """``value`` when it is a time with a zone; a naive ``datetime`` or a string was a ``TypeError``
    traceback from the comparison with the map's times, which all have one."""
    if value is not None and not (isinstance(value, datetime) and value.tzinfo is not None):
        raise InvalidQuery.no_time_zone(name, value)
    return value


def _query(text: str, services: tuple[str, ...], declared_at: datetime | None) -> SimilarQuery:
    """An incident in the map (one token: ``INC-123``, an id) or a described one (a sentence, or
    any text with services): ``investigate("checkout down")`` was "incident not found"."""
    text = text.strip()
    if not text:
        raise InvalidQuery("give an incident reference (INC-123) or describe an incident")
    if _ONE_TOKEN.match(text) and not services:
        return IncidentQuery(text)
    return DescribedQuery(name=text, services=services, declared_at=declared_at)


def _rel(rel: Names, rel_types: Names) -> tuple[str, ...]:
    """The relationship types to follow, by the API's name ``rel`` or the notebook's first one."""
    if rel and rel_types:
        raise InvalidQuery("give rel or its older name rel_types, not both", field="rel")
    return _names(rel or rel_types)


def _walk(
    incident: str | None,
    service: str | None,
    depth: int,
    label: Names,
    rel: tuple[str, ...],
    before: datetime | None,
    after: datetime | None,
    max_nodes: int,
) -> NeighbourhoodQuery:
    """The walk ``neighbourhood`` and ``to_networkx`` take, refused as the API refuses it."""
    try:
        return NeighbourhoodQuery(
            incident=incident,
            service=service,
            depth=depth,
            labels=_names(label),
            rel_types=rel,
            before=_aware("before", before),
            after=_aware("after", after),
            max_nodes=max_nodes,
        )
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from exc


async def _known_status(catalog: Catalog, status: str) -> str:
    """``status`` as the map names a status or a status category; any other word is refused naming
    them, as ``GET /v1/incidents?status=`` refuses it (it was an empty table, read as "none")."""
    for prop in ("name", "category"):
        try:
            known = await catalog.known("IncidentStatus", "status", status, prop)
        except InvalidQuery:
            continue
        return known or status
    statuses = await catalog.names("IncidentStatus")
    categories = await catalog.names("IncidentStatus", "category")
    raise InvalidQuery(
        f"unknown status {status!r}: the map knows the statuses {', '.join(map(repr, statuses))} "
        f"and the categories {', '.join(map(repr, categories))}; use one of them, or leave status out",
        field="status",
    )


class Map:
    """The knowledge map: tables of incidents, services, follow-ups and changes; similar incidents,
    investigations, neighbourhoods and the graph itself.

    Open it with ``await precedent.connect()``; close it with ``await m.close()`` or ``async with``.

    Args:
        runtime: An opened runtime (``connect`` makes one and the map closes it).
        viewer: Whose view every answer is (the owner's sees private incidents).
        read_only: The map was opened beside its writer: investigations are built, never stored.
    """

    def __init__(self, runtime: Runtime, viewer: Viewer, *, read_only: bool = True) -> None:
        self._runtime = runtime
        self._viewer = viewer
        self._read_only = read_only

    async def close(self) -> None:
        """Close the map (the store and the model). Idempotent."""
        await self._runtime.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def stats(self) -> StatsResponse:
        """How many nodes of each label and edges of each type the viewer may see."""
        store = self._runtime.store
        return StatsResponse.from_stats(await store.stats(visibilities=self._viewer.visibilities))

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
            service: Only incidents affecting this service (by name, id, external id or alias).
            since: Only incidents that started at or after this time.
            until: Only incidents that started before this time.
            status: Only incidents with this status or status category (``Resolved``, ``closed``...).

        Returns:
            The columns of ``tables.INCIDENT_COLUMNS``: services by name, ``related`` the incidents
            people linked it to, ``caused_by`` the changes named as its cause, follow-up counts.

        Raises:
            NotFound: if ``service`` names no service in the map (with those it may mean).
            InvalidQuery: if ``since`` or ``until`` has no time zone, or ``status`` is neither a
                status nor a status category of the map.
        """
        since, until = _aware("since", since), _aware("until", until)
        wanted = await self._service_name(service) if service is not None else None
        if status is not None:
            status = await _known_status(self._runtime.catalog, status)
        rows = (await read_rows(self._runtime.store, self._viewer)).incidents
        status_key = status.casefold() if status is not None else None

        def keep(row: dict[str, object]) -> bool:
            started = row["started_at"]
            if wanted is not None and wanted not in row["services"]:  # type: ignore[operator]
                return False
            if since is not None and not (isinstance(started, datetime) and started >= since):
                return False
            if until is not None and isinstance(started, datetime) and started >= until:
                return False
            states = {str(row["status"]).casefold(), str(row["status_category"]).casefold()}
            return status_key is None or status_key in states

        return tables.frame([r for r in rows if keep(r)], tables.INCIDENT_COLUMNS, sort_by="started_at")

    async def services(self) -> pd.DataFrame:
        """Services as a table: owners, dependencies both ways, incidents and open follow-ups.

        Returns:
            The columns of ``tables.SERVICE_COLUMNS``, busiest first (counts are the viewer's).
        """
        rows = (await read_rows(self._runtime.store, self._viewer)).services
        table = tables.frame(rows, tables.SERVICE_COLUMNS)
        return table.sort_values(["incidents", "name"], ascending=[False, True]).reset_index(drop=True)

    async def follow_ups(self, *, open_only: bool = False) -> pd.DataFrame:
        """Follow-ups agreed after incidents, with their incident and its services.

        Args:
            open_only: Only work not done yet (its status is not completed, cancelled...).
        """
        rows = (await read_rows(self._runtime.store, self._viewer)).follow_ups
        kept = [r for r in rows if r["open"] or not open_only]
        return tables.frame(kept, tables.FOLLOW_UP_COLUMNS, sort_by="id")

    async def incident(self, ref: str) -> IncidentDetailResponse:
        """One incident (``INC-123`` or its id) with its updates, post-mortems and what they teach.

        Raises:
            NotFound: if there is no such incident, or the viewer may not see it.
        """
        runtime = self._runtime
        detail = await incident_detail(runtime.store, runtime.catalog, ref, self._viewer)
        return IncidentDetailResponse.from_detail(detail)

    async def similar(
        self,
        ref_or_description: str,
        *,
        services: Names = (),
        declared_at: datetime | None = None,
        limit: int = SIMILAR_DEFAULT_RESULTS,
    ) -> SimilarResponse:
        """Similar past incidents, each explained, for an incident in the map or a description.

        Args:
            ref_or_description: ``INC-123`` (or an id): that incident as it looked when declared,
                against the incidents before it; or a sentence describing an incident.
            services: For a description, the affected services (or one, as a string).
            declared_at: For a description, when it happened (default now).
            limit: How many results.

        Raises:
            NotFound: if a single token names no incident the viewer may see.
            InvalidQuery: if ``declared_at`` has no time zone, or ``limit`` is out of range.

        See ``tables.similar_frame`` for the answer as a table.
        """
        query = _query(ref_or_description, _names(services), declared_at)
        options = SimilarOptions(limit=limit, viewer=self._viewer)
        return SimilarResponse.from_results(await self._runtime.finder.find(query, options))

    async def investigate(
        self,
        ref: str,
        *,
        services: Names = (),
        declared_at: datetime | None = None,
        similar: int = 5,
        change_window_hours: float = 24.0,
    ) -> InvestigationResponse:
        """The first look at an incident, built as it looked when declared (what the webhook builds).

        A map opened read-only (beside ``precedent serve``) builds it without storing it; a map
        opened with ``read_only=False`` stores it as the CLI does.

        Args:
            ref: ``INC-123`` or an incident id; or a sentence describing an incident not in the
                map yet, as ``similar`` takes one (``precedent investigate --name``).
            services: For a description, the affected services (or one, as a string).
            declared_at: For a description, when it was declared (default now).
            similar: How many precedents.
            change_window_hours: How far before the declaration changes are read.

        Raises:
            NotFound: if there is no such incident, or the viewer may not see it.
            InvalidQuery: if ``similar`` or the window is out of range, or ``declared_at`` has
                no time zone.
        """
        options = InvestigationOptions(similar=similar, change_window=change_window(change_window_hours))
        runtime = self._runtime
        collaborators = (
            runtime.unstored_investigation_collaborators
            if self._read_only
            else runtime.investigation_collaborators
        )
        query = _query(ref, _names(services), declared_at)
        investigation = await build_investigation(query, collaborators, self._viewer, options)
        if not self._read_only:
            await save(runtime.store, investigation, trigger="notebook", options=options)
        # Its summary's links under PRECEDENT_PUBLIC_URL: it is stored with them site-relative.
        return InvestigationResponse.from_investigation(investigation, links=collaborators.links)

    async def changes(
        self,
        *,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> pd.DataFrame:
        """Changes to production (deploys, config) in ``[since, until]``, newest first.

        Args:
            service: One service's changes (by any of its names), or every service's.
            since: From (default a week before ``until``).
            until: To (default now).
            limit: At most this many.

        Raises:
            NotFound: if ``service`` names no service.
            InvalidQuery: if ``since`` is not before ``until``, either has no time zone, or
                ``limit`` is not from 1 to 500 (as the API's).
        """
        if not 1 <= limit <= MAX_CHANGES:
            raise InvalidQuery.limit_out_of_range(limit, MAX_CHANGES)
        until = _aware("until", until) or datetime.now(UTC)
        since = since or until - timedelta(days=7)
        runtime = self._runtime
        try:
            found = await recent_changes(
                runtime.store,
                runtime.catalog,
                service=service,
                since=since,
                until=until,
                viewer=self._viewer,
                limit=limit,
            )
        except ValueError as exc:
            raise InvalidQuery(str(exc)) from exc
        return tables.changes_frame(found)

    async def neighbourhood(
        self,
        *,
        incident: str | None = None,
        service: str | None = None,
        depth: int = 2,
        label: Names = (),
        rel: Names = (),
        before: datetime | None = None,
        after: datetime | None = None,
        max_nodes: int = 200,
        rel_types: Names = (),
    ) -> NeighbourhoodResponse:
        """The k-hop subgraph around one incident or one service (the API's neighbourhood).

        Args:
            incident: The centre incident (``INC-123`` or an id); or give ``service``.
            service: The centre service, by any of its names.
            depth: Hops from the centre, 0 to 4.
            label: Only reach nodes with these labels (one as a string, or several).
            rel: Only follow these relationship types; ``rel_types``, its first name, is taken too.
            before: Skip nodes that occurred at or after this time (with a time zone).
            after: Skip nodes that occurred before this time (with a time zone).
            max_nodes: The node cap, 1 to 5,000.

        The names are the API's (``?label=&rel=&before=&after=&max_nodes=``), the CLI's and the
        MCP tool's.

        Raises:
            InvalidQuery: if neither or both of ``incident`` and ``service`` are given, both ``rel``
                and ``rel_types``, a time without a zone, or a bound is out of range.
            SchemaError: for a label or relationship type the map does not have.
            NotFound: if the incident or service is not in the map.
        """
        walk = _walk(incident, service, depth, label, _rel(rel, rel_types), before, after, max_nodes)
        return NeighbourhoodResponse.from_subgraph(await self._subgraph(walk))

    async def to_networkx(
        self,
        *,
        incident: str | None = None,
        service: str | None = None,
        depth: int = 2,
        label: Names = (),
        rel: Names = (),
        before: datetime | None = None,
        after: datetime | None = None,
        max_nodes: int = 200,
        rel_types: Names = (),
    ) -> nx.MultiDiGraph:
        """A neighbourhood (the arguments of ``neighbourhood``), or with neither ``incident`` nor
        ``service`` the whole map, as networkx.

        Nodes keep their ``label`` and properties, edges are keyed by relationship type; only what
        the viewer may see is in it.
        """
        if incident is None and service is None:
            graph = await self._runtime.store.export()
            hidden = [
                node
                for node, data in graph.nodes(data=True)
                if data.get("visibility") not in self._viewer.visibilities
            ]
            graph.remove_nodes_from(hidden)
            return graph
        walk = _walk(incident, service, depth, label, _rel(rel, rel_types), before, after, max_nodes)
        subgraph = await self._subgraph(walk)
        return to_networkx(subgraph.nodes, subgraph.edges)

    async def _subgraph(self, walk: NeighbourhoodQuery) -> Subgraph:
        runtime = self._runtime
        return await find_neighbourhood(runtime.store, runtime.catalog, walk, self._viewer)

    async def _service_name(self, key: str) -> str:
        found, _ = await self._runtime.catalog.services((key,))
        if not found:
            # As changes() and neighbourhood() say it: with the services the caller may have meant.
            raise await unknown_service(self._runtime.store, key)
        return str(found[0].properties.get("name") or found[0].id)
