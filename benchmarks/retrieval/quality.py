"""Retrieval quality: Precedent's similar-incident ranking against three baselines.

What it measures: for every labelled query incident, posed as it looked when declared (name,
first two updates posted before its resolution, affected services, severity at the declaration,
start time; never the final summary, resolution update or post-mortem, and
only incidents that started earlier may be returned), nDCG@10, MRR and Recall@1/5/10 of
Precedent's hybrid ranking and of BM25 alone, embeddings alone, and the most recent incidents
on the same service (``precedent.retrieval.evaluation``). Label sets (``common.LABEL_SETS``):
GitHub status history with the rule-based taxonomy labels and with the embedding-based silver
labels (``judge_github.py``), and the planted recurrences of synthetic seeds 2 and 3.

Splits: development = GitHub incidents before 2025-01-01 and synthetic seed 2 (what
``tune.py`` tunes on); held out = GitHub from 2025 and synthetic seed 3 (never tuned on).
Prints one markdown table per split, with the relative gain of Precedent over the best
baseline in nDCG@10, and writes the numbers to ``DIR/quality.json``.

Run (after ``prepare.py`` and ``judge_github.py``):
``uv run python benchmarks/retrieval/quality.py [DIR] [--only NAME-SUBSTRING]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_DIR, LABEL_SETS, SPLITS, LabelSet, load_judgments, split_of, unjudged

from precedent.config import Settings
from precedent.retrieval.evaluation import Baselines, K, Ranker, hybrid, pose_judgment
from precedent.retrieval.metrics import MetricSummary, summarise
from precedent.retrieval.query import SimilarOptions
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precedent.retrieval.query import PosedQuery

SYSTEMS = ("precedent", "bm25", "embeddings", "recent_same_service")
BASELINES = SYSTEMS[1:]
COLUMNS = ("queries", "ndcg_10", "mrr", "recall_1", "recall_5", "recall_10")

Runs = dict[str, dict[str, list[tuple[list[str], "Mapping[str, int]"]]]]
"""split -> system -> (ranking, grades) per query."""


def _memo(rank: Ranker) -> Ranker:
    """Rank each query once, whichever label set asks (both GitHub label sets share queries)."""
    seen: dict[str | None, list[str]] = {}

    async def ranked(posed: PosedQuery) -> list[str]:
        if posed.incident_id not in seen:
            seen[posed.incident_id] = await rank(posed)
        return seen[posed.incident_id]

    return ranked


async def score_dataset(root: Path, dataset: str, label_sets: list[LabelSet]) -> dict[str, Runs]:
    """Rank every labelled query of one dataset with every system; runs per label set and split.

    Mirrors ``precedent.retrieval.evaluation.evaluate`` (same posing, admissibility and
    systems), but splits by label set and shares rankings between label sets. A label set with
    a judged pool is scored twice: over the whole map, and with every incident outside the
    pool excluded from every system (``SimilarOptions.exclude``), so unjudged incidents cannot
    count as misses.
    """
    runtime = await Runtime.from_settings(Settings(data_dir=root / dataset / "data")).open()
    store, embedder = runtime.store, runtime.embedder
    out: dict[str, Runs] = {}
    try:
        finder = runtime.finder
        rankers = {"precedent": hybrid(finder), **Baselines(store, embedder).rankers()}
        memos: dict[frozenset[str], dict[str, Ranker]] = {}
        everything = {n.id async for n in store.scan_nodes(["Incident"])}
        for label_set in label_sets:
            variants = [(label_set.name, frozenset[str]())]
            if label_set.pool is not None:
                variants.append((f"{label_set.name}, judged pool", unjudged(root, label_set, everything)))
            judgments = await load_judgments(store, root, label_set)
            for name, exclude in variants:
                started = time.perf_counter()
                systems = memos.setdefault(exclude, {n: _memo(rankers[n]) for n in SYSTEMS})
                runs: Runs = {}
                for judgment in judgments:
                    options = SimilarOptions(limit=K, exclude=exclude)
                    judged = await pose_judgment(finder, store, judgment, options)
                    if judged is None:
                        continue
                    posed, grades = judged
                    split = split_of(label_set, posed.declared_at)
                    if split is None:
                        continue
                    for system, rank in systems.items():
                        runs.setdefault(split, {}).setdefault(system, []).append((await rank(posed), grades))
                out[name] = runs
                print(f"  {name}: {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    finally:
        await runtime.close()
    return out


def gain(by_system: Mapping[str, MetricSummary]) -> tuple[str, float]:
    """The best baseline by nDCG@10 and Precedent's relative gain over it."""
    best = max(BASELINES, key=lambda b: (by_system[b].ndcg_10, b))
    base = by_system[best].ndcg_10
    return best, (by_system["precedent"].ndcg_10 - base) / base if base else float("inf")


def table(split: str, results: Mapping[str, Mapping[str, Mapping[str, MetricSummary]]]) -> str:
    """One markdown table: label set x system, with the gain over the best baseline."""
    lines = [
        f"**{split.replace('_', '-')}**",
        "",
        "| label set | system | queries | nDCG@10 | MRR | R@1 | R@5 | R@10 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for label_set, splits in results.items():
        by_system = splits.get(split)
        if not by_system:
            continue
        for name in SYSTEMS:
            s = by_system[name]
            cells = [str(s.queries), *(f"{getattr(s, c):.3f}" for c in COLUMNS[1:])]
            shown = f"**{name}**" if name == "precedent" else name
            lines.append(f"| {label_set} | {shown} | " + " | ".join(cells) + " |")
        best, relative = gain(by_system)
        notes.append(f"- {label_set}: Precedent vs best baseline ({best}) nDCG@10 {relative:+.1%}")
    return "\n".join([*lines, "", *notes])


async def main(argv: list[str] | None = None) -> int:
    """Score every label set and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--only", help="only label sets whose name contains this")
    args = parser.parse_args(argv)
    chosen = [ls for ls in LABEL_SETS if not args.only or args.only.lower() in ls.name.lower()]
    by_dataset: dict[str, list[LabelSet]] = {}
    for label_set in chosen:
        by_dataset.setdefault(label_set.dataset, []).append(label_set)
    results: dict[str, dict[str, dict[str, MetricSummary]]] = {}
    for dataset, label_sets in by_dataset.items():
        print(f"{dataset}:", file=sys.stderr, flush=True)
        for name, runs in (await score_dataset(args.dir, dataset, label_sets)).items():
            results[name] = {
                split: {system: summarise(r) for system, r in by.items()} for split, by in runs.items()
            }
    for split in SPLITS:
        print(table(split, results) + "\n")
    dump = {
        ls: {sp: {sy: asdict(m) for sy, m in by.items()} for sp, by in s.items()} for ls, s in results.items()
    }
    (args.dir / "quality.json").write_text(json.dumps(dump, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
