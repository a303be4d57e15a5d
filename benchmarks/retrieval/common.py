"""Datasets, label sets and splits shared by the retrieval-quality benchmarks (``quality.py``, ``tune.py``).

Layout of the benchmark directory (``prepare.py`` builds it; default ``.precedent/bench``)::

    DIR/github/export   the GitHub status corpus converted to the export format
    DIR/github/data     PRECEDENT_DATA_DIR it was imported into
    DIR/github/judgments-{taxonomy,silver}.jsonl, pool-{taxonomy,silver}.txt   (judge_github.py)
    DIR/syn2/{export,data}   precedent generate --seed 2 (development), export/judgments.jsonl
    DIR/syn3/{export,data}   precedent generate --seed 3 (held out)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from precedent.retrieval.evaluation import Judgment, judgments_from_links, parse_judgments

if TYPE_CHECKING:
    from precedent.store.base import GraphStore

DEFAULT_DIR = Path(".precedent/bench")
GITHUB_HELD_OUT_FROM = datetime(2025, 1, 1, tzinfo=UTC)
"""GitHub incidents declared from this time are held out; earlier ones are development."""


@dataclass(frozen=True)
class LabelSet:
    """One dataset scored against one source of relevance labels.

    Attributes:
        name: How tables name it.
        dataset: Folder under the benchmark directory.
        judgments: Judgment file, relative to the dataset folder.
        links: Also use the map's RELATED_TO links as labels (as ``precedent evaluate`` does).
        pool: File listing the incidents the labels can judge at all (``None``: every incident);
            ``quality.py`` also scores rankings restricted to it.
        split: ``"development"``, ``"held_out"``, or ``"by_date"`` (GitHub: before / from
            ``GITHUB_HELD_OUT_FROM``).
    """

    name: str
    dataset: str
    judgments: str
    links: bool
    split: str
    pool: str | None = None


LABEL_SETS = (
    LabelSet(
        "GitHub, taxonomy labels", "github", "judgments-taxonomy.jsonl", False, "by_date", "pool-taxonomy.txt"
    ),
    LabelSet(
        "GitHub, silver labels", "github", "judgments-silver.jsonl", False, "by_date", "pool-silver.txt"
    ),
    LabelSet(
        "synthetic seed 2, planted labels", "syn2", "export/judgments.jsonl", links=True, split="development"
    ),
    LabelSet(
        "synthetic seed 3, planted labels", "syn3", "export/judgments.jsonl", links=True, split="held_out"
    ),
)
SPLITS = ("held_out", "development")


async def load_judgments(store: GraphStore, root: Path, label_set: LabelSet) -> list[Judgment]:
    """The label set's judgments: its file, plus RELATED_TO links when it uses them."""
    judgments = await judgments_from_links(store) if label_set.links else []
    with (root / label_set.dataset / label_set.judgments).open(encoding="utf-8") as lines:
        judgments += parse_judgments(lines)
    return judgments


def unjudged(root: Path, label_set: LabelSet, incidents: set[str]) -> frozenset[str]:
    """The incidents outside the label set's judged pool (empty when it has none)."""
    if label_set.pool is None:
        return frozenset()
    pool = set((root / label_set.dataset / label_set.pool).read_text(encoding="utf-8").split())
    return frozenset(incidents - pool)


def split_of(label_set: LabelSet, declared_at: datetime | None) -> str | None:
    """Which split a query declared at ``declared_at`` belongs to (``None``: neither)."""
    if label_set.split != "by_date":
        return label_set.split
    if declared_at is None:
        return None
    return "held_out" if declared_at >= GITHUB_HELD_OUT_FROM else "development"
