"""Tools about the map around incidents: a service's context, neighbourhoods, search, recent changes.

No ``from __future__ import annotations`` here: the SDK reads these signatures at run time to
build each tool's input and output schemas.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import AwareDatetime, Field, JsonValue

from precedent.browse import CHANGE_HOURS_DEFAULT, MAX_CHANGE_HOURS, MAX_CHANGES
from precedent.errors import InvalidQuery
from precedent.graph_schema import load_schema
from precedent.investigation import (
    CHANGE_WINDOW_DEFAULT_HOURS,
    CHANGE_WINDOW_DESCRIPTION,
    CHANGE_WINDOW_MAX_HOURS,
    service_snapshot,
)
from precedent.investigation import recent_changes as changes_between
from precedent.mcp.arguments import renamed
from precedent.mcp.errors import tool_errors
from precedent.mcp.render import render_changes, render_neighbourhood, render_search, render_service
from precedent.mcp.state import ToolState, answer
from precedent.mcp.tools_incidents import limit_field, read_only_tool
from precedent.responses import ChangesResponse, NeighbourhoodResponse, SearchResponse, ServiceContextResponse
from precedent.retrieval import (
    DEFAULT_NEIGHBOURHOOD_DEPTH,
    DEFAULT_NEIGHBOURHOOD_NODES,
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_RESULTS,
    NeighbourhoodQuery,
    SearchKind,
    SearchMode,
    SearchQuery,
    find_neighbourhood,
)

__all__ = ["register_map_tools"]

ServiceKey = Annotated[str, Field(min_length=1, description="a service id, name, external id or alias")]
Hours = Annotated[
    float,
    Field(gt=0, le=MAX_CHANGE_HOURS, description="the window's length in hours, ending at `until`"),
]
After = Annotated[
    AwareDatetime | None, Field(description="only what happened at or after this (ISO 8601 with a time zone)")
]
Before = Annotated[
    AwareDatetime | None, Field(description="only what happened before this (ISO 8601 with a time zone)")
]


def _words(description: str) -> Any:
    # Published, and checked by SearchQuery in the words the API, the CLI and the page use.
    return Field(description=description, json_schema_extra={"minLength": 1, "maxLength": SEARCH_MAX_CHARS})


def _one_of(names: frozenset[str], description: str) -> Any:
    """A list argument whose items are published as the schema's names: a model then sends a
    label or a relationship type the map has on its first call, without reading
    precedent://schema (which many clients do not let it read). Checked by the layer below, in
    the words the API and the CLI use (``GraphSchema.check_label``)."""
    enum: list[JsonValue] = list(sorted(names))
    return Field(description=description, json_schema_extra={"items": {"type": "string", "enum": enum}})


def register_map_tools(server: MCPServer, state: ToolState) -> None:
    """Add ``service_context``, ``neighbourhood``, ``search`` and ``recent_changes`` to ``server``."""
    schema = load_schema()

    @read_only_tool(server, "Service context")
    async def service_context(
        ctx: Context,
        service: ServiceKey,
        change_window_hours: Annotated[
            float, Field(gt=0, le=CHANGE_WINDOW_MAX_HOURS, description=CHANGE_WINDOW_DESCRIPTION)
        ] = CHANGE_WINDOW_DEFAULT_HOURS,
    ) -> Annotated[CallToolResult, ServiceContextResponse]:
        """A service now: owning teams and members, who is on call, what it depends on and what
        depends on it (two hops), incidents on it in the last 30 days, and changes to it and its
        neighbours in the window.
        """
        with tool_errors():
            runtime = state.runtime()
            snapshot = await service_snapshot(
                runtime.store,
                runtime.catalog,
                service,
                viewer=state.viewer(ctx),
                at=datetime.now(UTC),
                window=timedelta(hours=change_window_hours),
                live=runtime.live_on_call,
            )
            response = ServiceContextResponse.from_snapshot(snapshot)
        return answer(response, render_service(response))

    @read_only_tool(server, "Neighbourhood in the map")
    async def neighbourhood(
        ctx: Context,
        incident: Annotated[
            str | None, Field(min_length=1, description="centre incident (id or INC-123); or give service")
        ] = None,
        service: Annotated[
            str | None, Field(min_length=1, description="centre service (id or name); or give incident")
        ] = None,
        depth: Annotated[
            int,
            # Published, and checked by NeighbourhoodQuery in the words the CLI and the API use.
            Field(
                description="hops from the centre",
                json_schema_extra={"minimum": 0, "maximum": MAX_NEIGHBOURHOOD_DEPTH},
            ),
        ] = DEFAULT_NEIGHBOURHOOD_DEPTH,
        label: Annotated[
            tuple[str, ...],
            _one_of(schema.node_labels, "only reach nodes with these labels (see precedent://schema)"),
        ] = (),
        rel: Annotated[
            tuple[str, ...],
            _one_of(schema.edge_types, "only follow these relationship types (see precedent://schema)"),
        ] = (),
        labels: Annotated[
            tuple[str, ...],
            _one_of(schema.node_labels, "the older name of `label`, still accepted; pass one of the two"),
        ] = (),
        relationships: Annotated[
            tuple[str, ...],
            _one_of(schema.edge_types, "the older name of `rel`, still accepted; pass one of the two"),
        ] = (),
        after: After = None,
        before: Before = None,
        max_nodes: Annotated[
            int, Field(ge=1, le=MAX_NEIGHBOURHOOD_NODES, description="node cap; `truncated` says when hit")
        ] = DEFAULT_NEIGHBOURHOOD_NODES,
    ) -> Annotated[CallToolResult, NeighbourhoodResponse]:
        """The nodes and relationships within `depth` hops of an incident or a service, filtered
        by label (`label`), relationship type (`rel`) and time, capped at `max_nodes`.
        """
        with tool_errors():
            wanted_labels = renamed("label", label, "labels", labels) or ()
            wanted_rels = renamed("rel", rel, "relationships", relationships) or ()
            query = NeighbourhoodQuery(
                incident=incident,
                service=service,
                depth=depth,
                labels=tuple(wanted_labels),
                rel_types=tuple(wanted_rels),
                before=before,
                after=after,
                max_nodes=max_nodes,
            )
            runtime = state.runtime()
            subgraph = await find_neighbourhood(runtime.store, runtime.catalog, query, state.viewer(ctx))
            response = NeighbourhoodResponse.from_subgraph(subgraph)
        return answer(response, render_neighbourhood(response))

    @read_only_tool(server, "Search the map")
    async def search(
        ctx: Context,
        q: Annotated[
            str | None,
            _words("words or a description to look for (required: `q`, or its older name `query`)"),
        ] = None,
        query: Annotated[
            str | None, _words("the older name of `q`, still accepted; pass one of the two")
        ] = None,
        kinds: Annotated[
            tuple[SearchKind, ...], Field(description="which kinds of node to search (all when empty)")
        ] = (),
        mode: Annotated[
            SearchMode,
            Field(
                description="hybrid (words and meaning, the default), text (words only) or semantic (meaning)"
            ),
        ] = "hybrid",
        limit: Annotated[int, limit_field(SEARCH_MAX_RESULTS, "how many hits")] = SEARCH_DEFAULT_LIMIT,
        after: After = None,
        before: Before = None,
    ) -> Annotated[CallToolResult, SearchResponse]:
        """Search incidents, post-mortems, follow-ups, status updates and services by words and by
        meaning; hits come best first with their text, as the HTTP API and the CLI find them.
        """
        with tool_errors():
            words = renamed("q", q, "query", query)
            if words is None:
                raise ValueError(
                    "`q` is required: the words to look for (`query`, its older name, is accepted too)"
                )
            asked = SearchQuery(words, kinds=kinds, mode=mode, limit=limit, after=after, before=before)
            runtime = state.runtime()
            response = await SearchResponse.for_query(
                runtime.store, runtime.embedder, asked, state.viewer(ctx)
            )
        return answer(response, render_search(response))

    @read_only_tool(server, "Recent changes")
    async def recent_changes(
        ctx: Context,
        service: Annotated[
            str | None,
            Field(
                min_length=1,
                description="only changes to this service (id or name); the whole map when left out",
            ),
        ] = None,
        until: Annotated[AwareDatetime | None, Field(description="end of the window (default now)")] = None,
        hours: Hours = CHANGE_HOURS_DEFAULT,
        limit: Annotated[int, limit_field(MAX_CHANGES, "how many changes, newest first")] = 50,
    ) -> Annotated[CallToolResult, ChangesResponse]:
        """Changes to production (deploys, config, feature flags, infrastructure) in a time window,
        newest first, on one service or across the map.
        """
        with tool_errors():
            if not 1 <= limit <= MAX_CHANGES:
                raise InvalidQuery.limit_out_of_range(limit, MAX_CHANGES)
            end = until or datetime.now(UTC)
            start = end - timedelta(hours=hours)
            runtime = state.runtime()
            changes = await changes_between(
                runtime.store,
                runtime.catalog,
                service=service,
                since=start,
                until=end,
                viewer=state.viewer(ctx),
                limit=limit + 1,  # one more than asked for tells whether the window holds more
            )
            response = ChangesResponse(
                service=service,
                since=start,
                until=end,
                changes=list(changes[:limit]),
                truncated=len(changes) > limit,
            )
        return answer(response, render_changes(response, most=MAX_CHANGES))
