"""Held-out quality per history shape: the ranking fitted to each history vs the default and four baselines.

What it measures, per development shape (``prepare.py``'s ``SHAPES``: Azure post-incident
reviews, AWS and GCP status events, GitHub's 2024 status history), with the rule-based taxonomy
labels of ``judge_github.py --dataset NAME`` (made from write-ups the queries never see):

1. every labelled query is posed as declared and measured once (``SimilarIncidentFinder.measure``
   with the default shapes), cached in ``DIR/shapes-cache/NAME.pkl``;
2. the labelled queries are ordered by declaration time; the most recent ``--held-out`` share
   (default 0.3) is the benchmark's held-out split, never seen by the fit;
3. ``retrieval.tuning.choose`` runs on the development split alone, exactly as
   ``precedent tune`` does on a map (it holds out the newest part of development to decide
   whether the fit beats the default); for comparison, so does the same policy with
   ``SCORE_WEIGHTS`` (the default until December 2026, score fusion) as the incumbent;
4. on the held-out split: nDCG@10 and MRR, each with a 95% bootstrap interval over queries, for
   the chosen ranking, the choice with the old default, the default, the old default,
   ``RRF_WEIGHTS`` (rank fusion
   written as weights, a check that the rank signals reproduce the baseline), BM25, embeddings
   (MiniLM cosine, best of an incident's chunks), the most recent incident on the same service,
   and RRF(BM25, embeddings) with a same-service boost; then the macro mean over shapes and
   the ratio to the best baseline.

Run (after ``prepare.py --shapes-only`` and the judge per shape), at low priority:
``nice -n 10 uv run python benchmarks/retrieval/shapes.py [DIR] [--shapes azure aws gcp gh24]``

``--choose-default`` (development splits only, no held-out query read) prints how
``DEFAULT_WEIGHTS`` was chosen: leave one shape out, each procedure of ``default_procedures``
picks weights on the other shapes and is scored on the left-out one; the best procedure whose
weights rank the planted precedent of the end-to-end tests first (``planted_guard``, measured
with the real model) is then applied to every shape's development split.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.retrieval.small_org import build, payments_db_outage

from precedent.config import Settings
from precedent.retrieval import DEFAULT_WEIGHTS, SimilarIncidentFinder
from precedent.retrieval.evaluation import Baselines, parse_judgments, pose_judgment
from precedent.retrieval.fusion import RANK_CONSTANT, SIGNALS
from precedent.retrieval.metrics import ndcg_at, reciprocal_rank
from precedent.retrieval.query import SimilarOptions
from precedent.retrieval.tuning import (
    LabelledQuery,
    ablations,
    bootstrap_mean,
    choose,
    fit_weights,
    per_query,
    rank_ids,
    split_by_time,
)
from precedent.retrieval.weights import RRF_WEIGHTS, SCORE_WEIGHTS
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.retrieval.choice import RankingChoice
    from precedent.retrieval.weights import Weights

DEFAULT_DIR = Path(".precedent/bench")
SHAPES = ("azure", "aws", "gcp", "gh24")
BASELINES = ("bm25", "embeddings", "recent_same_service", "rrf_same_service")
RANK_SIGNALS = ("lexical_rank", "semantic_rank", "shares_service")


async def _measure_shape(
    root: Path, name: str, model: str | None = None
) -> tuple[list[tuple[str, LabelledQuery]], dict[str, dict[str, list[str]]]]:
    """Labelled queries of one shape, and every baseline's top 10 per query id (cached).

    ``model`` is the embedding model the map was imported with (the settings' default if not given).
    """
    cache = root / "shapes-cache" / f"{name}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())  # type: ignore[no-any-return]
    settings = Settings(data_dir=root / name / "data")
    if model is not None:
        settings = settings.model_copy(update={"embedding_model": model})
    runtime = await Runtime.from_settings(settings).open()
    store, embedder = runtime.store, runtime.embedder
    queries: list[tuple[str, LabelledQuery]] = []
    baselines: dict[str, dict[str, list[str]]] = {}
    try:
        finder = SimilarIncidentFinder(store, embedder, weights=DEFAULT_WEIGHTS)
        rankers = Baselines(store, embedder).rankers()
        with (root / name / "judgments-taxonomy.jsonl").open(encoding="utf-8") as lines:
            judgments = parse_judgments(lines)
        for number, judgment in enumerate(judgments, start=1):
            judged = await pose_judgment(finder, store, judgment, SimilarOptions())
            if judged is None:
                continue
            posed, grades = judged
            ids, matrix = (await finder.measure(posed)).matrix()
            key = judgment.query_id
            half_life = DEFAULT_WEIGHTS.half_life_days
            queries.append((key, LabelledQuery(ids, matrix, grades, posed.declared_at, half_life)))
            for system, rank in rankers.items():
                baselines.setdefault(system, {})[key] = await rank(posed)
            if number % 25 == 0:
                print(f"  {name}: {number}/{len(judgments)} queries measured", flush=True)
    finally:
        await runtime.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps((queries, baselines)))
    return queries, baselines


def _interval(values: np.ndarray) -> dict[str, float]:
    interval = bootstrap_mean(values)
    return {"mean": interval.mean, "low": interval.low, "high": interval.high}


def _baseline_values(
    rankings: dict[str, list[str]], held: list[tuple[str, LabelledQuery]]
) -> tuple[np.ndarray, np.ndarray]:
    ndcg = np.array([ndcg_at(rankings[qid], q.grades, 10) for qid, q in held])
    mrr = np.array([reciprocal_rank(rankings[qid], q.grades) for qid, q in held])
    return ndcg, mrr


def evaluate_shape(
    queries: list[tuple[str, LabelledQuery]], baselines: dict[str, dict[str, list[str]]], held_out: float
) -> tuple[dict[str, dict[str, object]], RankingChoice, dict[str, float]]:
    """Choose on development, then score every system on the held-out split."""
    by_query = {id(q): qid for qid, q in queries}
    development, held = split_by_time([q for _, q in queries], held_out)
    choice = choose(development, DEFAULT_WEIGHTS)
    # The same policy with the old default (score fusion) as the incumbent: the ranking of before.
    before = choose(development, SCORE_WEIGHTS)
    held_pairs = [(by_query[id(q)], q) for q in held]
    rows: dict[str, dict[str, object]] = {}
    systems = (
        ("precedent (chosen)", choice.weights),
        ("precedent (chosen, old default)", before.weights),
        ("precedent (default)", DEFAULT_WEIGHTS),
        ("precedent (SCORE_WEIGHTS, old default)", SCORE_WEIGHTS),
        ("precedent (RRF_WEIGHTS)", RRF_WEIGHTS),
    )
    for system, weights in systems:
        ndcg = per_query(held, weights)
        rows[system] = {"ndcg_10": _interval(ndcg), "mrr": _interval(per_query(held, weights, "mrr"))}
        rows[system]["per_query_ndcg_10"] = ndcg.tolist()  # type: ignore[assignment]
    for system in BASELINES:
        ndcg, mrr = _baseline_values(baselines[system], held_pairs)
        rows[system] = {"ndcg_10": _interval(ndcg), "mrr": _interval(mrr)}
        rows[system]["per_query_ndcg_10"] = ndcg.tolist()  # type: ignore[assignment]
    rows["_counts"] = {"development": len(development), "held_out": len(held)}
    rows["_before_choice"] = {"source": before.source, "reason": before.reason}
    return rows, choice, ablations(development, choice.weights)


async def main(argv: list[str] | None = None) -> int:
    """Measure every shape and print the per-shape table and the macro summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--held-out", type=float, default=0.3, help="share of the newest queries held out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--transfer",
        action="store_true",
        help="also: do fits on the other shapes beat the default?",
    )
    parser.add_argument(
        "--choose-default",
        action="store_true",
        help="only: choose DEFAULT_WEIGHTS by leave-one-shape-out on the development splits",
    )
    args = parser.parse_args(argv)
    figures: dict[str, object] = {}
    development: dict[str, list[LabelledQuery]] = {}
    if args.choose_default:
        for name in args.shapes:
            queries, _ = await _measure_shape(args.dir, name)
            development[name] = split_by_time([q for _, q in queries], args.held_out)[0]
        chosen = choose_default(development, await planted_guard())
        if args.json:
            args.json.write_text(json.dumps(chosen, indent=1, sort_keys=True))
        return 0
    for name in args.shapes:
        queries, baselines = await _measure_shape(args.dir, name)
        development[name] = split_by_time([q for _, q in queries], args.held_out)[0]
        rows, choice, dropped = evaluate_shape(queries, baselines, args.held_out)
        figures[name] = {"rows": rows, "choice": json.loads(choice.to_json()), "ablations": dropped}
        counts = rows["_counts"]
        print(f"\n## {name}: {counts['development']} development / {counts['held_out']} held-out queries")
        print(f"choice: {choice.source} ({choice.reason})")
        print(f"choice with the old default as incumbent: {rows['_before_choice']['source']}")
        print("weights: " + ", ".join(f"{s}={choice.weights.of(s):g}" for s in SIGNALS)
              + f", half_life_days={choice.weights.half_life_days:g}")  # fmt: skip
        print("| system | nDCG@10 [95% CI] | MRR [95% CI] |\n|---|---|---|")
        for system, row in rows.items():
            if system.startswith("_"):
                continue
            n, m = row["ndcg_10"], row["mrr"]
            print(
                f"| {system} | {n['mean']:.3f} [{n['low']:.3f}, {n['high']:.3f}] "  # type: ignore[index]
                f"| {m['mean']:.3f} [{m['low']:.3f}, {m['high']:.3f}] |"  # type: ignore[index]
            )
        ordered = sorted(dropped.items(), key=lambda kv: kv[1])
        print("ablations on development (nDCG@10 without):", ", ".join(f"{s} {d:+.3f}" for s, d in ordered))
    _macro(figures)
    if args.transfer:
        figures["_transfer"] = transfer(development)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True))
    return 0


