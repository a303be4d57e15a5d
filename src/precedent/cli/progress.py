"""Rich progress bars per resource and the summary table shared by ``import`` and ``sync``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console
    from rich.progress import TaskID

    from precedent.ingest import LoadStats

__all__ = ["RichProgress", "summary_table"]


_LINE_EVERY_SECONDS = 30.0
"""Off a terminal, how often a resource still loading says how far it has got."""


class RichProgress:
    """A ``precedent.ingest.Progress`` drawing one bar per resource on stderr.

    Off a terminal (a CI log, ``nohup``, a pipe) bars cannot redraw, and rich would print them
    only once everything is done, so an import of a real history would say nothing for minutes.
    There it prints plain lines instead: when a resource starts, how far it has got at most every
    30 seconds, and when it is done.
    """

    def __init__(self, console: Console, *, line_every: float = _LINE_EVERY_SECONDS) -> None:
        self._console = console
        self._lines = not console.is_terminal
        self._line_every = line_every
        self._counts: dict[str, tuple[int, int | None, float, float]] = {}
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
        if not self._lines:
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._lines:
            self._bars.stop()

    def start(self, resource: str, total: int | None = None) -> None:
        if self._lines:
            now = time.monotonic()
            self._counts[resource] = (0, total, now, now)
            to_load = f"{total} to load" if total is not None else "loading"
            self._console.print(f"{_label(resource)}: {to_load}", highlight=False)
            return
        self._tasks[resource] = self._bars.add_task(_label(resource), total=total)

    def advance(self, resource: str, count: int) -> None:
        if self._lines:
            if resource not in self._counts:
                self.start(resource)
            done, total, began, said = self._counts[resource]
            done += count
            now = time.monotonic()
            if now - said >= self._line_every:
                self._console.print(
                    f"{_label(resource)}: {_of(done, total)} in {now - began:.0f}s", highlight=False
                )
                said = now
            self._counts[resource] = (done, total, began, said)
            return
        if resource not in self._tasks:
            self.start(resource)
        self._bars.advance(self._tasks[resource], count)

    def finish(self, resource: str) -> None:
        if self._lines:
            done, _, began, _ = self._counts.pop(resource, (0, None, time.monotonic(), 0.0))
            self._console.print(
                f"{_label(resource)}: done, {done} in {time.monotonic() - began:.1f}s", highlight=False
            )
            return
        task = self._tasks.get(resource)
        if task is not None:
            completed = self._bars.tasks[self._tasks[resource]].completed
            self._bars.update(task, total=completed, completed=completed)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self._console.print(f"[yellow]warning:[/yellow] {message}")


def _label(resource: str) -> str:
    return resource.replace("_", " ")


def _of(done: int, total: int | None) -> str:
    return f"{done}/{total}" if total is not None else str(done)


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
