"""``precedent sync``: mirror incident.io into the store (full first, incremental afterwards)."""

from __future__ import annotations

import argparse
import math
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.progress import RichProgress, summary_table
from precedent.errors import ConfigError, StoreLocked
from precedent.ingest import Loader, SyncBoard
from precedent.ingest.mapping import DEFAULT_MODES
from precedent.ingest.progress import TeeProgress
from precedent.ingest.sync import Syncer, SyncOptions
from precedent.ingest.sync_board import ProgressTracker
from precedent.runtime import Runtime
from precedent.sources.incidentio import IncidentIoClient

if TYPE_CHECKING:
    from precedent.config import Settings
    from precedent.ingest.sync import SyncReport

__all__ = ["register", "run"]

OVERLAP_MAX_HOURS = 8760  # a year: re-reading more is a --full sync

_NO_KEY = (
    "PRECEDENT_INCIDENTIO_API_KEY is not set; create a read-only API key at "
    "https://app.incident.io/settings/api-keys (View data, catalog and schedules) and export it."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sync`` sub-command."""
    parser = subparsers.add_parser("sync", help="sync incidents, catalog and people from incident.io")
    parser.add_argument(
        "--full", action="store_true", help="ignore the checkpoint and re-read every incident"
    )
    parser.add_argument(
        "--overlap-hours",
        type=_overlap_hours,
        default=24.0,
        help=f"re-read this much before the checkpoint (0 to {OVERLAP_MAX_HOURS}, default 24)",
    )
    parser.add_argument("--include-test", action="store_true", help="also sync test and tutorial incidents")
    parser.set_defaults(handler=run)


def _overlap_hours(value: str) -> float:
    """``--overlap-hours`` as a number of hours from 0 to a year (1e30 overflowed a time window)."""
    try:
        hours = float(value)
    except ValueError:
        hours = math.nan
    if not 0 <= hours <= OVERLAP_MAX_HOURS:  # NaN fails it too
        raise argparse.ArgumentTypeError(
            f"must be a number of hours from 0 to {OVERLAP_MAX_HOURS}, not {value}: send one in that "
            "range, or --full to re-read every incident"
        )
    return hours


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Sync, then print created/updated/unchanged per resource, API calls, retries and time."""
    if settings.incidentio_api_key is None or not settings.incidentio_api_key.get_secret_value().strip():
        raise ConfigError(_NO_KEY)
    console = Console(stderr=True)
    options = SyncOptions(
        full=args.full,
        overlap=timedelta(hours=args.overlap_hours),
        modes=DEFAULT_MODES | {"test", "tutorial"} if args.include_test else DEFAULT_MODES,
        compare_every=timedelta(minutes=settings.incidentio_whole_list_minutes),
    )
    client = IncidentIoClient.create(
        settings.incidentio_api_key.get_secret_value(),
        base_url=settings.incidentio_base_url,
        requests_per_minute=settings.incidentio_requests_per_minute,
    )
    try:
        report = await _sync(settings, client, options, console)
    except StoreLocked as exc:
        # The embedded map's writer is usually `serve`, which syncs the map itself when asked:
        # a cron job calling `precedent sync` beside it was told only to stop it. Another writer
        # (a sync the last cron run left going, an import) answers no HTTP: main's advice stands.
        if not _held_by_a_server(exc.command):
            raise
        base = settings.links().base
        raise exc.advised(
            "From the command line: ask the running service to sync instead, with an admin token: "
            # Double quotes: in single ones the shell sends "$ADMIN_TOKEN" itself, and gets a 401.
            f'curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" {base}/v1/admin/sync '
            f"(GET {base}/v1/admin/sync shows its progress); or stop it and run precedent sync"
        ) from exc
    kind = "incremental" if report.incremental else "full"
    title = f"{kind} sync: {report.calls} API calls, {report.retries} retries, {report.elapsed_seconds:.1f}s"
    Console().print(summary_table(report.resources, title))
    return 0


def _held_by_a_server(command: str | None) -> bool:
    """Whether the map's writer, by the command line it recorded, serves the API (or may: unknown)."""
    if command is None:
        return True
    return any(word == "serve" or word.startswith("precedent.api") for word in command.split())


async def _sync(
    settings: Settings, client: IncidentIoClient, options: SyncOptions, console: Console
) -> SyncReport:
    """Run one sync under the map's lease, showing its progress on ``console``."""
    async with Runtime.from_settings(settings) as runtime, client:
        store, embedder = runtime.store, runtime.embedder
        # The map's sync lease: a `serve` on the same Neo4j map cannot start another beside this one.
        board = SyncBoard(store)
        # A lease held by a process that died is taken over once it has gone a whole lease
        # unrenewed: a one-shot command watches that long before refusing.
        claim = await board.claim(wait=board.renew_every * 5)
        tracker = ProgressTracker()
        with RichProgress(console) as shown:
            progress = TeeProgress(shown, tracker)
            syncer = Syncer(client, store, Loader(store, embedder, progress=progress), options, progress)
            return await board.run(claim, syncer.run, tracker.published)
