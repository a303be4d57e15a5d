"""Tools about incidents: similar past incidents, one incident with its parts, its investigation.

No ``from __future__ import annotations`` here: the SDK reads these signatures at run time to
build each tool's input and output schemas.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import AwareDatetime, Field

from precedent.investigation import (
    CHANGE_WINDOW_DEFAULT_HOURS,
    CHANGE_WINDOW_DESCRIPTION,
    CHANGE_WINDOW_MAX_HOURS,
    SIMILAR_PRECEDENTS_MAX,
    InvestigationOptions,
    build_investigation,
    change_window,
    latest_for_incident,
)
from precedent.mcp.errors import tool_errors
from precedent.mcp.render import render_incident, render_investigation, render_similar
from precedent.mcp.state import ToolState, answer
from precedent.responses import IncidentDetailResponse, InvestigationResponse, SimilarResponse
from precedent.retrieval import (
    NAME_MAX_CHARS,
    SERVICES_MAX,
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    SUMMARY_MAX_CHARS,
    DescribedQuery,
    IncidentQuery,
    SimilarOptions,
    SimilarQuery,
    incident_detail,
)

__all__ = ["register_incident_tools"]

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

_Tool = TypeVar("_Tool", bound=Callable[..., Any])


def read_only_tool(server: MCPServer, title: str) -> Callable[[_Tool], _Tool]:
    """Register a read-only tool described by its docstring, dedented.

    The SDK sends ``__doc__`` as it is, so every line after the first would reach the agent
    indented by the source's eight spaces.
    """

    def register(fn: _Tool) -> _Tool:
        description = inspect.cleandoc(fn.__doc__ or "")
        return server.tool(title=title, description=description, annotations=READ_ONLY)(fn)

    return register


def limit_field(most: int, what: str) -> Any:
    """A tool's ``limit``, from 1 to ``most``: published in its input schema, and checked by the
    layer below in the words every route, command and tool use (``InvalidQuery.limit_out_of_range``);
    pydantic's own bounds would word the refusal their way.

    Returns:
        The ``Field`` to annotate the argument with.
    """
    return Field(description=f"{what} (1 to {most})", json_schema_extra={"minimum": 1, "maximum": most})


IncidentKey = Annotated[
    str, Field(min_length=1, description="an incident id, or its reference such as INC-123")
]


def _refuse_description_of(
    incident: str, summary: str, services: tuple[str, ...], severity: str | None, declared_at: object
) -> None:
    """Refuse the arguments that describe an incident, given beside ``incident``.

    The incident in the map is matched as the map holds it, so they would be dropped in silence:
    an agent adding the services it suspects would read an answer that never weighed them.

    Raises:
        ValueError: naming the arguments given, and the two ways to ask.
    """
    given = [
        f"`{name}`"
        for name, value in (
            ("summary", summary),
            ("services", services),
            ("severity", severity),
            ("declared_at", declared_at),
        )
        if value not in (None, "", ())
    ]
    if given:
        one = len(given) == 1
        raise ValueError(
            f"{', '.join(given)} {'describes' if one else 'describe'} an incident that is not in the map "
            f"(with `name`); {incident!r} is matched as the map holds it (its own services, severity "
            f"and start): leave {'it' if one else 'them'} out, or describe the incident with `name` "
            "instead of `incident`"
        )


def register_incident_tools(server: MCPServer, state: ToolState) -> None:
    """Add ``find_similar_incidents``, ``get_incident`` and ``get_investigation`` to ``server``."""

    @read_only_tool(server, "Find similar past incidents")
    async def find_similar_incidents(
        ctx: Context,
        incident: Annotated[
            str | None,
            Field(
                min_length=1,
                description="an incident in the map (id or INC-123); or leave out and describe one with name",
            ),
        ] = None,
        name: Annotated[
            str | None,
            Field(
                max_length=NAME_MAX_CHARS,
                description="title of an incident not in the map, e.g. 'Checkout 500s'",
            ),
        ] = None,
        summary: Annotated[
            str,
            Field(
                max_length=SUMMARY_MAX_CHARS,
                description="what is known so far (only with name)",
            ),
        ] = "",
        services: Annotated[
            tuple[str, ...],
            Field(max_length=SERVICES_MAX, description="affected services by id or name (only with name)"),
        ] = (),
        severity: Annotated[
            str | None,
            Field(
                description="a severity the map knows, as incident.io names it, in any case (only with name)"
            ),
        ] = None,
        declared_at: Annotated[
            AwareDatetime | None,
            Field(
                description="when it was declared, ISO 8601 with a time zone (only with name; default now)"
            ),
        ] = None,
        before: Annotated[
            AwareDatetime | None,
            Field(description="only incidents that started earlier (default: the incident's start)"),
        ] = None,
        limit: Annotated[int, limit_field(SIMILAR_MAX_RESULTS, "how many results")] = SIMILAR_DEFAULT_RESULTS,
    ) -> Annotated[CallToolResult, SimilarResponse]:
        """Past incidents most like one incident, best first, each with why (shared services, map
        path, matching words) and what it teaches (root cause, resolution, open follow-ups).

        Name an incident in the map with `incident`, or describe a new one with `name` (plus
        `summary`, `services`, `severity`, `declared_at`).
        """
        with tool_errors():
            if (incident is None) == (name is None):
                raise ValueError("pass exactly one of `incident` (in the map) or `name` (described)")
            if incident is not None:
                _refuse_description_of(incident, summary, services, severity, declared_at)
            query: SimilarQuery
            if incident is not None:
                query = IncidentQuery(incident)
            else:
                assert name is not None
                query = DescribedQuery(
                    name=name,
                    summary=summary,
                    services=tuple(services),
                    severity=severity,
                    declared_at=declared_at,
                )
            options = SimilarOptions(before=before, limit=limit, viewer=state.viewer(ctx))
            response = SimilarResponse.from_results(await state.runtime().finder.find(query, options))
        return answer(response, render_similar(response))

    @read_only_tool(server, "Get an incident")
    async def get_incident(
        ctx: Context, incident: IncidentKey
    ) -> Annotated[CallToolResult, IncidentDetailResponse]:
        """One incident with its affected services, status updates (oldest first), post-mortems,
        and what its post-mortem teaches (root cause, resolution, learnings) with its follow-ups.
        """
        with tool_errors():
            runtime = state.runtime()
            detail = await incident_detail(runtime.store, runtime.catalog, incident, state.viewer(ctx))
            response = IncidentDetailResponse.from_detail(detail)
        return answer(response, render_incident(response))

    @read_only_tool(server, "Investigate an incident")
    async def get_investigation(
        ctx: Context,
        incident: IncidentKey,
        rebuild: Annotated[
            bool, Field(description="build a fresh one even when an investigation is stored")
        ] = False,
        # Their ranges are published, and checked by InvestigationOptions in the words the API's
        # and the CLI's are refused in.
        similar: Annotated[
            int,
            Field(
                description="how many similar past incidents",
                json_schema_extra={"minimum": 1, "maximum": SIMILAR_PRECEDENTS_MAX},
            ),
        ] = 5,
        change_window_hours: Annotated[
            float,
            Field(
                description=CHANGE_WINDOW_DESCRIPTION,
                json_schema_extra={"exclusiveMinimum": 0, "maximum": CHANGE_WINDOW_MAX_HOURS},
            ),
        ] = CHANGE_WINDOW_DEFAULT_HOURS,
    ) -> Annotated[CallToolResult, InvestigationResponse]:
        """The first look at an incident: likely causes ranked with the evidence they rest on
        (changes, precedents, dependencies), similar past incidents, owners and on-call of the
        affected services, nearby changes and open follow-ups. Returns the latest stored
        investigation, or builds one (without storing it) when there is none.

        The incident must be in the map; for one just declared and not synced yet, describe it
        to find_similar_incidents (`name`, `summary`, `services`) and ask service_context.
        """
        with tool_errors():
            # Checked first: a stored investigation is answered without them.
            options = InvestigationOptions(similar=similar, change_window=change_window(change_window_hours))
            runtime = state.runtime()
            viewer = state.viewer(ctx)
            node = await runtime.catalog.incident(incident, viewer)
            latest = await latest_for_incident(runtime.store, node.id, viewer)
            found = None if rebuild else latest
            stored = found is not None
            if found is None:
                # Built on the spot and not stored: no page to link to.
                collaborators = runtime.unstored_investigation_collaborators
                found = await build_investigation(IncidentQuery(node.id), collaborators, viewer, options)
            # Its summary's links under the pages' address now, not the one it was built under.
            links = runtime.investigation_collaborators.links
            response = await InvestigationResponse.where_it_stands(runtime.store, found, viewer, links)
        kept = latest.id if latest is not None and not stored else None
        return answer(response, render_investigation(response, stored=stored, kept=kept))