def transfer(development: dict[str, list[LabelledQuery]]) -> dict[str, dict[str, float]]:
    """Leave one shape out, on development splits only: fit on the others, score on it.

    A default has to serve organisations it was not fitted to; this asks whether weights fitted
    on the other histories beat ``DEFAULT_WEIGHTS`` (and ``RRF_WEIGHTS``) on each history.
    """
    print("\n## transfer: fitted on the other shapes' development, scored on this one's development")
    print("| shape | default | RRF_WEIGHTS | fitted on the others | gain over default [95% CI] |")
    print("|---|---|---|---|---|")
    out: dict[str, dict[str, float]] = {}
    gains = []
    for name, queries in development.items():
        others = [q for other, qs in development.items() if other != name for q in qs]
        fitted = fit_weights(others, DEFAULT_WEIGHTS)
        default, rrf, fit = (per_query(queries, w) for w in (DEFAULT_WEIGHTS, RRF_WEIGHTS, fitted))
        gain = bootstrap_mean(fit - default)
        gains.append(fit - default)
        out[name] = {"default": default.mean(), "rrf": rrf.mean(), "fitted": fit.mean(), "gain_low": gain.low}
        print(
            f"| {name} | {default.mean():.3f} | {rrf.mean():.3f} | {fit.mean():.3f} "
            f"| {gain.mean:+.3f} [{gain.low:+.3f}, {gain.high:+.3f}] |"
        )
    pooled = bootstrap_mean(np.concatenate(gains))
    print(f"pooled gain over the default: {pooled.mean:+.3f} [{pooled.low:+.3f}, {pooled.high:+.3f}]")
    every = fit_weights([q for qs in development.values() for q in qs], DEFAULT_WEIGHTS)
    print(
        "fitted on every development split: "
        + ", ".join(f"{s}={every.of(s):g}" for s in SIGNALS if every.of(s))
    )
    out["_pooled"] = {"gain": pooled.mean, "low": pooled.low, "high": pooled.high}
    return out


