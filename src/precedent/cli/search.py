"""``precedent search``: find incidents, their parts and services by words, as ``GET /v1/search`` does."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from precedent.cli.similar_io import parse_time
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.errors import InvalidQuery
from precedent.responses import SearchResponse
from precedent.retrieval import KINDS, search_map
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from precedent.config import Settings
    from precedent.responses import SearchHitResponse

__all__ = ["register", "run"]

MAX_LIMIT = 100  # as the API's ``limit``
_KIND_OF = {label: kind for kind, labels in KINDS.items() for label in labels}
_SNIPPET = 120


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``search`` sub-command."""
    parser = subparsers.add_parser(
        "search", help="find incidents, updates, post-mortems, follow-ups and services by their words"
    )
    parser.add_argument("text", nargs="+", metavar="TEXT", help="the words to look for")
    parser.add_argument(
        "--kind",
        action="append",
        choices=tuple(KINDS),
        help="only this kind of hit (repeatable; all when left out)",
    )
    parser.add_argument(
        "--limit", type=_limit, default=20, help=f"how many hits, 1 to {MAX_LIMIT} (default 20)"
    )
    parser.add_argument("--after", help="only what occurred at or after this time (ISO 8601)")
    parser.add_argument("--before", help="only what occurred before this time (ISO 8601)")
    parser.add_argument(
        "--json", action="store_true", help="print JSON (the API's response) instead of a table"
    )
    add_viewer_flag(parser)
    parser.set_defaults(handler=run)


def _limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIMIT}, not {value}")
    return limit


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the hits, best first, as a table or as the API's JSON."""
    text = " ".join(args.text).strip()
    try:
        if not text:
            raise ValueError("nothing to search for: give some words, e.g. precedent search checkout timeout")
        after = parse_time(args.after) if args.after else None
        before = parse_time(args.before) if args.before else None
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    # By words, as the API searches: no model to load, and read-only beside `precedent serve`.
    async with Runtime.from_settings(settings, model=False, read_only=True) as runtime:
        try:
            hits = await search_map(
                runtime.store,
                None,
                text,
                viewer=viewer_from(args),
                kinds=tuple(args.kind or ()),
                mode="text",
                limit=args.limit,
                after=after,
                before=before,
            )
        except InvalidQuery as exc:  # a window with nothing in it: bad input, as a malformed time is
            Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
            return 2
    response = SearchResponse.from_hits(text, hits)
    if args.json:
        print(response.model_dump_json())
        return 0
    if not response.hits:
        Console().print(f"nothing matches {escape(repr(text))}; try fewer or other words, or another --kind")
        return 0
    table = Table("#", "kind", "what", "snippet", title=escape(f"Search {text!r}: {len(response.hits)} hits"))
    for rank, hit in enumerate(response.hits, start=1):
        # Escaped: incident.io text ("[prod] checkout down") is not rich markup.
        table.add_row(
            str(rank), _KIND_OF.get(hit.node.label, hit.node.label), escape(_what(hit)), escape(_snippet(hit))
        )
    Console().print(table)
    return 0


def _what(hit: SearchHitResponse) -> str:
    """What the hit is: an incident's reference and name, a service's name, a part's incident and title."""
    props = hit.node.properties
    title = str(props.get("name") or props.get("title") or props.get("heading") or "")
    if hit.node.label == "Incident":
        return " ".join(str(v) for v in (props.get("reference"), title) if v) or hit.node.id
    if hit.incident_reference:
        return f"on {hit.incident_reference}" + (f": {title}" if title else "")
    return title or hit.node.id


def _snippet(hit: SearchHitResponse) -> str:
    words = " ".join((hit.node.text or "").split())
    title = " ".join(str(hit.node.properties.get("name") or "").split())
    if title and words.startswith(title):  # an incident's text opens with its name, shown beside it
        words = words[len(title) :].strip()
    return words if len(words) <= _SNIPPET else words[: _SNIPPET - 1].rstrip() + "…"
