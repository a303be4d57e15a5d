"""``precedent stats``: how many nodes and edges of each kind the map holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.responses import StatsResponse
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``stats`` sub-command."""
    parser = subparsers.add_parser("stats", help="count nodes and edges in the knowledge map")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_viewer_flag(parser)
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print node and edge counts."""
    # Counting needs no model: the store keeps the dimension it was created with.
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        stats = await runtime.store.stats(visibilities=viewer_from(args).visibilities)
    if args.json:
        print(StatsResponse.from_stats(stats).model_dump_json())
        return 0
    table = Table("kind", "name", "count")
    for label, count in sorted(stats.nodes_by_label.items()):
        table.add_row("node", label, str(count))
    for edge_type, count in sorted(stats.edges_by_type.items()):
        table.add_row("edge", edge_type, str(count))
    Console().print(table)
    return 0