REFERENCE = " (for reference)"
"""Marks rows that are not candidates: fixed weights read off this table would be chosen on every
shape, and weights that fail the planted-precedent guard cannot be the default."""
ALPHAS = (0.0, 0.125, 0.25, 0.5, 1.0)
"""How much of the old default's score fusion the rank-fusion defaults add (0: RRF alone)."""
SAME_SERVICE = (0.05, 0.1, 0.15, 0.2)
"""Same-service boosts tried, against 0.2 for a first place in each rank order."""
RANK_CONSTANTS = {"pool-scaled constant": None, "constant 60": 60}
"""The rank values compared: as measured (constant ``min(60, candidates)``) and RRF's fixed 60."""


def hybrid(alpha: float, score: Weights, same_service: float = 0.2) -> Weights:
    """``RRF_WEIGHTS`` plus ``alpha`` times the score-fusion weights of ``score`` (shapes from ``score``).

    At ``alpha = 0`` and ``same_service = 0.2`` this is the RRF + same-service baseline written as
    weights, so a default of this family contains that baseline as a special case.
    """
    values = {s: RRF_WEIGHTS.of(s) + alpha * score.of(s) for s in SIGNALS}
    values["shares_service"] = same_service + alpha * score.of("shares_service")
    return dataclasses.replace(score, **values)


