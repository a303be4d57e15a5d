"""``precedent search``: find incidents, their parts and services, as ``GET /v1/search`` does.

By words and meaning unless ``--mode text``, which needs no model; the hits, their order, the
limits and the refusals are ``retrieval.SearchQuery``'s and ``search_map``'s, as on every surface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from rich.console import Console
from rich.table import Table

from precedent.cli.similar_io import parse_time, whole_number_flag
from precedent.cli.terminal_text import escape
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.errors import InvalidQuery
from precedent.responses import SearchResponse
from precedent.retrieval import (
    KINDS,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_RESULTS,
    SearchMode,
    SearchQuery,
    kinds_in,
)
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings
    from precedent.responses import SearchHitResponse

__all__ = ["register", "run"]

_KIND_OF = {label: kind for kind, labels in KINDS.items() for label in labels}
_SNIPPET = 120


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``search`` sub-command.

    Its options are ``GET /v1/search``'s parameters, each help naming the one it is: the words
    positionally or as ``--q``, the kinds one at a time (``--kind``) or as the API lists them
    (``--kinds incident,service``), so a responder who learnt the API (or the MCP tool) can type it.
    """
    parser = subparsers.add_parser(
        "search",
        help="find incidents, updates, post-mortems, follow-ups and services by words and meaning",
        description=(
            "Find incidents, updates, post-mortems, follow-ups and services by words and meaning, "
            "as GET /v1/search does; each option is the API parameter its help names."
        ),
    )
    parser.add_argument(
        "text", nargs="*", metavar="TEXT", help="the words to look for (the API's q; or give them as --q)"
    )
    parser.add_argument("--q", metavar="WORDS", help="the words to look for (the API's q), instead of TEXT")
    parser.add_argument(
        "--kind",
        action="append",
        choices=tuple(KINDS),
        help="only this kind of hit (repeatable; the API's kinds, one at a time; all when left out)",
    )
    parser.add_argument(
        "--kinds",
        metavar="KINDS",
        help=f"only these kinds, comma-separated, as the API's kinds ({', '.join(KINDS)})",
    )
    parser.add_argument(
        "--mode",
        choices=get_args(SearchMode),
        default="hybrid",
        help="the API's mode. hybrid: words and meaning (default, as the API, the page and MCP); "
        "text: words only, no model to load; semantic: meaning only",
    )
    parser.add_argument(
        "--limit",
        # Only the type: the range is SearchQuery's to check, in the words every surface uses.
        type=whole_number_flag("limit", SEARCH_MAX_RESULTS),
        default=SEARCH_DEFAULT_LIMIT,
        help=f"the API's limit: how many hits, 1 to {SEARCH_MAX_RESULTS} (default {SEARCH_DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--after", help="the API's after: only what occurred at or after this time (ISO 8601)"
    )
    parser.add_argument("--before", help="the API's before: only what occurred before this time (ISO 8601)")
    parser.add_argument(
        "--json", action="store_true", help="print JSON (the API's response) instead of a table"
    )
    add_viewer_flag(parser)
    parser.set_defaults(handler=run)


def _words(args: argparse.Namespace) -> str:
    """The words given as TEXT or as ``--q``.

    Raises:
        InvalidQuery: if given both ways (which one was meant cannot be told).
    """
    if args.text and args.q is not None:
        raise InvalidQuery("give the words once: as TEXT or as --q (the API's q), not both")
    return args.q if args.q is not None else " ".join(args.text)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the hits, best first, as a table or as the API's JSON."""
    try:
        query = SearchQuery(
            _words(args),
            kinds=tuple(dict.fromkeys([*(args.kind or ()), *kinds_in(args.kinds)])),
            mode=args.mode,
            limit=args.limit,
            after=parse_time(args.after) if args.after else None,
            before=parse_time(args.before) if args.before else None,
        )
    except (ValueError, InvalidQuery) as exc:  # a malformed time; no words, too many, a bad limit...
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    # Read-only beside `precedent serve`; a reader's model loads at the first text it embeds, so
    # `--mode text` never loads it.
    async with Runtime.from_settings(settings, read_only=True) as runtime:
        response = await SearchResponse.for_query(runtime.store, runtime.embedder, query, viewer_from(args))
    text = query.text
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
    title = hit.title
    if hit.node.label == "Incident":
        return " ".join(str(v) for v in (hit.node.properties.get("reference"), title) if v) or hit.node.id
    if hit.incident_reference:
        return f"on {hit.incident_reference}" + (f": {title}" if title else "")
    return title or hit.node.id


def _snippet(hit: SearchHitResponse) -> str:
    words = hit.snippet
    return words if len(words) <= _SNIPPET else words[: _SNIPPET - 1].rstrip() + "…"
