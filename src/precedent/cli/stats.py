"""``precedent stats``: how many nodes and edges of each kind the map holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.bootstrap import build_store

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``stats`` sub-command."""
    parser = subparsers.add_parser("stats", help="count nodes and edges in the knowledge map")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print node and edge counts."""
    # Counting needs no model: the store keeps the dimension it was created with.
    store = build_store(settings, dimensions=None)
    await store.open()
    try:
        stats = await store.stats()
    finally:
        await store.close()
    if args.json:
        print(json.dumps({"nodes": dict(stats.nodes_by_label), "edges": dict(stats.edges_by_type)}))
        return 0
    table = Table("kind", "name", "count")
    for label, count in sorted(stats.nodes_by_label.items()):
        table.add_row("node", label, str(count))
    for edge_type, count in sorted(stats.edges_by_type.items()):
        table.add_row("edge", edge_type, str(count))
    Console().print(table)
    return 0