def with_rank_constant(query: LabelledQuery, constant: int | None) -> LabelledQuery:
    """The query's rank columns recomputed with a fixed rank constant (``None``: as measured).

    Measured values are ``(C + 1) / (C + r)`` with ``C = min(60, candidates)``, so each rank ``r``
    is recovered exactly and re-valued; a rank beyond the depth stays 0.
    """
    if constant is None or not len(query.ids):
        return query
    measured = max(1, min(RANK_CONSTANT, len(query.ids)))
    matrix = query.matrix.copy()
    for signal in ("lexical_rank", "semantic_rank"):
        column = matrix[:, SIGNALS.index(signal)]
        ranked = column > 0
        rank = np.rint((measured + 1) / column[ranked] - measured)
        column[ranked] = (constant + 1) / (constant + rank)
    return dataclasses.replace(query, matrix=matrix)


async def planted_guard() -> list[LabelledQuery]:
    """The planted-precedent queries of the end-to-end tests, measured as those tests pose them.

    ``tests/retrieval/small_org.py`` (INC-10 is the precedent of INC-20; a described payments-db
    query; INC-14, linked to INC-10) built in a temporary embedded store, once with the real
    model (``test_similar.py``) and once with the hash embedder (``test_evaluation.py``). A
    default must rank INC-10 first for every one of them: these are the tests it has to pass.
    """
    from precedent.embedding import HashEmbedder, SentenceTransformerEmbedder
    from precedent.model import OWNER_VIEWER
    from precedent.retrieval import IncidentQuery
    from precedent.store.embedded import EmbeddedStore

    model = SentenceTransformerEmbedder()
    await model.load()
    guard = []
    for embedder in (model, HashEmbedder()):
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "graph", dimensions=384)
            await store.open()
            try:
                await build(store, embedder)
                finder = SimilarIncidentFinder(store, embedder, weights=DEFAULT_WEIGHTS)
                for query, options in (
                    (IncidentQuery("INC-20"), SimilarOptions()),
                    (payments_db_outage(), SimilarOptions()),
                    (IncidentQuery("INC-14"), SimilarOptions(viewer=OWNER_VIEWER)),
                ):
                    posed = await finder.pose(query, options)
                    ids, matrix = (await finder.measure(posed)).matrix()
                    half_life = DEFAULT_WEIGHTS.half_life_days
                    guard.append(LabelledQuery(ids, matrix, {"inc-10": 1}, posed.declared_at, half_life))
            finally:
                await store.close()
    return guard


def passes_guard(guard: list[LabelledQuery], weights: Weights) -> bool:
    """Whether ``weights`` rank the planted precedent first for every query of ``planted_guard``."""
    return all(rank_ids(q, weights, 1) == ["inc-10"] for q in guard)


def _balanced(sets: dict[str, list[LabelledQuery]]) -> tuple[list[LabelledQuery], list[float]]:
    """Pool the sets with weights that make each set count equally, whatever its size."""
    pooled = [q for qs in sets.values() for q in qs]
    weights = [1.0 / len(qs) for qs in sets.values() for _ in qs]
    return pooled, weights


