"""``precedent neighbourhood``: the k-hop neighbourhood of an incident or a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.cli.similar_io import parse_time
from precedent.cli.terminal_text import escape
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.errors import InvalidQuery
from precedent.model import display_name
from precedent.responses import NeighbourhoodResponse
from precedent.retrieval import (
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    NeighbourhoodQuery,
    find_neighbourhood,
    truncation_note,
)
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``neighbourhood`` sub-command."""
    parser = subparsers.add_parser("neighbourhood", help="show what surrounds an incident or a service")
    centre = parser.add_mutually_exclusive_group(required=True)
    centre.add_argument("--incident", help="an incident, by id or reference (INC-123)")
    centre.add_argument("--service", help="a service, by id, name, external id or alias")
    parser.add_argument(
        "--depth",
        type=int,
        default=2,
        help=f"hops from the centre, 0 to {MAX_NEIGHBOURHOOD_DEPTH} (default 2)",
    )
    parser.add_argument("--label", action="append", help="only reach nodes with this label (repeatable)")
    parser.add_argument("--rel", action="append", help="only follow this relationship type (repeatable)")
    parser.add_argument("--before", help="skip nodes that occurred at or after this time (ISO 8601)")
    parser.add_argument("--after", help="skip nodes that occurred before this time (ISO 8601)")
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=200,
        help=f"node cap (default 200, at most {MAX_NEIGHBOURHOOD_NODES})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_viewer_flag(parser)
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the neighbourhood as JSON or as tables of nodes and edges."""
    try:
        query = NeighbourhoodQuery(
            incident=args.incident,
            service=args.service,
            depth=args.depth,
            labels=tuple(args.label or ()),
            rel_types=tuple(args.rel or ()),
            before=parse_time(args.before) if args.before else None,
            after=parse_time(args.after) if args.after else None,
            max_nodes=args.max_nodes,
        )
    except (ValueError, InvalidQuery) as exc:  # a malformed time or bound: say so, as the other commands do
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    # Walking needs no model: the store keeps the dimension it was created with.
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        subgraph = await find_neighbourhood(runtime.store, runtime.catalog, query, viewer_from(args))
    if args.json:
        print(NeighbourhoodResponse.from_subgraph(subgraph).model_dump_json())
        return 0
    # Names are incident.io text ("[prod] checkout down"), escaped wherever rich would read markup.
    names = {n.id: display_name(n.id, n.label, n.properties) for n in subgraph.nodes}
    nodes = Table(
        "id", "label", "name", title=f"{len(subgraph.nodes)} nodes" + (" (truncated)" * subgraph.truncated)
    )
    # Grouped by label, as the MCP tool lists them: by id alone the labels came interleaved.
    for node in sorted(subgraph.nodes, key=lambda n: (n.label, n.id)):
        nodes.add_row(escape(node.id), node.label, escape(names[node.id]))
    edges = Table("source", "type", "target", title=f"{len(subgraph.edges)} edges")
    for edge in subgraph.edges:
        source, target = names.get(edge.source, edge.source), names.get(edge.target, edge.target)
        edges.add_row(escape(source), edge.type, escape(target))
    console = Console()
    console.print(nodes)
    console.print(edges)
    note = truncation_note(subgraph)
    if note is not None:
        console.print(escape(note))
    return 0
