"""``precedent services`` and ``precedent service NAME``: the catalog's services, and one service now.

The list is ``GET /v1/services`` (``list_services``, its filters, ``limit`` and ``cursor``) with each
service's incidents in the window the services page counts (``hotspots``); one service is what
the service page and the MCP tool ``service_context`` show (``service_snapshot``): owners, who is
on call, dependencies both ways, recent incidents and changes.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.browse import HOTSPOT_WEEKS, MAX_LIMIT, ServiceFilter, incidents_per_service, list_services
from precedent.cli.similar_io import limit_flag
from precedent.cli.terminal_text import escape
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.investigation import SERVICE_CHANGES_WINDOW, service_snapshot
from precedent.responses import ServiceContextResponse, ServiceListResponse, time_text
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from precedent.config import Settings

__all__ = ["register", "run_list", "run_one"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``services`` (the list) and ``service NAME`` (one service)."""
    listing = subparsers.add_parser(
        "services",
        help=f"list the catalog's services, their owners and incidents in the last {HOTSPOT_WEEKS} weeks",
    )
    listing.add_argument("--team", help="only services owned by this team (id, name or external id)")
    listing.add_argument(
        "--q", metavar="TEXT", help="only services whose name, external id or an alias contains this"
    )
    listing.add_argument("--tier", help="only services of this tier (the catalog's Tier attribute)")
    listing.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="NAME[:VALUE]",
        help="only services with this catalog attribute (NAME:VALUE), or with NAME at all; "
        "repeat it: all must hold",
    )
    listing.add_argument(
        "--archived",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only archived services (--no-archived: only live ones); both when left out",
    )
    listing.add_argument(
        "--limit",
        type=limit_flag(MAX_LIMIT),
        default=50,
        help=f"at most this many (default 50, at most {MAX_LIMIT})",
    )
    listing.add_argument(
        "--cursor",
        help="the page after the one that ended with this cursor (the table prints it; --json's next_cursor)",
    )
    listing.add_argument("--json", action="store_true", help="print the page as GET /v1/services does")
    add_viewer_flag(listing)
    listing.set_defaults(handler=run_list)
    one = subparsers.add_parser(
        "service",
        help="show one service now: owners, on-call, dependencies, recent incidents and changes",
    )
    one.add_argument("name", metavar="SERVICE", help="the service, by id, name, external id or alias")
    one.add_argument(
        "--json",
        action="store_true",
        help="print it as the MCP tool service_context answers (its structured content)",
    )
    add_viewer_flag(one)
    one.set_defaults(handler=run_one)


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print a page of services: name, owning teams, incidents in the window."""
    viewer = viewer_from(args)
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        page = await list_services(
            runtime.store, viewer, filters=_filter(args), limit=args.limit, cursor=args.cursor
        )
        counts = {} if args.json else await incidents_per_service(runtime.store, viewer, weeks=HOTSPOT_WEEKS)
    listed = ServiceListResponse.from_page(page)
    if args.json:
        print(listed.model_dump_json())
        return 0
    table = Table(title="Services" + escape(_described(args)))
    table.add_column("service")
    table.add_column("owned by")
    table.add_column(f"incidents ({HOTSPOT_WEEKS} wk)", justify="right")
    for s in listed.items:
        owners = ", ".join(t.name for t in s.teams) or "-"
        name = s.name + (" (archived)" if s.archived else "")
        table.add_row(escape(name), escape(owners), str(counts.get(s.id, 0)))
    console = Console()
    console.print(table)
    if listed.next_cursor is not None:
        again = "".join(f" {flag}" for flag in _filter_flags(args))
        console.print(
            f"more services after these: the next page is --cursor {listed.next_cursor}{again}",
            markup=False,
            highlight=False,
            soft_wrap=True,  # a cursor cut across two lines cannot be pasted
        )
    elif not listed.items:
        console.print(f"no services{_described(args) or ' in the map'}", markup=False, highlight=False)
    console.print(
        f"incidents: those that started on the service in the last {HOTSPOT_WEEKS} weeks"
        + (", private ones left out" if args.public_only else "")
        + "; show one service with `precedent service NAME`",
        markup=False,
        highlight=False,
    )
    return 0


def _filter(args: argparse.Namespace) -> ServiceFilter:
    """The filter the flags ask for, as ``GET /v1/services`` reads its parameters."""
    return ServiceFilter.from_parameters(
        team=args.team, q=args.q, tier=args.tier, attribute=args.attribute, archived=args.archived
    )


def _filter_flags(args: argparse.Namespace) -> list[str]:
    """The filter's flags, to ask for the next page (a cursor is refused with other filters).

    Each value is joined to its flag by ``=``: argparse reads a separate ``-pay`` as a flag.
    """
    flags = [
        f"--{name}={shlex.quote(value)}" for name in ("team", "q", "tier") if (value := getattr(args, name))
    ]
    flags += [f"--attribute={shlex.quote(value)}" for value in args.attribute]
    if args.archived is not None:
        flags.append("--archived" if args.archived else "--no-archived")
    return flags


def _described(args: argparse.Namespace) -> str:
    """`` owned by payments, matching 'pay', archived``: what the filters keep, or nothing."""
    parts = [f"owned by {args.team}"] if args.team else []
    parts += [f"matching {args.q!r}"] if args.q else []
    parts += [f"of tier {args.tier}"] if args.tier else []
    parts += [f"with {value}" for value in args.attribute]
    if args.archived is not None:
        parts.append("archived" if args.archived else "live")
    return f" ({', '.join(parts)})" if parts else ""


def _lines(title: str, rows: list[str]) -> str:
    return f"[bold]{title}[/bold]\n" + ("\n".join(f"  {r}" for r in rows) if rows else "  -")


async def run_one(args: argparse.Namespace, settings: Settings) -> int:
    """Print one service's owners, on-call, dependencies, recent incidents and changes."""
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        snapshot = await service_snapshot(
            runtime.store,
            runtime.catalog,
            args.name,
            viewer=viewer_from(args),
            at=datetime.now(UTC),
            window=SERVICE_CHANGES_WINDOW,
            live=runtime.live_on_call,
        )
    found = ServiceContextResponse.from_snapshot(snapshot)
    if args.json:
        print(found.model_dump_json())
        return 0
    svc = found.service
    owners = [
        escape(f"{t.name}: " + (", ".join(p.name for p in t.members) or "no members")) for t in svc.teams
    ]
    on_call = [
        escape(f"{o.person.name} ({o.schedule_name}, {o.provenance or o.source})") for o in svc.on_call
    ] or ["nobody found on the synced schedules"]
    if svc.on_call_note:
        on_call.append(escape(svc.on_call_note))
    upstream = [escape(r.name + (f" (via {r.via})" if r.hops > 1 else "")) for r in svc.upstream]
    downstream = [escape(r.name + (f" (via {r.via})" if r.hops > 1 else "")) for r in svc.downstream]
    console = Console()
    console.print(f"[bold]Service {escape(svc.name)}[/bold] ({escape(svc.id)})")
    for title, rows in (
        ("Owned by", owners),
        ("On call now", on_call),
        ("Depends on", upstream),
        ("Depended on by", downstream),
    ):
        console.print(_lines(title, rows))
    incidents = Table(title="Recent incidents (last 30 days)")
    for column in ("started", "incident", "severity", "status"):
        incidents.add_column(column, no_wrap=column == "started")
    for i in svc.recent_incidents:
        ref = (i.reference or i.id) + (" (active)" if i.active else "")
        incidents.add_row(
            time_text(i.started_at) if i.started_at else "?",
            escape(f"{ref} {i.name}"),
            escape(i.severity or "-"),
            escape(i.status or "-"),
        )
    console.print(incidents if svc.recent_incidents else _lines("Recent incidents (last 30 days)", []))
    days = SERVICE_CHANGES_WINDOW // timedelta(days=1)
    changes = Table(title=f"Changes in the last {days} days, to it and within two dependency hops")
    changes.add_column("started", no_wrap=True)
    changes.add_column("change")
    changes.add_column("where")
    changes.add_column("id", overflow="fold")  # whole: an id cut short cannot be looked up
    for c in found.changes:
        changes.add_row(
            time_text(c.started_at) if c.started_at else "?",
            escape(c.title + (f": {c.summary_line}" if c.summary_line else "")),
            escape(c.placement or "this service"),
            escape(c.id),
        )
    console.print(changes if found.changes else _lines(f"Changes in the last {days} days", []))
    return 0