def _macro_mean(sets: dict[str, list[LabelledQuery]], weights: Weights) -> float:
    return float(np.mean([per_query(qs, weights).mean() for qs in sets.values()]))


def default_procedures(
    score: Weights, guard: list[LabelledQuery]
) -> dict[str, Callable[[dict[str, list[LabelledQuery]]], Weights]]:
    """Ways of choosing a default from several histories' development splits (each counting equally).

    Each rank-fusion family picks ``alpha`` (share of score fusion) and the same-service boost;
    "passing" families pick only among weights that pass the planted-precedent guard.
    """

    def fixed(weights: Weights) -> Callable[[dict[str, list[LabelledQuery]]], Weights]:
        return lambda _sets: weights

    grid = [hybrid(a, score, b) for a in ALPHAS for b in SAME_SERVICE]
    passing = [w for w in grid if passes_guard(guard, w)]

    def best_of(candidates: list[Weights]) -> Callable[[dict[str, list[LabelledQuery]]], Weights]:
        def pick(sets: dict[str, list[LabelledQuery]]) -> Weights:
            values = [_macro_mean(sets, w) for w in candidates]
            return candidates[int(np.argmax(values))]  # the first of equals: the smaller alpha and boost

        return pick

    def pooled_fit(
        start: Callable[[dict[str, list[LabelledQuery]]], Weights],
    ) -> Callable[[dict[str, list[LabelledQuery]]], Weights]:
        def fit(sets: dict[str, list[LabelledQuery]]) -> Weights:
            pooled, weights = _balanced(sets)
            return fit_weights(pooled, start(sets), query_weights=weights)

        return fit

    return {
        "score fusion (old default)": fixed(score),
        f"RRF_WEIGHTS{REFERENCE}": fixed(RRF_WEIGHTS),
        f"RRF + 0.25 x score, boost 0.2 (the default measured on 3 Dec){REFERENCE}": fixed(
            hybrid(0.25, score)
        ),
        f"RRF + alpha x score + boost, chosen among all{REFERENCE}": best_of(grid),
        "RRF + alpha x score + boost, chosen among those passing the guard": best_of(passing),
        f"pooled fit from the passing choice{REFERENCE}": pooled_fit(best_of(passing)),
    }


def choose_default(
    development: dict[str, list[LabelledQuery]], guard: list[LabelledQuery], score: Weights | None = None
) -> dict[str, object]:
    """Leave one shape out: each procedure picks weights on the other shapes' development splits
    and is scored on the left-out shape's development split; the eligible procedure with the best
    mean over left-out shapes is then applied to every development split, giving the default.

    Every procedure is run once per rank-value family of ``RANK_CONSTANTS`` (the measured
    columns re-valued, the guard's too). No held-out query is read: the benchmark's held-out
    splits stay untouched for the final table.
    """
    score = score or SCORE_WEIGHTS
    names = list(development)
    table: dict[str, dict[str, float]] = {}
    per_query_by: dict[str, dict[str, np.ndarray]] = {}
    procedures: dict[str, Callable[[dict[str, list[LabelledQuery]]], Weights]] = {}
    print("\n## choosing the default: leave one shape out, development splits only")
    print("| rank values | procedure | " + " | ".join(names) + " | mean | passes the guard |")
    print("|---|---|" + "---|" * (len(names) + 2))
    for family, constant in RANK_CONSTANTS.items():
        sets = {n: [with_rank_constant(q, constant) for q in qs] for n, qs in development.items()}
        family_guard = [with_rank_constant(q, constant) for q in guard]
        for label, procedure in default_procedures(score, family_guard).items():
            row, values, passes = {}, {}, True
            for name in names:
                weights = procedure({o: qs for o, qs in sets.items() if o != name})
                passes = passes and passes_guard(family_guard, weights)
                values[name] = per_query(sets[name], weights)
                row[name] = float(values[name].mean())
            row["mean"] = float(np.mean([row[n] for n in names]))
            key = (
                f"{family}: {label}"
                if passes or label.endswith(REFERENCE)
                else f"{family}: {label}{REFERENCE}"
            )
            table[key], per_query_by[key] = row, values
            procedures[key] = lambda d, p=procedure, c=constant: p(  # type: ignore[misc]
                {n: [with_rank_constant(q, c) for q in qs] for n, qs in d.items()}
            )
            print(f"| {family} | {label} | " + " | ".join(f"{row[n]:.3f}" for n in names)
                  + f" | {row['mean']:.3f} | {'yes' if passes else 'no'} |")  # fmt: skip
    # Ties go to the simpler procedure (earlier in the list); reference rows are not candidates.
    candidates = [label for label in table if not label.endswith(REFERENCE)]
    order = list(table)
    best = max(candidates, key=lambda label: (round(table[label]["mean"], 6), -order.index(label)))
    for reference in (
        "constant 60: " + f"RRF_WEIGHTS{REFERENCE}",
        "pool-scaled constant: score fusion (old default)",
    ):
        gains = np.concatenate([per_query_by[best][n] - per_query_by[reference][n] for n in names])
        gain = bootstrap_mean(gains)
        print(f"best procedure: {best}; per-query gain over {reference} on left-out shapes "
              f"{gain.mean:+.3f} [{gain.low:+.3f}, {gain.high:+.3f}]")  # fmt: skip
    chosen = procedures[best](development)
    print("default chosen on every development split: "
          + ", ".join(f"{s}={chosen.of(s):g}" for s in SIGNALS if chosen.of(s))
          + f", half_life_days={chosen.half_life_days:g}")  # fmt: skip
    print("development nDCG@10 of the chosen default per shape: "
          + ", ".join(f"{n} {per_query(development[n], chosen).mean():.3f}" for n in names))  # fmt: skip
    return {"table": table, "best": best, "weights": dataclasses.asdict(chosen)}


