"""``precedent evaluate``: nDCG@10, MRR and Recall@k of similar-incident search beside baselines.

Labels: RELATED_TO links in the map and, with ``--judgments``, a JSON-lines judgment file.
Precedent ranks with the map's recorded choice (``precedent tune``), which the report names, and
the report says how much each signal carries: nDCG@10 with that signal's weight set to 0, minus
nDCG@10 with every signal (negative: the signal helps on this map).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.cli.labels import file_judgments, labels, no_labels
from precedent.cli.similar_io import parse_time
from precedent.cli.terminal_text import escape
from precedent.retrieval.evaluation import Baselines, EvaluationReport, evaluate, hybrid
from precedent.retrieval.labelled import measure_judgments
from precedent.retrieval.tuning import ablations
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings
    from precedent.retrieval.choice import RankingChoice

__all__ = ["register", "run"]

_COLUMNS = ("queries", "ndcg_10", "mrr", "recall_1", "recall_5", "recall_10")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``evaluate`` sub-command."""
    parser = subparsers.add_parser("evaluate", help="measure similar-incident search against labels")
    parser.add_argument("--judgments", type=Path, help="JSON-lines judgments (as precedent generate writes)")
    parser.add_argument("--no-links", action="store_true", help="ignore RELATED_TO links as labels")
    parser.add_argument(
        "--duplicates",
        action="store_true",
        help="label with duplicate links only (same event reported twice)",
    )
    parser.add_argument(
        "--held-out-from", help="queries declared from this time (ISO 8601) form the held-out split"
    )
    parser.add_argument("--limit-queries", type=int, help="evaluate at most this many queries")
    parser.add_argument("--no-ablations", action="store_true", help="skip the per-signal ablations")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Evaluate Precedent's ranking and the baselines, and print a table per split."""
    from_file = file_judgments(args)
    # Checked before the model loads (seconds to half a minute), and said, never a traceback.
    try:
        held_out = parse_time(args.held_out_from) if args.held_out_from else None
        if args.limit_queries is not None and args.limit_queries < 1:
            raise ValueError(f"--limit-queries must be at least 1, not {args.limit_queries}")
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return 2
    # It only reads, so it runs beside `precedent serve` (the embedded map has one writer).
    async with Runtime.from_settings(settings, read_only=True) as runtime:
        store, embedder = runtime.store, runtime.embedder
        judgments = await labels(store, args, from_file, duplicates=args.duplicates)
        if args.limit_queries is not None:
            judgments = judgments[: args.limit_queries]
        if not judgments:
            Console(stderr=True).print(
                "[red]error:[/red] no labels: " + no_labels(args, "there is nothing to measure against"),
                highlight=False,
            )
            return 2
        finder = runtime.finder
        systems = {"precedent": hybrid(finder), **Baselines(store, embedder).rankers()}
        report = await evaluate(finder, store, judgments, systems, held_out)
        choice = await finder.ranking()
        dropped: dict[str, float] = {}
        if not args.no_ablations:
            queries = await measure_judgments(finder, store, judgments)
            dropped = ablations(queries, choice.weights)
    if args.json:
        print(json.dumps({**_report_json(report), "ranking": _choice_json(choice), "ablations": dropped}))
    else:
        _print(report)
        _print_ranking(choice, dropped)
    return 0


def _choice_json(choice: RankingChoice) -> dict[str, object]:
    return {"source": choice.source, "reason": choice.reason, "tuned_at": choice.tuned_at}


def _print_ranking(choice: RankingChoice, dropped: dict[str, float]) -> None:
    console = Console()
    console.print(f"precedent ranked with the [bold]{choice.source}[/bold] weights: {choice.reason}")
    if dropped:
        table = Table(
            "signal",
            "weight",
            "nDCG@10 change without it",
            title="ablations (all labelled queries)",
            caption="negative: the signal helps on this map; positive: it costs",
        )
        for signal, delta in sorted(dropped.items(), key=lambda kv: kv[1]):
            table.add_row(signal, f"{choice.weights.of(signal):.3f}", f"{delta:+.4f}")
        console.print(table)


def _report_json(report: EvaluationReport) -> dict[str, object]:
    return {
        "skipped": report.skipped,
        "splits": {
            split: {name: {c: getattr(s, c) for c in _COLUMNS} for name, s in by.items()}
            for split, by in report.summaries.items()
        },
    }


def _print(report: EvaluationReport) -> None:
    console = Console()
    for split, by_system in report.summaries.items():
        table = Table("system", *_COLUMNS, title=f"{split} ({report.skipped} labelled queries skipped)")
        for name, summary in by_system.items():
            table.add_row(name, *(_cell(getattr(summary, c)) for c in _COLUMNS))
        console.print(table)


def _cell(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"
