"""``precedent generate``: write a synthetic organisation as an export directory."""

from __future__ import annotations

import argparse
import asyncio
import time
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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``generate`` sub-command."""
    parser = subparsers.add_parser("generate", help="write a synthetic organisation in the export format")
    parser.add_argument("--incidents", type=_positive, default=500, help="how many incidents (default 500)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed; the same seed writes the same bytes (default 0)"
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="directory to write the export into")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Generate the export and print what was written."""
    started = time.perf_counter()
    # Generation is CPU-bound; keep it off the event loop like every other heavy step.
    report = await asyncio.to_thread(generate, args.out_dir, incidents=args.incidents, seed=args.seed)
    elapsed = time.perf_counter() - started
    Console(stderr=True).print(
        f"wrote {report.incidents} incidents, {report.updates} updates, {report.postmortems} post-mortems, "
        f"{report.follow_ups} follow-ups, {report.deployments} deployments, {report.recurrence_threads} "
        f"recurrence threads ({report.judged_queries} judged queries), {report.duplicates} duplicates "
        f"to {args.out_dir} in {elapsed:.1f}s"
    )
    return 0