def _macro(figures: dict[str, object]) -> None:
    systems = [
        "precedent (chosen)",
        "precedent (chosen, old default)",
        "precedent (default)",
        "precedent (SCORE_WEIGHTS, old default)",
        "precedent (RRF_WEIGHTS)",
        *BASELINES,
    ]
    print("\n## macro over shapes (mean of per-shape means)")
    means = {}
    shapes = [f for name, f in figures.items() if not name.startswith("_")]
    for system in systems:
        ndcg = [f["rows"][system]["ndcg_10"]["mean"] for f in shapes]  # type: ignore[index]
        mrr = [f["rows"][system]["mrr"]["mean"] for f in shapes]  # type: ignore[index]
        means[system] = (float(np.mean(ndcg)), float(np.mean(mrr)))
        print(f"| {system} | {means[system][0]:.3f} | {means[system][1]:.3f} |")
    best = max(BASELINES, key=lambda s: means[s][0])
    ratio = means["precedent (chosen)"][0] / means[best][0] if means[best][0] else float("nan")
    print(f"best baseline by macro nDCG@10: {best}; chosen / best = {ratio:.2f}")
    per_shape = {
        system: [np.array(f["rows"][system]["per_query_ndcg_10"]) for f in shapes]  # type: ignore[index]
        for system in systems
    }
    print("macro nDCG@10 [95% bootstrap interval, queries resampled within each shape]:")
    for system in systems:
        low, high = _macro_interval(per_shape[system])
        print(f"  {system}: {means[system][0]:.3f} [{low:.3f}, {high:.3f}]")
    low, high = _macro_interval(per_shape["precedent (chosen)"], per_shape[best])
    print(f"  chosen / {best}: {ratio:.2f} [{low:.2f}, {high:.2f}]")


def _macro_interval(
    values: list[np.ndarray], baseline: list[np.ndarray] | None = None, samples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean of per-shape means (or of its ratio to
    ``baseline``'s, paired: the same resampled queries score both), resampling within each shape."""
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(samples):
        picks = [rng.integers(0, len(v), size=len(v)) for v in values]
        macro = np.mean([v[p].mean() for v, p in zip(values, picks, strict=True)])
        if baseline is not None:
            macro /= np.mean([b[p].mean() for b, p in zip(baseline, picks, strict=True)])
        stats.append(macro)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
