"""Weight tuning for the similar-incident ranking, on development labels only.

What it measures: mean nDCG@10 of Precedent's fusion over a grid of signal weights, on the
development label sets (synthetic seed 2 planted labels; GitHub incidents before 2025 with the
taxonomy and with the silver labels, restricted to their judged pools; see ``tuned_on`` for
why the full-map GitHub sets are shown but not tuned on), each set counting equally, and
prints the best weights, which ``DEFAULT_WEIGHTS`` in ``src/precedent/retrieval/weights.py`` is
set to. Held-out label sets (seed 3, GitHub from 2025) are never used to choose;
``--check-held-out`` prints their scores for the default and the best, after the choice is made.
The current ``DEFAULT_WEIGHTS`` (the incumbent, itself a point of the grid) is replaced only when
the grid's best beats it on the tuned sets by more than two standard errors of the paired
per-query difference; a smaller gain is noise, and changing production weights for noise only
moves the ranking towards whatever the development labels happen to reward.

How: every labelled query is posed as declared and its candidates' signals are measured once
(``SimilarIncidentFinder.measure``, the stage ``find_posed`` also runs), cached per
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
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_DIR, LABEL_SETS, LabelSet, load_judgments, split_of, unjudged

from precedent.config import Settings
from precedent.retrieval import DEFAULT_WEIGHTS, SimilarIncidentFinder
from precedent.retrieval.evaluation import pose_judgment
from precedent.retrieval.fusion import SIGNALS
from precedent.retrieval.metrics import MetricSummary, ndcg_at, summarise
from precedent.retrieval.query import SimilarOptions
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.retrieval.query import PosedQuery
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
    """Signal matrices per (label set, split), measured once per query and cached on disk.

    A label set with a judged pool also yields a "judged pool" set, measured with the incidents
    outside the pool excluded (as ``quality.py`` scores it).
    """
    cache = root / "tune-cache" / f"{dataset}.pkl"
    signals: dict[tuple[str, str | None], tuple[list[str], np.ndarray]] = {}
    if cache.exists():
        signals = pickle.loads(cache.read_bytes())
    runtime = await Runtime.from_settings(Settings(data_dir=root / dataset / "data")).open()
    store = runtime.store
    out: dict[tuple[str, str], list[Row]] = {}
    try:
        finder = SimilarIncidentFinder(store, runtime.embedder, weights=DEFAULT_WEIGHTS)
        everything = {n.id async for n in store.scan_nodes(["Incident"])}
        for label_set in label_sets:
            variants = [(label_set.name, frozenset[str]())]
            if label_set.pool is not None:
                variants.append((f"{label_set.name}, judged pool", unjudged(root, label_set, everything)))
            judgments = await load_judgments(store, root, label_set)
            for name, exclude in variants:
                for judgment in judgments:
                    judged = await pose_judgment(finder, store, judgment, SimilarOptions(exclude=exclude))
                    if judged is None:
                        continue
                    posed, grades = judged
                    split = split_of(label_set, posed.declared_at)
                    if split is None:
                        continue
                    key = (judgment.query_id, label_set.pool if exclude else None)
                    if key not in signals:
                        signals[key] = await _measure(finder, posed)
                    ids, matrix = signals[key]
                    out.setdefault((name, split), []).append((ids, matrix, grades))
    finally:
        await runtime.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(signals))
    return out


async def _measure(finder: SimilarIncidentFinder, posed: PosedQuery) -> tuple[list[str], np.ndarray]:
    """Every candidate's signals, through the same measure stage ``find_posed`` uses."""
    return (await finder.measure(posed)).matrix()


def _runs(rows: Sequence[Row], weights: Weights) -> list[tuple[list[str], dict[str, int]]]:
    """The fused top 10 per query (ties by id, as ``fusion.fuse`` breaks them), with its grades."""
    vector = np.array([weights.of(s) for s in SIGNALS])
    runs = []
    for ids, matrix, grades in rows:
        if not ids:
            runs.append(([], grades))
            continue
        order = np.lexsort((np.array(ids), -(matrix @ vector)))[:10]
        runs.append(([ids[i] for i in order], grades))
    return runs


def score(rows: Sequence[Row], weights: Weights) -> MetricSummary:
    """Metrics of the fused ranking under ``weights``."""
    return summarise(_runs(rows, weights))


def paired_gain(sets: Mapping[tuple[str, str], list[Row]], new: Weights, old: Weights) -> tuple[float, float]:
    """Objective gain of ``new`` over ``old`` and its standard error (paired per query, per set)."""
    means, variances = [], []
    for (name, split), rows in sets.items():
        if not tuned_on(name, split):
            continue
        diff = np.array(
            [
                ndcg_at(a, g, 10) - ndcg_at(b, g, 10)
                for (a, g), (b, _) in zip(_runs(rows, new), _runs(rows, old), strict=True)
            ]
        )
        means.append(diff.mean())
        variances.append(diff.var(ddof=1) / len(diff))
    return float(np.mean(means)), float(np.sqrt(np.sum(variances)) / len(means))


def tuned_on(name: str, split: str) -> bool:
    """Whether the objective uses this set: development, and every candidate judgeable.

    Over the whole map, a GitHub incident without a write-up can never be labelled relevant;
    write-ups start in 2023, so for development queries (2023-2024) "recent" stands in for
    "judgeable" and the full-map sets reward recency for a reason that is about the labels,
    not about similarity. Their judged-pool variants (unjudgeable incidents excluded from every
    system) and the synthetic labels (every incident judged) do not have that artefact.
    """
    return split == "development" and (name.endswith("judged pool") or not name.startswith("GitHub"))


def objective(sets: Mapping[tuple[str, str], list[Row]], weights: Weights) -> float:
    """Mean nDCG@10 over the sets ``tuned_on`` accepts (each set counts equally)."""
    dev = [rows for (name, split), rows in sets.items() if tuned_on(name, split)]
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
    top = results[0][2]
    gain, error = paired_gain(sets, top, DEFAULT_WEIGHTS)
    adopt = gain > 2 * error
    print(
        f"\ngrid best vs current DEFAULT_WEIGHTS on the tuned sets: {gain:+.4f} nDCG@10 "
        f"(standard error {error:.4f}): {'significant' if adopt else 'within noise, keep the incumbent'}"
    )
    best = top if adopt else DEFAULT_WEIGHTS
    print("best weights (development only):")
    print("    " + ", ".join(f"{k}={best.of(k)}" for k in SIGNALS))
    print("matches DEFAULT_WEIGHTS" if best == DEFAULT_WEIGHTS else "differs from DEFAULT_WEIGHTS")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
