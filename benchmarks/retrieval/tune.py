"""Weight tuning for the similar-incident ranking, on development labels only.

What it measures: mean nDCG@10 of Precedent's fusion over a grid of signal weights, on the
development label sets (synthetic seed 2 planted labels; GitHub incidents before 2025 with the
taxonomy and with the silver labels; see ``common.py``), and prints the best weights, which
``DEFAULT_WEIGHTS`` in ``src/precedent/retrieval/weights.py`` is set to. Held-out label sets
(seed 3, GitHub from 2025) are never used to choose; ``--check-held-out`` prints their scores for
the default and the best, after the choice is made.

How: every labelled query is posed as declared and its candidates' signals are measured once
(``SimilarIncidentFinder`` evidence, ``context.gather_facts``, ``signals.measure``), cached per
dataset in ``DIR/tune-cache/``; the weighted sum of ``fusion.fuse`` is then re-run per weight set
as a matrix product (ties by id, as ``fuse`` breaks them). The shape parameters (half-life, hop
decay, semantic floor) are held at their defaults.

Run (after ``prepare.py`` and ``judge_github.py``):
``uv run python benchmarks/retrieval/tune.py [DIR] [--check-held-out]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import pickle
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_DIR, LABEL_SETS, LabelSet, load_judgments, split_of

from precedent.bootstrap import open_runtime
from precedent.config import Settings
from precedent.errors import NotFound
from precedent.retrieval import DEFAULT_WEIGHTS, SimilarIncidentFinder
from precedent.retrieval.context import admissible, gather_facts
from precedent.retrieval.fusion import SIGNALS
from precedent.retrieval.metrics import MetricSummary, summarise
from precedent.retrieval.query import IncidentQuery, SimilarOptions
from precedent.retrieval.signals import measure

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.retrieval.weights import Weights

GRID: dict[str, tuple[float, ...]] = {
    "semantic": (0.2, 0.3, 0.4),
    "lexical": (0.05, 0.1, 0.15, 0.2),
    "same_service": (0.03, 0.06, 0.09, 0.12),
    "dependency_path": (0.02, 0.05),
    "recency": (0.1, 0.15, 0.25, 0.35),
    "recurrence": (0.0, 0.03),
}
"""Weights searched; the others (team, type, severity) stay at their defaults."""

# (candidate ids, signal matrix [candidates x SIGNALS], grades) per query
Row = tuple[list[str], np.ndarray, dict[str, int]]


async def _collect(
    root: Path, dataset: str, label_sets: Sequence[LabelSet]
) -> dict[tuple[str, str], list[Row]]:
    """Signal matrices per (label set, split), measured once per query and cached on disk."""
    cache = root / "tune-cache" / f"{dataset}.pkl"
    signals: dict[str, tuple[list[str], np.ndarray, datetime | None]] = {}
    if cache.exists():
        signals = pickle.loads(cache.read_bytes())
    store, embedder = await open_runtime(Settings(data_dir=root / dataset / "data"))
    out: dict[tuple[str, str], list[Row]] = {}
    try:
        finder = SimilarIncidentFinder(store, embedder)
        for label_set in label_sets:
            for judgment in await load_judgments(store, root, label_set):
                try:
                    posed = await finder.pose(IncidentQuery(judgment.query_id), SimilarOptions())
                except NotFound:
                    continue
                labelled = await store.get_nodes(sorted(judgment.grades))
                grades = {n.id: judgment.grades[n.id] for n in labelled if admissible(n, posed)}
                split = split_of(label_set, posed.declared_at)
                if split is None or not any(g > 0 for g in grades.values()):
                    continue
                if judgment.query_id not in signals:
                    evidence = await finder._evidence(posed)
                    pool = sorted(
                        {
                            *evidence.vector_hits,
                            *evidence.part_hits,
                            *evidence.lexical_hits,
                            *evidence.graph.incidents,
                        }
                    )
                    facts, _ = await gather_facts(store, posed, pool)
                    measured = measure(posed, evidence, facts, DEFAULT_WEIGHTS, datetime.now(UTC))
                    ids = sorted(measured)
                    matrix = np.array(
                        [[measured[i].value(s) for s in SIGNALS] for i in ids], dtype=np.float64
                    )
                    signals[judgment.query_id] = (
                        ids,
                        matrix.reshape(len(ids), len(SIGNALS)),
                        posed.declared_at,
                    )
                ids, matrix, _ = signals[judgment.query_id]
                out.setdefault((label_set.name, split), []).append((ids, matrix, grades))
    finally:
        await store.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(signals))
    return out


def score(rows: Sequence[Row], weights: Weights) -> MetricSummary:
    """Metrics of the fused ranking (top 10, ties by id) under ``weights``."""
    vector = np.array([weights.of(s) for s in SIGNALS])
    runs = []
    for ids, matrix, grades in rows:
        if not ids:
            runs.append(([], grades))
            continue
        order = np.lexsort((np.array(ids), -(matrix @ vector)))[:10]
        runs.append(([ids[i] for i in order], grades))
    return summarise(runs)


def objective(sets: Mapping[tuple[str, str], list[Row]], weights: Weights) -> float:
    """Mean nDCG@10 over the development label sets (each set counts equally)."""
    dev = [rows for (_, split), rows in sets.items() if split == "development"]
    return float(np.mean([score(rows, weights).ndcg_10 for rows in dev]))


def _show(label: str, sets: Mapping[tuple[str, str], list[Row]], weights: Weights, splits: set[str]) -> None:
    print(label)
    for (name, split), rows in sorted(sets.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if split in splits:
            s = score(rows, weights)
            print(f"   {split:11s} {name:34s} n={s.queries:4d} nDCG@10={s.ndcg_10:.3f} MRR={s.mrr:.3f}")


async def main(argv: list[str] | None = None) -> int:
    """Grid-search the weights on development labels and print the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check-held-out", action="store_true", help="after choosing, print held-out scores")
    parser.add_argument("--top", type=int, default=5, help="how many of the best weight sets to print")
    args = parser.parse_args(argv)
    by_dataset: dict[str, list[LabelSet]] = {}
    for label_set in LABEL_SETS:
        by_dataset.setdefault(label_set.dataset, []).append(label_set)
    sets: dict[tuple[str, str], list[Row]] = {}
    for dataset, label_sets in by_dataset.items():
        sets.update(await _collect(args.dir, dataset, label_sets))
    if not args.check_held_out:
        sets = {key: rows for key, rows in sets.items() if key[1] == "development"}

    keys = list(GRID)
    results = []
    for combo in itertools.product(*GRID.values()):
        weights = dataclasses.replace(DEFAULT_WEIGHTS, **dict(zip(keys, combo, strict=True)))
        results.append((objective(sets, weights), combo, weights))
    # best objective first; ties go to the earlier grid point (smaller weights), deterministically
    results.sort(key=lambda r: -r[0])
    shown = {"development", "held_out"} if args.check_held_out else {"development"}
    _show(
        f"current DEFAULT_WEIGHTS: dev objective {objective(sets, DEFAULT_WEIGHTS):.4f}",
        sets,
        DEFAULT_WEIGHTS,
        shown,
    )
    for rank, (value, combo, weights) in enumerate(results[: args.top], start=1):
        _show(
            f"#{rank} dev objective {value:.4f} {dict(zip(keys, combo, strict=True))}", sets, weights, shown
        )
    best = results[0][2]
    print("\nbest weights (development only):")
    print("    " + ", ".join(f"{k}={best.of(k)}" for k in SIGNALS))
    print("matches DEFAULT_WEIGHTS" if best == DEFAULT_WEIGHTS else "differs from DEFAULT_WEIGHTS")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
