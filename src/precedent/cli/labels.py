"""The labels ``tune`` and ``evaluate`` learn from and measure against, read one way for both."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.retrieval.evaluation import judgments_from_links, read_judgments

if TYPE_CHECKING:
    import argparse

    from precedent.retrieval.evaluation import Judgment
    from precedent.store.base import GraphStore

__all__ = ["file_judgments", "labels", "no_labels"]


def file_judgments(args: argparse.Namespace) -> list[Judgment]:
    """The ``--judgments`` file's labels, read before the model loads so a bad file fails at once.

    Raises:
        InvalidJudgments: if the file cannot be read or a line is not a judgment.
    """
    return read_judgments(args.judgments) if args.judgments else []


async def labels(
    store: GraphStore, args: argparse.Namespace, from_file: list[Judgment], *, duplicates: bool = False
) -> list[Judgment]:
    """The map's RELATED_TO links as labels (unless ``--no-links``), then the file's."""
    linked = [] if args.no_links else await judgments_from_links(store, duplicates=duplicates)
    return linked + from_file


def no_labels(args: argparse.Namespace, consequence: str) -> str:
    """Why there are no labels, what follows (``consequence``), and what to do about it."""
    source = "--judgments gave none" if args.judgments else "no --judgments file was given"
    links = "links were ignored (--no-links)" if args.no_links else "the map has no RELATED_TO links"
    return (
        f"{links} and {source}, so {consequence}. Link related incidents in incident.io (then "
        "sync), or pass --judgments FILE (see docs/tuning.md)"
    )
