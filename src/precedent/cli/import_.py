"""``precedent import DIR``: load an export directory (docs/export-format.md) into the store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.progress import RichProgress, summary_table
from precedent.ingest import Loader, import_export, require_export_directory
from precedent.ingest.mapping import DEFAULT_MODES, MappingContext
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``import`` sub-command."""
    parser = subparsers.add_parser("import", help="load an incident.io export directory into the map")
    parser.add_argument(
        "path", type=Path, metavar="PATH", help="export directory (see docs/export-format.md)"
    )
    parser.add_argument("--include-test", action="store_true", help="also import test and tutorial incidents")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the whole export, then load it; print a summary table."""
    console = Console(stderr=True)
    modes = DEFAULT_MODES | {"test", "tutorial"} if args.include_test else DEFAULT_MODES
    started = time.perf_counter()
    require_export_directory(args.path)  # a mistyped path is said at once, not after the model loads
    async with Runtime.from_settings(settings) as runtime:
        with RichProgress(console) as progress:
            loader = Loader(runtime.store, runtime.embedder, progress=progress)
            results = await import_export(
                args.path, loader, ctx=MappingContext(modes=modes), progress=progress
            )
    elapsed = time.perf_counter() - started
    Console().print(summary_table(results, f"imported {args.path} in {elapsed:.1f}s"))
    return 0
