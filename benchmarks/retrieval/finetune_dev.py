"""An embedder fitted to each history: does fine-tuning MiniLM on its own incidents move the ranking?

Why: issue 11's goal (held-out macro nDCG@10 at 1.15x the best baseline) is out of reach of every
reweighting of the measured signals (``signals_dev.py``): the candidates hold most relevant
incidents, so what limits the ranking is what all-MiniLM-L6-v2 can tell apart. The one lever left
is the model itself, adapted to each organisation's history without human labels: each past
incident's text as declared (posed exactly as a query is, ``retrieval.posing``) is paired with its
own write-up (a post-mortem chunk, else an update posted after those the query sees), and the model
is trained to find the write-up among the others of a batch (in-batch negatives: cross-entropy over
the scaled cosine matrix, the multiple-negatives ranking loss, written as a small torch loop).

How, per shape of ``shapes.py`` (the same labelled queries and time split: oldest 70% development,
newest 30% held out):

1. the base measurement: ``shapes._measure_shape`` on ``DIR`` (the shipped model);
2. the cut: by default (development), the first query of the newer half of the development split;
   with ``--held-out``, the first held-out query;
3. the model is trained only on incidents that started before the cut (``DIR/finetune/RUN/SHAPE/model``);
4. the shape's export is imported again with that model (``precedent import`` with
   ``PRECEDENT_EMBEDDING_MODEL``), so every candidate and query is embedded by it and the ranking
   code is unchanged, then measured as ``shapes.py`` measures;
5. scored on the queries after the cut (the newer half of development; with ``--held-out`` the
   held-out split) with ``DEFAULT_WEIGHTS`` and with what ``tuning.choose`` picks from the
   queries before the cut, base model against tuned model, paired per query (95% bootstrap
   interval), per shape and pooled, over every candidate and over the judged pool
   (``pool-taxonomy.txt``; see "New signals tried on development only" in the README for why both).

``--rounds 0`` imports with the base model unchanged: the control, which shows how much a fresh
import alone moves the figures (the embedded HNSW build is not deterministic). ``--rounds 0 --model
PATH`` imports with another sentence-transformers folder as it is (no training), so the same
protocol compares the shipped model with a different one; the measurement with it computes the
baselines with it too (its embeddings baseline is that model's cosine order).

Run after ``prepare.py --shapes-only`` and the judge (see "Development shapes"), at low priority:
``nice -n 5 uv run python benchmarks/retrieval/finetune_dev.py DIR --run r8 --rounds 8``
(development); ``... --run held-r8 --rounds 8 --held-out`` once, at the very end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shapes import SHAPES, _measure_shape
from signals_dev import _UPDATES

from precedent.config import Settings
from precedent.embedding import DEFAULT_MODEL, resolve_model_path
from precedent.retrieval import DEFAULT_WEIGHTS, IncidentQuery
from precedent.retrieval.metrics import ndcg_at
from precedent.retrieval.query import SimilarOptions
from precedent.retrieval.tuning import LabelledQuery, bootstrap_mean, choose, per_query, split_by_time
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from precedent.model import Visibility

VISIBLE: tuple[Visibility, ...] = ("public", "private")
HELD_OUT = 0.3
"""The newest share of each shape's labelled queries held out, as ``shapes.py`` splits them."""
SCALE = 20.0
"""Cosine scale of the in-batch softmax (sentence-transformers' default for this loss)."""


@dataclasses.dataclass(frozen=True)
class Training:
    """How the model is fitted: rounds over the incidents (one write-up part each), batch, rate."""

    rounds: int
    batch: int = 16
    lr: float = 2e-5
    seed: int = 0


async def training_pairs(data_dir: Path, before: datetime) -> list[tuple[str, list[str]]]:
    """Per incident that started before ``before``: its text as declared, and its write-up parts.

    The parts are its post-mortem chunks, else the messages of its updates the posed text does not
    hold (posted after the first ones, or at the resolution). Incidents with neither are left out.
    """
    runtime = await Runtime.from_settings(Settings(data_dir=data_dir)).open()
    store, finder = runtime.store, runtime.finder
    pairs = []
    try:
        incidents = [
            n async for n in store.scan_nodes(["Incident"])
            if n.occurred_at is not None and n.occurred_at < before
        ]  # fmt: skip
        facts = await store.incident_facts([n.id for n in incidents], visibilities=VISIBLE, lessons=True)
        for incident in incidents:
            posed = await finder.pose(IncidentQuery(incident.id), SimilarOptions())
            parts = [c.text for c in facts[incident.id].chunks if c.text] if incident.id in facts else []
            if not parts:
                updates = [u for _, u in await store.neighbours(incident.id, _UPDATES)]
                said = (str(u.properties.get("message") or u.text or "").strip() for u in updates)
                parts = [s for s in said if s and s not in posed.text]
            if parts:
                pairs.append((posed.text, parts))
    finally:
        await runtime.close()
    return pairs


