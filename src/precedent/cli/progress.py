"""Rich progress bars per resource and the summary table shared by ``import`` and ``sync``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console
    from rich.progress import TaskID

    from precedent.ingest import LoadStats

__all__ = ["RichProgress", "summary_table"]


class RichProgress:
    """A ``precedent.ingest.Progress`` drawing one bar per resource on stderr."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._bars = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self.warnings: list[str] = []

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def start(self, resource: str, total: int | None = None) -> None:
        self._tasks[resource] = self._bars.add_task(resource.replace("_", " "), total=total)

    def advance(self, resource: str, count: int) -> None:
        if resource not in self._tasks:
            self.start(resource)
        self._bars.advance(self._tasks[resource], count)

    def finish(self, resource: str) -> None:
        task = self._tasks.get(resource)
        if task is not None:
            done = self._bars.tasks[self._tasks[resource]].completed
            self._bars.update(task, total=done, completed=done)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._console.print(f"[yellow]warning:[/yellow] {message}")


def summary_table(results: Mapping[str, LoadStats], title: str) -> Table:
    """One row per resource: created, updated, unchanged, edges written, texts embedded."""
    table = Table("resource", "created", "updated", "unchanged", "edges", "embedded", title=title)
    totals = [0, 0, 0, 0, 0]
    for resource, stats in results.items():
        row = [
            stats.total("created"),
            stats.total("updated"),
            stats.total("unchanged"),
            stats.edges_written,
            stats.embedded,
        ]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        table.add_row(resource.replace("_", " "), *map(str, row))
    table.add_row("[bold]total[/bold]", *(f"[bold]{n}[/bold]" for n in totals))
    return table
