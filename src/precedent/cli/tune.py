"""``precedent tune``: fit the similar-incident ranking to this map's history and record the choice.

Labels are the links responders made (RELATED_TO, duplicates excluded) and, with
``--judgments``, a JSON-lines judgment file. The most recent labelled queries check fits made on
older ones; the default weights are kept unless the fits beat them there beyond the noise
(``retrieval.tuning``).
The choice and its reason are written into the map, where ``similar``, ``evaluate`` and the API
read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from precedent.cli.labels import file_judgments, labels, no_labels
from precedent.retrieval import DEFAULT_WEIGHTS, SimilarIncidentFinder
from precedent.retrieval.choice import save_choice
from precedent.retrieval.fusion import SIGNALS
from precedent.retrieval.labelled import measure_judgments
from precedent.retrieval.tuning import choose
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings
    from precedent.retrieval.choice import RankingChoice

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``tune`` sub-command."""
    parser = subparsers.add_parser("tune", help="fit the similar-incident ranking to this map's history")
    parser.add_argument("--judgments", type=Path, help="JSON-lines judgments to learn from besides links")
    parser.add_argument("--no-links", action="store_true", help="ignore RELATED_TO links as labels")
    parser.add_argument(
        "--held-out-fraction",
        type=float,
        default=0.5,
        help="share of the most recent labelled queries used to check fits on older ones (default 0.5)",
    )
    parser.add_argument("--dry-run", action="store_true", help="report the choice without recording it")
    parser.add_argument("--json", action="store_true", help="print the choice as JSON")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Measure every labelled query, fit, decide, and record the decision in the map."""
    if not 0.0 < args.held_out_fraction < 1.0:
        Console(stderr=True).print("[red]error:[/red] --held-out-fraction must be between 0 and 1")
        return 2
    from_file = file_judgments(args)
    # A dry run records nothing, so it runs beside `precedent serve` (the embedded map has one writer).
    async with Runtime.from_settings(settings, read_only=args.dry_run) as runtime:
        store = runtime.store
        judgments = await labels(store, args, from_file)
        if not judgments:
            Console(stderr=True).print(
                "[yellow]no labels:[/yellow] "
                + no_labels(args, "there is nothing to fit and the default ranking is kept"),
                highlight=False,
            )
        # Signals are measured with the default shapes; the fit varies weights and half-life from there.
        finder = SimilarIncidentFinder(
            store, runtime.embedder, weights=DEFAULT_WEIGHTS, catalog=runtime.catalog
        )
        queries = await measure_judgments(finder, store, judgments)
        choice = choose(queries, DEFAULT_WEIGHTS, args.held_out_fraction)
        if not args.dry_run:
            await save_choice(store, choice)
    if args.json:
        print(choice.to_json())
    else:
        _print(choice, recorded=not args.dry_run)
    return 0


def _print(choice: RankingChoice, *, recorded: bool) -> None:
    console = Console()
    console.print(f"ranking: [bold]{choice.source}[/bold] ({choice.reason})")
    table = Table("signal", "default", "chosen", title="weights")
    for signal in SIGNALS:
        table.add_row(signal, f"{DEFAULT_WEIGHTS.of(signal):.3f}", f"{choice.weights.of(signal):.3f}")
    table.add_row(
        "half-life (days)", f"{DEFAULT_WEIGHTS.half_life_days:g}", f"{choice.weights.half_life_days:g}"
    )
    console.print(table)
    if choice.figures:
        # A table, as the weights above: a JSON block is for --json, not for reading.
        figures = Table("figure", "value", title="what the choice rests on")
        for name, value in sorted(choice.figures.items()):
            figures.add_row(name.replace("_", " "), f"{value:g}")
        console.print(figures)
    console.print("recorded in the map" if recorded else "dry run: nothing recorded")
