"""``precedent changes``: record a change from a CI script, and list a service's changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.browse import (
    CHANGE_HOURS_DEFAULT,
    MAX_CHANGE_HOURS,
    MAX_CHANGES,
    change_hours,
    service_changes,
)
from precedent.cli.similar_io import limit_flag, parse_time, refused_as_the_api_refuses
from precedent.cli.terminal_text import escape
from precedent.errors import StoreLocked
from precedent.ingest.changes import CHANGE_KINDS, ChangeRecord, ChangeRecorder
from precedent.responses import ChangesPageResponse, RecordedChangeResponse, time_text
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["record_from_args", "register", "run_list", "run_record"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``changes`` sub-command with ``record`` and ``list``."""
    parser = subparsers.add_parser(
        "changes", help="record and list changes to production (deploys, config...)"
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    record = verbs.add_parser("record", help="record a change (from a CI step after a deploy)")
    record.add_argument("--service", required=True, help="the changed service, by name or id")
    record.add_argument(
        "--kind", choices=CHANGE_KINDS, default="deploy", help="what sort of change (default deploy)"
    )
    record.add_argument("--started-at", help="when it started going out (ISO 8601; default now)")
    record.add_argument("--finished-at", help="when it finished (ISO 8601)")
    record.add_argument("--version", help="the version deployed")
    record.add_argument("--summary", help="what changed, in a sentence")
    record.add_argument("--author", help="who made the change")
    record.add_argument("--url", help="a link to the pipeline run or the change")
    record.add_argument("--commit-sha", help="the commit deployed")
    record.add_argument("--repository", help="the repository, e.g. acme/payments")
    record.add_argument("--label", action="append", help="a free label (repeatable)")
    record.add_argument("--id", help="your id for the change: recording it again replaces it")
    record.add_argument("--json", action="store_true", help="print the result as JSON")
    record.set_defaults(handler=run_record)
    listing = verbs.add_parser("list", help="list a service's recent changes, newest first")
    listing.add_argument("--service", required=True, help="the service, by name or id")
    # Checked here: a negative window or limit listed nothing, as if the service had not changed.
    listing.add_argument(
        "--since-hours",
        # In the words GET /v1/services/{service}/changes?since_hours= is refused in.
        type=refused_as_the_api_refuses(change_hours),
        default=CHANGE_HOURS_DEFAULT,
        help=f"how far back (default a week, at most {MAX_CHANGE_HOURS}; the API's since_hours)",
    )
    listing.add_argument(
        "--limit",
        type=limit_flag(MAX_CHANGES),
        default=50,
        help=f"at most this many (default 50, at most {MAX_CHANGES})",
    )
    listing.add_argument(
        "--cursor", help="the `next_cursor` of a page printed with --json: the page after it"
    )
    listing.add_argument(
        "--json", action="store_true", help="print the page as GET /v1/services/{service}/changes does"
    )
    listing.set_defaults(handler=run_list)


def record_from_args(args: argparse.Namespace, now: datetime) -> ChangeRecord:
    """Build a ``ChangeRecord`` from ``changes record`` arguments.

    Raises:
        ValueError: if a time is malformed.
        InvalidQuery: naming the field, if one is inconsistent (``ChangeRecord``).
    """
    return ChangeRecord(
        service=args.service,
        kind=args.kind,
        started_at=parse_time(args.started_at) if args.started_at else now,
        finished_at=parse_time(args.finished_at) if args.finished_at else None,
        version=args.version,
        summary=args.summary,
        author=args.author,
        url=args.url,
        commit_sha=args.commit_sha,
        repository=args.repository,
        labels=tuple(args.label or ()),
        id=args.id,
    )


async def run_record(args: argparse.Namespace, settings: Settings) -> int:
    """Record one change and say whether it is linked to a service in the map."""
    try:
        record = record_from_args(args, datetime.now(UTC))
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    try:
        # No model: a change is stored without a vector (ChangeRecorder says why).
        async with Runtime.from_settings(settings, model=False) as runtime:
            recorded = await ChangeRecorder(runtime.store).record(record)
            # What POST /v1/changes answers, with the services a misspelt name was close to.
            response = await RecordedChangeResponse.from_recorded(runtime.store, recorded)
    except StoreLocked as exc:
        # CI beside a running service has the API.
        advice = "From CI, beside the running service: POST the change to /v1/changes with a write token"
        raise exc.advised(f"{advice} (docs/changes.md)") from exc
    if args.json:
        print(response.model_dump_json())
    elif recorded.linked:
        Console().print(f"recorded {recorded.id} on {recorded.service_name}")
    else:
        Console().print(f"recorded {recorded.id}; {response.message}", markup=False, highlight=False)
    return 0


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print a service's changes, newest first."""
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        # The question GET /v1/services/{service}/changes asks: a service the map does not know
        # yet lists the changes recorded for it so far.
        found = await service_changes(
            runtime.store, args.service, since_hours=args.since_hours, limit=args.limit, cursor=args.cursor
        )
    if args.json:  # that route's page
        print(ChangesPageResponse.from_page(found).model_dump_json())
        return 0
    table = Table(title=escape(f"Changes to {found.service}"))
    # Whole, however narrow the terminal: a start cut to '2026-12-05T0…' says nothing of when
    # it went out, and an id cut short cannot be looked up.
    table.add_column("started", no_wrap=True)
    for name in ("change", "by", "summary"):
        table.add_column(name)
    table.add_column("id", overflow="fold")
    for c in found.page.items:
        started = time_text(c.started_at) if c.started_at else "?"
        # Escaped: CI's text ("[skip ci] ...") is not rich markup.
        table.add_row(started, *(escape(v) for v in (c.title, c.author or "-", c.summary_line or "-", c.id)))
    console = Console()
    console.print(table)
    # The table alone ended at --limit rows, or had none, without a word: a responder could not
    # tell "nothing changed" from "the window was too short" or "there were more".
    if found.page.next_cursor is not None:
        console.print(
            f"more changes after these: the next page is --cursor {found.page.next_cursor} "
            "(with the same --service and --since-hours)",
            markup=False,
            highlight=False,
            soft_wrap=True,  # a cursor cut across two lines cannot be pasted
        )
    elif not found.page.items:
        console.print(
            f"no changes to {found.service} in the last {args.since_hours:g} hours; look further back "
            f"with --since-hours (at most {MAX_CHANGE_HOURS})",
            markup=False,
            highlight=False,
        )
    return 0