def fit_model(pairs: list[tuple[str, list[str]]], out: Path, training: Training) -> None:
    """Fine-tune the shipped model on ``pairs`` (in-batch negatives) and save it to ``out``.

    Each round takes one write-up part per incident, so no batch holds two positives of one
    incident (one would be the other's negative).
    """
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(training.seed)
    torch.set_num_threads(2)
    rng = random.Random(training.seed)
    model = SentenceTransformer(resolve_model_path(DEFAULT_MODEL), device="cpu")
    batches = []
    for _ in range(training.rounds):
        order = rng.sample(pairs, len(pairs))
        drawn = [(query, rng.choice(parts)) for query, parts in order]
        batches += [drawn[i : i + training.batch] for i in range(0, len(drawn), training.batch)]
    batches = [b for b in batches if len(b) > 1]
    optimiser = torch.optim.AdamW(model.parameters(), lr=training.lr)
    warmup = max(1, len(batches) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (len(batches) - step) / (len(batches) - warmup))),
    )
    model.train()
    losses = []
    for batch in batches:
        queries, documents = (
            model(model.preprocess([pair[side] for pair in batch]))["sentence_embedding"] for side in (0, 1)
        )
        similarity = (
            SCALE * torch.nn.functional.normalize(queries) @ torch.nn.functional.normalize(documents).T
        )
        loss = torch.nn.functional.cross_entropy(similarity, torch.arange(len(batch)))
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if len(losses) % 25 == 0:
            print(f"  step {len(losses)}/{len(batches)}, loss {np.mean(losses[-25:]):.3f}", flush=True)
    if losses:
        first, last = np.mean(losses[: len(losses) // 5 + 1]), np.mean(losses[-(len(losses) // 5 + 1) :])
        print(f"  {len(pairs)} incidents, {len(batches)} steps, loss {first:.3f} -> {last:.3f}", flush=True)
    model.save(str(out))


def reimport(export: Path, data_dir: Path, model: Path) -> None:
    """Import ``export`` into a fresh ``data_dir`` with ``model`` embedding every text (timed)."""
    env = {**os.environ, "PRECEDENT_DATA_DIR": str(data_dir), "PRECEDENT_EMBEDDING_MODEL": str(model)}
    command = [sys.executable, "-m", "precedent.cli.main", "import", str(export)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    print(f"  imported with {model} in {time.perf_counter() - started:.0f} s", flush=True)


def cut(
    queries: list[LabelledQuery], held_out: float, final: bool
) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """The queries before the cut (``tune`` fits on them) and after it (scored): the older and
    newer halves of development, or (``final``) development and the held-out split."""
    development, held = split_by_time(queries, held_out)
    return (development, held) if final else split_by_time(development, 0.5)


def in_pool(query: LabelledQuery, pool: set[str]) -> LabelledQuery:
    """``query`` with only the judged pool's candidates (their measured signals unchanged)."""
    keep = [i for i, c in enumerate(query.ids) if c in pool]
    return dataclasses.replace(query, ids=[query.ids[i] for i in keep], matrix=query.matrix[keep])


Measured = tuple[list[tuple[str, LabelledQuery]], dict[str, dict[str, list[str]]]]
"""What ``shapes._measure_shape`` returns: labelled queries by id, and each baseline's top 10 by id."""


def score_shape(base: Measured, tuned: Measured, pool: set[str], final: bool) -> dict[str, np.ndarray]:
    """Per-query nDCG@10 after the cut, base and tuned, with the default and with ``tune``'s pick
    from the queries before the cut, over every candidate and over the judged pool; and the
    embeddings baseline alone (cosine order, best chunk), over every candidate."""
    ids = {id(q): qid for qid, q in base[0]}
    values = {}
    by_id = dict(tuned[0])
    before, after = cut([q for _, q in base[0]], HELD_OUT, final)
    for model, (_, baselines) in (("base", base), ("tuned", tuned)):
        top = baselines["embeddings"]
        values[f"{model} embeddings every"] = np.array(
            [ndcg_at(top[ids[id(q)]], q.grades, 10) for q in after]
        )
    sets = {
        "base": (before, after),
        "tuned": tuple([by_id[ids[id(q)]] for q in qs] for qs in (before, after)),
    }
    for model, (fitted, scored) in sets.items():
        rankings = {"default": DEFAULT_WEIGHTS, "tune": choose(fitted, DEFAULT_WEIGHTS).weights}
        for ranking, weights in rankings.items():
            values[f"{model} {ranking} every"] = per_query(scored, weights)
            values[f"{model} {ranking} pool"] = per_query([in_pool(q, pool) for q in scored], weights)
    return values


def _gain(scored: list[dict[str, np.ndarray]], ranking: str, scope: str) -> str:
    gain = np.concatenate([s[f"tuned {ranking} {scope}"] - s[f"base {ranking} {scope}"] for s in scored])
    interval = bootstrap_mean(gain)
    return f"{interval.mean:+.3f} [{interval.low:+.3f}, {interval.high:+.3f}]"


ROWS = (
    ("default", "every"),
    ("default", "pool"),
    ("tune", "every"),
    ("tune", "pool"),
    ("embeddings", "every"),
)
"""The table's rows: ranking (``DEFAULT_WEIGHTS``, ``tune``'s pick, the cosine order alone) and scope."""


def report(scored: dict[str, dict[str, np.ndarray]]) -> dict[str, object]:
    """Print the per-shape and pooled table; return the figures."""
    figures: dict[str, object] = {}
    print("| shape | queries | ranking | scope | base | tuned | gain [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for ranking, scope in ROWS:
        for shape, values in [*scored.items(), ("pooled", None)]:
            parts = list(scored.values()) if values is None else [values]
            base = np.concatenate([p[f"base {ranking} {scope}"] for p in parts])
            tuned = np.concatenate([p[f"tuned {ranking} {scope}"] for p in parts])
            cells = f"{len(base)} | {ranking} | {scope} | {base.mean():.3f} | {tuned.mean():.3f}"
            print(f"| {shape} | {cells} | {_gain(parts, ranking, scope)} |")
            figures[f"{shape} {ranking} {scope}"] = {"base": base.tolist(), "tuned": tuned.tolist()}
    return figures


async def main(argv: list[str] | None = None) -> int:
    """Train, re-import, measure and score every shape for one training run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--run", required=True, help="name of this run (its folder under DIR/finetune)")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--rounds", type=int, default=8, help="rounds over the incidents (0: the control)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--model", type=Path, help="with --rounds 0: import with this model folder as it is")
    parser.add_argument("--held-out", action="store_true", help="train before the held-out split, score it")
    parser.add_argument("--json", type=Path, help="also write the per-query figures here")
    args = parser.parse_args(argv)
    if args.model is not None and args.rounds:
        parser.error("--model compares a model as it is: use it with --rounds 0")
    training = Training(args.rounds, args.batch, args.lr)
    run = args.dir / "finetune" / args.run
    scored: dict[str, dict[str, np.ndarray]] = {}
    for shape in args.shapes:
        base = await _measure_shape(args.dir, shape)
        before, after = cut([q for _, q in base[0]], HELD_OUT, args.held_out)
        when = after[0].declared_at
        assert when is not None, "labelled queries are dated"
        print(f"## {shape}: trained on incidents before {when:%Y-%m-%d} ({len(before)} queries before it, "
              f"{len(after)} scored)", flush=True)  # fmt: skip
        model = (
            run / shape / "model"
            if training.rounds
            else (args.model or Path(resolve_model_path(DEFAULT_MODEL)))
        )
        if not (run / shape / "data" / "graph").exists():
            if training.rounds:
                fit_model(await training_pairs(args.dir / shape / "data", when), model, training)
            reimport(args.dir / shape / "export", run / shape / "data", model)
        judgments = run / shape / "judgments-taxonomy.jsonl"
        if not judgments.exists():
            judgments.symlink_to(args.dir / shape / "judgments-taxonomy.jsonl")
        tuned = await _measure_shape(run, shape, str(model))
        pool = set((args.dir / shape / "pool-taxonomy.txt").read_text(encoding="utf-8").split())
        scored[shape] = score_shape(base, tuned, pool, args.held_out)
    other = f"model {args.model}" if args.model else str(training)
    print(f"\n## {args.run}: {other} ({'held out' if args.held_out else 'newer half of development'}), "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    figures = report(scored)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
