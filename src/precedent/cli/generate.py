"""``precedent generate``: write a synthetic organisation as an export directory."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.sources.synthetic import generate

if TYPE_CHECKING:
    from precedent.config import Settings

__all__ = ["register", "run"]


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _end_at(value: str) -> datetime:
    if value.strip().lower() == "now":
        # Whole minutes: two runs in the same minute write the same bytes.
        return datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            "must be 'now' or an ISO 8601 time, e.g. 2026-03-01T12:00:00Z"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``generate`` sub-command."""
    parser = subparsers.add_parser("generate", help="write a synthetic organisation in the export format")
    parser.add_argument("--incidents", type=_positive, default=500, help="how many incidents (default 500)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed; the same seed writes the same bytes (default 0)"
    )
    parser.add_argument(
        "--end-at",
        type=_end_at,
        default=None,
        metavar="ISO|now",
        help="end the history at this time ('now' for a demo: recent deploys, who is on call now); "
        "a fixed epoch by default",
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="directory to write the export into")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Generate the export and print what was written."""
    started = time.perf_counter()
    # Generation is CPU-bound; keep it off the event loop like every other heavy step.
    report = await asyncio.to_thread(
        generate, args.out_dir, incidents=args.incidents, seed=args.seed, end_at=args.end_at
    )
    elapsed = time.perf_counter() - started
    Console(stderr=True).print(
        f"wrote {report.incidents} incidents, {report.updates} updates, {report.postmortems} post-mortems, "
        f"{report.follow_ups} follow-ups, {report.deployments} deployments, {report.recurrence_threads} "
        f"recurrence threads ({report.judged_queries} judged queries), {report.duplicates} duplicates "
        f"to {args.out_dir} in {elapsed:.1f}s"
    )
    return 0
