"""``precedent convert``: turn a public incident history into the export format."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.sources.statuspage import convert_statuspage

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``convert`` sub-command and its one format, ``statuspage``."""
    parser = subparsers.add_parser(
        "convert", help="convert a public incident history into an export directory"
    )
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    statuspage = formats.add_parser("statuspage", help="Statuspage incident histories (JSON Lines)")
    statuspage.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT.jsonl",
        help="one or more histories; the same incident in several is merged",
    )
    statuspage.add_argument(
        "out_dir", type=Path, metavar="OUT_DIR", help="directory to write the export into"
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Convert the inputs and print what was written."""
    report = await asyncio.to_thread(convert_statuspage, args.inputs, args.out_dir)
    Console(stderr=True).print(
        f"read {report.records} records: skipped {report.maintenance_skipped} maintenance, merged "
        f"{report.duplicates_merged} duplicates; wrote {report.incidents} incidents, "
        f"{report.updates} updates, {report.components} components, {report.postmortems} post-mortems "
        f"to {args.out_dir}"
    )
    return 0
