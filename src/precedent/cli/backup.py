"""``precedent backup DIR``: copy the embedded map and its webhook inbox, even while ``serve`` runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.runtime import Runtime, back_up

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``backup`` sub-command."""
    parser = subparsers.add_parser(
        "backup", help="copy the embedded map and webhook inbox to a new directory (safe while serving)"
    )
    parser.add_argument("destination", type=Path, help="a new directory to copy into")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the data directory, then open the copy to check it and print its counts."""
    destination: Path = args.destination
    copied = await asyncio.to_thread(back_up, settings, destination)
    copy = settings.model_copy(update={"data_dir": destination})
    async with Runtime.from_settings(copy, model=False, read_only=True) as runtime:
        stats = await runtime.store.stats()
    Console().print(
        f"copied {', '.join(copied)} to {destination}: {stats.nodes} nodes, {stats.edges} edges. "
        f"Restore by pointing PRECEDENT_DATA_DIR at it (or moving it into place) with `serve` stopped."
    )
    return 0
