"""How ingest reports progress and results without knowing who is watching (the CLI uses rich)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = ["NULL_PROGRESS", "LabelCounts", "LoadStats", "Progress", "TeeProgress"]


class Progress(Protocol):
    """Receives progress events; every method must be cheap and must not raise."""

    def start(self, resource: str, total: int | None = None) -> None:
        """A resource begins (``total`` objects, when known)."""

    def advance(self, resource: str, count: int) -> None:
        """``count`` more objects of ``resource`` are handled."""

    def finish(self, resource: str) -> None:
        """A resource is done."""

    def warn(self, message: str) -> None:
        """Something was skipped, and the user should know why."""


class _NullProgress:
    def start(self, resource: str, total: int | None = None) -> None:
        pass

    def advance(self, resource: str, count: int) -> None:
        pass

    def finish(self, resource: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


NULL_PROGRESS: Progress = _NullProgress()


class TeeProgress:
    """Sends every progress event to each of several sinks (the terminal and the map's sync record)."""

    def __init__(self, *sinks: Progress) -> None:
        self._sinks = sinks

    def start(self, resource: str, total: int | None = None) -> None:
        for sink in self._sinks:
            sink.start(resource, total)

    def advance(self, resource: str, count: int) -> None:
        for sink in self._sinks:
            sink.advance(resource, count)

    def finish(self, resource: str) -> None:
        for sink in self._sinks:
            sink.finish(resource)

    def warn(self, message: str) -> None:
        for sink in self._sinks:
            sink.warn(message)


@dataclass
class LabelCounts:
    """Nodes of one label by outcome."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LoadStats:
    """What a load did: node outcomes per label, edges written and deleted, texts embedded."""

    labels: dict[str, LabelCounts] = field(default_factory=dict)
    edges_written: int = 0
    edges_deleted: int = 0
    nodes_deleted: int = 0
    embedded: int = 0

    def count(self, label: str, outcome: Literal["created", "updated", "unchanged"]) -> None:
        counts = self.labels.setdefault(label, LabelCounts())
        setattr(counts, outcome, getattr(counts, outcome) + 1)

    def merge(self, other: LoadStats) -> None:
        """Add ``other``'s counts to these."""
        for label, counts in other.labels.items():
            mine = self.labels.setdefault(label, LabelCounts())
            mine.created += counts.created
            mine.updated += counts.updated
            mine.unchanged += counts.unchanged
        self.edges_written += other.edges_written
        self.edges_deleted += other.edges_deleted
        self.nodes_deleted += other.nodes_deleted
        self.embedded += other.embedded

    def total(self, outcome: Literal["created", "updated", "unchanged"]) -> int:
        return sum(getattr(c, outcome) for c in self.labels.values())
