"""``precedent similar``: past incidents like an incident in the map or a described one, with reasons.

One query from arguments, or ``--batch FILE`` with one JSON query per line; the model and the
map load once either way.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.similar_io import (
    add_incident_flags,
    left_out_note,
    query_from_args,
    query_from_json,
    results_table,
    similar_limit,
)
from precedent.cli.terminal_text import escape
from precedent.cli.viewing import add_viewer_flag, viewer_from
from precedent.errors import InvalidQuery, NotFound, PrecedentError
from precedent.responses import SimilarResponse
from precedent.retrieval import (
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    SimilarIncidentFinder,
    SimilarOptions,
)
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``similar`` sub-command."""
    parser = subparsers.add_parser("similar", help="find similar past incidents, with reasons")
    add_incident_flags(parser)
    parser.add_argument("--declared-at", help="when it was declared (ISO 8601)")
    parser.add_argument("--before", help="only incidents started strictly before this (ISO 8601)")
    parser.add_argument("--exclude", action="append", help="an incident id never to return (repeatable)")
    parser.add_argument(
        "--limit",
        type=similar_limit,
        default=SIMILAR_DEFAULT_RESULTS,
        help=f"how many results (default {SIMILAR_DEFAULT_RESULTS}, at most {SIMILAR_MAX_RESULTS})",
    )
    parser.add_argument("--batch", type=Path, help="a JSON-lines file of queries, one per line")
    parser.add_argument("--out", type=Path, help="write batch results here instead of stdout")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_viewer_flag(parser)
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one query, or every query of a batch file."""
    console = Console(stderr=True)
    viewer = viewer_from(args)
    if not args.batch:
        try:
            query, options = query_from_args(args, viewer)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            return 2
    else:
        # Read before the model loads, and said as an error, not an OSError's traceback.
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            console.print(
                f"[red]error:[/red] cannot read the batch file {escape(str(args.batch))}: {escape(reason)}; "
                "pass a UTF-8 JSON-lines file, one query a line"
            )
            return 2
    # Read-only: answering needs no write, so it works beside `precedent serve` on the same map.
    async with Runtime.from_settings(settings, read_only=True) as runtime:
        if args.batch:
            defaults = SimilarOptions(limit=args.limit, viewer=viewer)
            return await _batch(runtime.finder, lines, args.out, defaults)
        answer = await runtime.finder.find(query, options)
    if args.json:
        print(SimilarResponse.from_results(answer).model_dump_json())
    else:
        out = Console()
        if note := left_out_note(answer.query):
            out.print(note)
        out.print(results_table(answer))
    return 0


async def _batch(
    finder: SimilarIncidentFinder, lines: list[str], out: Path | None, defaults: SimilarOptions
) -> int:
    failures = 0
    sink_context = out.open("w", encoding="utf-8") if out else contextlib.nullcontext(sys.stdout)
    with sink_context as sink:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = await _answer(finder, line, number, defaults)
            failures += "error" in row
            sink.write(json.dumps(row, default=str) + "\n")
    if failures:
        Console(stderr=True).print(f'[yellow]{failures} queries failed; see their "error" fields[/yellow]')
    return 1 if failures else 0


def _json_line(line: str, number: int) -> dict[str, object]:
    """One batch line as a JSON object; an error names the line, as a reader of the file counts them.

    json's own "Expecting value: line 1 column 1 (char 0)" named the first line of every line.
    """
    example = '{"name": "Checkout 500s"} or {"id": "INC-123"}'
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"input line {number} is not JSON ({exc.msg}, column {exc.colno}): each line must be a "
            f"JSON object, e.g. {example}"
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"input line {number} is not a JSON object: each line must be one, e.g. {example}")
    return data


async def _answer(
    finder: SimilarIncidentFinder, line: str, number: int, defaults: SimilarOptions
) -> dict[str, object]:
    # One bad line must not lose the answers to the others: its error goes in its own row.
    query_id: object = number
    try:
        data = _json_line(line, number)
        query_id = data.get("query_id", number)
        query, options = query_from_json(data, defaults)
        answer = SimilarResponse.from_results(await finder.find(query, options))
        return {"query_id": query_id, **answer.model_dump(mode="json")}
    except (ValueError, NotFound, InvalidQuery) as exc:
        return {"query_id": query_id, "error": str(exc)}
    except PrecedentError as exc:
        return {"query_id": query_id, "error": f"{type(exc).__name__}: {exc}"}
