"""``precedent investigate``: the first look at an incident, for a terminal, a script or Slack.

An incident in the map by id or reference, or one described with the same flags as
``precedent similar``. The investigation is stored in the map (``--no-save`` to skip), so the
API serves the same one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.investigation_view import render
from precedent.cli.similar_io import (
    add_incident_flags,
    parse_time,
    refuse_a_blank_name,
    refuse_both_kinds_of_query,
    refused_as_the_api_refuses,
    whole_number_flag,
)
from precedent.cli.terminal_text import escape
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.errors import InvalidQuery, StoreLocked
from precedent.investigation import (
    CHANGE_WINDOW_MAX_HOURS,
    SIMILAR_PRECEDENTS_MAX,
    InvestigationOptions,
    build_investigation,
    change_window,
    save,
)
from precedent.responses import InvestigationResponse
from precedent.retrieval import DescribedQuery, IncidentQuery
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings
    from precedent.retrieval import SimilarQuery

__all__ = ["query_from_args", "register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``investigate`` sub-command."""
    parser = subparsers.add_parser(
        "investigate", help="the first look at an incident: likely causes, precedents, owners, changes"
    )
    add_incident_flags(parser)
    parser.add_argument("--declared-at", help="when it was declared (ISO 8601; default now)")
    parser.add_argument(
        "--similar",
        type=whole_number_flag("similar", SIMILAR_PRECEDENTS_MAX),
        default=5,
        help=f"how many precedents (default 5, at most {SIMILAR_PRECEDENTS_MAX})",
    )
    parser.add_argument(
        "--window-hours",
        type=refused_as_the_api_refuses(_window_hours),
        default=24.0,
        help=f"read changes this far before declaration (default 24, at most {CHANGE_WINDOW_MAX_HOURS})",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the investigation as JSON")
    output.add_argument("--markdown", action="store_true", help="print the Slack-ready summary only")
    parser.add_argument(
        "--no-save",
        action="store_true",
        help="do not store the investigation (reads the map, so it runs beside a serve)",
    )
    # "Sees everything otherwise" was wrong here: a public or described incident never cites a
    # private precedent (its summary may be shared anywhere), whoever runs the command.
    add_viewer_flag(
        parser,
        "otherwise the map's owner, who runs the CLI, may investigate a private incident, whose "
        "precedents may be private too; a public or described incident cites only public "
        "precedents either way",
    )
    parser.set_defaults(handler=run)


# A word and a number out of range are refused alike, as the flag's error, in the API's words for
# the body's change_window_hours (--similar's likewise); the range is InvestigationOptions'.
def _window_hours(value: str) -> float:
    try:
        hours = float(value)
        change_window(hours)
    except ValueError:  # a word
        raise InvalidQuery.hours_out_of_range("change_window_hours", value, CHANGE_WINDOW_MAX_HOURS) from None
    return hours


def query_from_args(args: argparse.Namespace) -> SimilarQuery:
    """The incident to investigate, from the arguments.

    Raises:
        ValueError: if neither an incident nor ``--name`` is given, or both an incident and a
            description are, ``--name`` is blank, or a time is malformed.
    """
    refuse_both_kinds_of_query(args)
    if args.incident:
        return IncidentQuery(args.incident)
    refuse_a_blank_name(args)
    if args.name is None:
        raise ValueError("give an incident (INC-123) or describe one with --name and --service")
    return DescribedQuery(
        name=args.name,
        summary=args.summary or "",
        services=tuple(args.service or ()),
        severity=args.severity,
        incident_type=args.type,
        declared_at=parse_time(args.declared_at) if args.declared_at else None,
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build (and store) the investigation, then print it."""
    console = Console(stderr=True)
    try:
        query = query_from_args(args)
        options = InvestigationOptions(similar=args.similar, change_window=change_window(args.window_hours))
    except ValueError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    # Nothing to store with --no-save: read the map as a reader, so it works beside a running serve.
    try:
        async with Runtime.from_settings(settings, read_only=args.no_save) as runtime:
            collaborators = (
                runtime.unstored_investigation_collaborators
                if args.no_save
                else runtime.investigation_collaborators
            )
            viewer = viewer_from(args)
            investigation = await build_investigation(query, collaborators, viewer, options)
            if not args.no_save:
                await save(runtime.store, investigation, trigger="cli", options=options)
            # The API's and the MCP tool's model, so a script reads the same JSON from each.
            # Its summary's links under PRECEDENT_PUBLIC_URL (else the serving address), as the API's.
            response = await InvestigationResponse.where_it_stands(
                runtime.store, investigation, viewer, settings.links()
            )
    except StoreLocked as exc:
        # A responder at a terminal has these two ways.
        raise exc.advised(
            "From the command line: add --no-save to build it without storing it, or ask the running "
            f"service: GET /v1/incidents/{args.incident or 'INC-123'}/investigation"
        ) from exc
    # A stored investigation has a page; one built with --no-save exists only in this output.
    page = None if args.no_save else response.page(settings.links())
    if args.json:
        print(response.model_dump_json())
    elif args.markdown:
        # On stderr: stdout is the summary alone, to paste or pipe.
        if response.closed_note:
            console.print(f"[yellow]{escape(response.closed_note)}[/yellow]")
        # The services left out are not said here: the summary says them itself (its
        # **Services** line), as Slack's message does.
        print(response.summary_markdown)  # its last line links to the page when it is stored
    else:
        render(Console(), investigation, stored=not args.no_save, closed_note=response.closed_note)
        if page:
            Console(soft_wrap=True).print(f"\nRead it in a browser: {page}", markup=False, highlight=False)
    return 0
