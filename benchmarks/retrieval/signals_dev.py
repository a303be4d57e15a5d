"""Candidate ranking signals, tried on the development splits of the history shapes only.

What it measures: for each candidate signal (or replacement of a signal), the nDCG@10 gain over
``DEFAULT_WEIGHTS`` on the development split (the oldest 70% of labelled queries, as
``shapes.py`` and ``tuning.split_by_time`` cut them) of each shape, with the signal's weight chosen
by leave one shape out (picked among ``ADDED_WEIGHTS`` on the other three shapes' development
splits, scored on the left-out one). Held-out queries are dropped when read and never scored.

Every figure is given twice: over every candidate (as ``shapes.py`` scores) and over the judged
pool only (``pool-taxonomy.txt``: incidents whose write-up the judge could categorise). The
judge cannot call an incident without a write-up relevant, so over every candidate any prior
towards documented incidents scores as a gain; a gain that vanishes over the judged pool is that
artefact, not a better ranking.

Per candidate it reads (cached in ``DIR/signals-cache/NAME.pkl``): the measured signal matrix
(``SimilarIncidentFinder.measure``, as served), the query's and every candidate's text as
declared (name and first updates, posed as a query is) embedded with the map's model, the
incident, update and post-mortem chunk vectors, services and start times.

Run after ``prepare.py --shapes-only`` and the judge (see "Development shapes"), at low priority:
``nice -n 10 uv run python benchmarks/retrieval/signals_dev.py DIR --shapes azure aws gcp gh24``
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from precedent.config import Settings
from precedent.model import GraphFilter
from precedent.retrieval import DEFAULT_WEIGHTS, IncidentQuery, SimilarIncidentFinder
from precedent.retrieval.evaluation import parse_judgments, pose_judgment
from precedent.retrieval.fusion import SIGNALS, rank_values, semantic_value
from precedent.retrieval.metrics import ndcg_at
from precedent.retrieval.query import SimilarOptions
from precedent.retrieval.tuning import LabelledQuery, bootstrap_mean, fit_weights, per_query, split_by_time
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from precedent.store.base import GraphStore

SHAPES = ("azure", "aws", "gcp", "gh24")
ADDED_WEIGHTS = (0.05, 0.1, 0.2)
"""Weights an added signal is tried at (a first place in a rank order is worth 0.2)."""
DEFAULT = np.array([DEFAULT_WEIGHTS.of(s) for s in SIGNALS])
COLUMN = {s: i for i, s in enumerate(SIGNALS)}
_UPDATES = GraphFilter(rel_types=("HAS_UPDATE",), direction="out")
_POSTMORTEM = GraphFilter(rel_types=("HAS_POSTMORTEM",), direction="out")
_CHUNKS = GraphFilter(rel_types=("HAS_CHUNK",), direction="out")


@dataclass
class Incident:
    """What the exploration knows of one incident of the map."""

    declared: np.ndarray
    vector: np.ndarray | None
    updates: np.ndarray
    chunks: np.ndarray
    services: frozenset[str]
    started: datetime | None

    def writeup(self) -> np.ndarray | None:
        """Mean vector of what it says after its declaration: its post-mortem, else its later updates."""
        parts = self.chunks if len(self.chunks) else self.updates[2:]
        if not len(parts):
            return None
        mean = parts.mean(0)
        return mean / np.linalg.norm(mean)


@dataclass
class Query:
    """One labelled development query: its measured candidates and what is known of them."""

    query_id: str
    labelled: LabelledQuery
    candidates: list[Incident]
    query: Incident
    pool: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


async def _incident(
    store: GraphStore, finder: SimilarIncidentFinder, incident_id: str
) -> tuple[str, Incident]:
    posed = await finder.pose(IncidentQuery(incident_id), SimilarOptions())
    updates = sorted(
        (n for _, n in await store.neighbours(incident_id, _UPDATES) if n.label == "IncidentUpdate"),
        key=lambda n: (n.occurred_at is None, n.occurred_at, n.id),
    )
    chunk_ids = [c.id for _, pm in await store.neighbours(incident_id, _POSTMORTEM)
                 for _, c in await store.neighbours(pm.id, _CHUNKS)]  # fmt: skip
    nodes = await store.get_nodes([incident_id, *(u.id for u in updates), *chunk_ids], with_embeddings=True)
    vectors = {n.id: n.embedding for n in nodes if n.embedding is not None}

    def stack(ids: list[str]) -> np.ndarray:
        found = [vectors[i] for i in ids if i in vectors]
        return np.array(found) if found else np.zeros((0, 384))

    incident = Incident(
        declared=np.zeros(0),
        vector=vectors.get(incident_id),
        updates=stack([u.id for u in updates]),
        chunks=stack(chunk_ids),
        services=frozenset(posed.service_ids),
        started=posed.declared_at,
    )
    return posed.text, incident


async def measure_shape(root: Path, name: str) -> list[Query]:
    """Every labelled query of ``name`` with its candidates (cached); development and held out."""
    cache = root / "signals-cache" / f"{name}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())  # type: ignore[no-any-return]
    runtime = await Runtime.from_settings(Settings(data_dir=root / name / "data")).open()
    store, embedder = runtime.store, runtime.embedder
    finder = SimilarIncidentFinder(store, embedder, weights=DEFAULT_WEIGHTS)
    known: dict[str, Incident] = {}
    queries = []
    try:
        with (root / name / "judgments-taxonomy.jsonl").open(encoding="utf-8") as lines:
            judgments = parse_judgments(lines)
        for judgment in judgments:
            judged = await pose_judgment(finder, store, judgment, SimilarOptions())
            if judged is None:
                continue
            posed, grades = judged
            ids, matrix = (await finder.measure(posed)).matrix()
            new = sorted(i for i in {*ids, judgment.query_id} if i not in known)
            read = [await _incident(store, finder, i) for i in new]
            for incident_id, (_, incident), vector in zip(
                new, read, await embedder.embed([t for t, _ in read]) if read else [], strict=True
            ):
                incident.declared = np.asarray(vector)
                known[incident_id] = incident
            labelled = LabelledQuery(ids, matrix, grades, posed.declared_at, DEFAULT_WEIGHTS.half_life_days)
            queries.append(
                Query(judgment.query_id, labelled, [known[i] for i in ids], known[judgment.query_id])
            )
    finally:
        await runtime.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(queries))
    return queries


def _ranks(values: np.ndarray, ids: list[str]) -> np.ndarray:
    found = rank_values(dict(zip(ids, values.tolist(), strict=True)), len(ids))
    return np.array([found[i] for i in ids])


def _cosines(query: np.ndarray, vectors: list[np.ndarray | None]) -> np.ndarray:
    return np.array([float(v @ query) if v is not None and len(v) else -1.0 for v in vectors])


def _best(query: np.ndarray, parts: np.ndarray, top: int = 1) -> float:
    return float(np.sort(parts @ query)[-top:].mean()) if len(parts) else -1.0


def _consensus(ids: list[str], vectors: list[np.ndarray | None], around: list[int]) -> np.ndarray:
    """Rank values of each candidate's cosine to the mean of the ``around`` candidates' vectors."""
    have = [vectors[k] for k in around if vectors[k] is not None]
    if not have:
        return np.zeros(len(ids))
    centre = np.mean(have, axis=0)
    cosines = _cosines(centre / np.linalg.norm(centre), vectors)
    return _ranks(cosines, ids) * (cosines > -1.0)


def features(query: Query) -> dict[str, np.ndarray]:
    """Every candidate signal tried, as columns over ``query``'s candidates."""
    ids, q = list(query.labelled.ids), query.query.declared
    cands = query.candidates
    mine = query.query.services
    declared = _cosines(q, [c.declared for c in cands])
    incident = _cosines(q, [c.vector for c in cands])
    updates = np.array([_best(q, c.updates) for c in cands])
    exact_max = np.maximum.reduce([incident, updates, np.array([_best(q, c.chunks) for c in cands])])
    top3 = np.maximum.reduce([incident, updates, np.array([_best(q, c.chunks, 3) for c in cands])])
    writeups = [c.writeup() for c in cands]
    default_order = list(np.lexsort((np.arange(len(ids)), -(query.labelled.matrix @ DEFAULT)))[:5])
    declared_at = query.labelled.declared_at

    def same_event(c: Incident) -> float:
        close = c.started is not None and declared_at is not None
        return 1.0 if close and mine & c.services and (declared_at - c.started).days < 1 else 0.0  # type: ignore[operator]

    return {
        "declared rank": _ranks(declared, ids),
        "declared score": np.array([semantic_value(v, 0.1) for v in declared]),
        "semantic by declared text": _ranks(declared, ids),
        "semantic exact, best chunk": _ranks(exact_max, ids),
        "semantic exact, best chunk (score)": np.array([semantic_value(v, 0.1) for v in exact_max]),
        "semantic exact, top-3 chunks": _ranks(top3, ids),
        "semantic exact, top-3 chunks (score)": np.array([semantic_value(v, 0.1) for v in top3]),
        "service coverage": np.array([len(mine & c.services) / len(mine) if mine else 0.0 for c in cands]),
        "service Jaccard": np.array(
            [len(mine & c.services) / len(mine | c.services) if mine and c.services else 0.0 for c in cands]
        ),
        "recency rank in the pool": _ranks(
            np.array([c.started.timestamp() if c.started else 0.0 for c in cands]), ids
        ),
        "consensus of the top 5's declared texts": _consensus(
            ids, [c.declared for c in cands], default_order
        ),
        # label-artefact probes: each favours incidents with a write-up, which only the judge needs
        "has a write-up (probe)": np.array([1.0 if w is not None else 0.0 for w in writeups]),
        "consensus of the top 5's write-ups (probe)": _consensus(ids, writeups, default_order),
        "same service within 24 h, demoted (probe)": -np.array([same_event(c) for c in cands]),
    }


REPLACES = {
    "semantic by declared text": {"semantic_rank": "semantic by declared text"},
    "semantic exact, best chunk": {
        "semantic_rank": "semantic exact, best chunk",
        "semantic": "semantic exact, best chunk (score)",
    },
    "semantic exact, top-3 chunks": {
        "semantic_rank": "semantic exact, top-3 chunks",
        "semantic": "semantic exact, top-3 chunks (score)",
    },
    "service coverage replaces shares_service": {"shares_service": "service coverage"},
    "service Jaccard replaces shares_service": {"shares_service": "service Jaccard"},
}
"""Variants that replace measured columns instead of adding one (no weight to choose)."""
ADDED = (
    "declared rank",
    "declared score",
    "service coverage",
    "recency rank in the pool",
    "consensus of the top 5's declared texts",
    "has a write-up (probe)",
    "consensus of the top 5's write-ups (probe)",
    "same service within 24 h, demoted (probe)",
)


def _ndcg(query: Query, columns: dict[str, np.ndarray], added: float, name: str, pooled: bool) -> float:
    labelled = query.labelled
    if not len(labelled.ids):
        return 0.0
    matrix = labelled.matrix
    if name in REPLACES:
        matrix = matrix.copy()
        for signal, column in REPLACES[name].items():
            matrix[:, COLUMN[signal]] = columns[column]
    scores = matrix @ DEFAULT
    if name in ADDED:
        scores = scores + added * columns[name]
    if pooled:
        scores = np.where(query.pool, scores, -np.inf)
    order = np.lexsort((np.arange(len(labelled.ids)), -scores))[:10]
    return ndcg_at([labelled.ids[i] for i in order], labelled.grades, 10)


def leave_one_shape_out(
    development: dict[str, list[Query]],
    name: str,
    pooled: bool,
    columns: Callable[[Query], dict[str, np.ndarray]],
) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
    """Per left-out shape: the gain over the default and the weight the other shapes chose."""

    def scores(shape: str, weight: float) -> np.ndarray:
        return np.array([_ndcg(q, columns(q), weight, name, pooled) for q in development[shape]])

    base = {s: np.array([_ndcg(q, columns(q), 0.0, "", pooled) for q in qs]) for s, qs in development.items()}
    options = ADDED_WEIGHTS if name in ADDED else (0.0,)
    table = {(s, w): scores(s, w) for s in development for w in options}
    gains, chosen, every = {}, {}, []
    for shape in development:
        others = [s for s in development if s != shape]
        weight = max(options, key=lambda w: np.mean([table[o, w].mean() for o in others]))
        gain = table[shape, weight] - base[shape]
        gains[shape], chosen[shape] = float(gain.mean()), weight
        every.append(gain)
    return gains, chosen, np.concatenate(every)


def pairwise_logistic(queries: list[Query], steps: int = 300, l2: float = 1e-3) -> np.ndarray:
    """Weights of a logistic model of "relevant above irrelevant" over the measured signals.

    Up to 20 irrelevant candidates per relevant one (grade 2 pairs count double), gradient
    descent from the default (scaled), so a fit that learns nothing stays near it.
    """
    rng = np.random.default_rng(0)
    pairs = []
    for query in queries:
        labelled = query.labelled
        grades = np.array([labelled.grades.get(i, 0) for i in labelled.ids])
        relevant, other = np.flatnonzero(grades > 0), np.flatnonzero(grades <= 0)
        for r in relevant if len(other) else ():
            for o in rng.choice(other, size=min(20, len(other)), replace=False):
                pairs.append((labelled.matrix[r] - labelled.matrix[o]) * grades[r])
    differences = np.array(pairs)
    weights = DEFAULT * 10.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(differences @ weights, -30.0, 30.0)))
        weights -= 5.0 * (-(differences * (1.0 - p)[:, None]).mean(axis=0) + l2 * weights)
    return weights


def _fused_ndcg(queries: list[Query], weights: np.ndarray) -> np.ndarray:
    values = []
    for query in queries:
        labelled = query.labelled
        order = np.lexsort((np.arange(len(labelled.ids)), -(labelled.matrix @ weights)))[:10]
        values.append(ndcg_at([labelled.ids[i] for i in order], labelled.grades, 10) if len(order) else 0.0)
    return np.array(values)


async def main(argv: list[str] | None = None) -> int:
    """Print, per candidate signal, its leave-one-shape-out gain on development splits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--held-out", type=float, default=0.3, help="share of the newest queries held out")
    args = parser.parse_args(argv)
    development: dict[str, list[Query]] = {}
    for shape in args.shapes:
        queries = await measure_shape(args.dir, shape)
        by_labelled = {id(q.labelled): q for q in queries}
        kept = split_by_time([q.labelled for q in queries], args.held_out)[0]  # held out: dropped here
        pool = set((args.dir / shape / "pool-taxonomy.txt").read_text(encoding="utf-8").split())
        development[shape] = [by_labelled[id(q)] for q in kept]
        for query in development[shape]:
            query.pool = np.array([i in pool for i in query.labelled.ids], dtype=bool)
    cached: dict[int, dict[str, np.ndarray]] = {}

    def columns(query: Query) -> dict[str, np.ndarray]:
        if id(query) not in cached:
            cached[id(query)] = features(query) if len(query.labelled.ids) else {}
        return cached[id(query)]

    base_all = {
        s: np.mean([_ndcg(q, columns(q), 0.0, "", False) for q in qs]) for s, qs in development.items()
    }
    for pooled in (False, True):
        base = {
            s: np.mean([_ndcg(q, columns(q), 0.0, "", pooled) for q in qs]) for s, qs in development.items()
        }
        scope = "judged pool only" if pooled else "every candidate"
        print(f"\n## development nDCG@10 gain over DEFAULT_WEIGHTS, leave one shape out ({scope})")
        print("| signal | " + " | ".join(development) + " | pooled gain [95% CI] | weights chosen |")
        print("|---|" + "---|" * (len(development) + 2))
        print("| DEFAULT_WEIGHTS (nDCG@10) | " + " | ".join(f"{v:.3f}" for v in base.values()) + " | | |")
        for name in (*ADDED, *REPLACES):
            gains, chosen, every = leave_one_shape_out(development, name, pooled, columns)
            interval = bootstrap_mean(every)
            weights = "-" if name in REPLACES else ", ".join(f"{w:g}" for w in chosen.values())
            spread = f"{interval.mean:+.4f} [{interval.low:+.4f}, {interval.high:+.4f}]"
            print(
                f"| {name} | "
                + " | ".join(f"{g:+.3f}" for g in gains.values())
                + f" | {spread} | {weights} |"
            )
    print("\nhow far reweighting the measured signals could go (every candidate, in-sample, optimistic):")
    for shape, queries in development.items():
        labelled = [q.labelled for q in queries]
        fitted = per_query(labelled, fit_weights(labelled, DEFAULT_WEIGHTS)).mean()
        found = [sum(q.grades.get(i, 0) > 0 for i in q.ids) for q in labelled]
        recall = np.mean(
            [f / max(1, sum(g > 0 for g in q.grades.values())) for f, q in zip(found, labelled, strict=True)]
        )
        ceiling = np.mean(
            [ndcg_at(sorted(q.ids, key=lambda i: -q.grades.get(i, 0)), q.grades, 10) for q in labelled]
        )
        print(
            f"  {shape}: default {base_all[shape]:.3f}, weights fitted on these same queries {fitted:.3f}, "
            f"every relevant candidate first {ceiling:.3f}; relevant among the candidates {recall:.2f}"
        )
    gains = {}
    for shape, queries in development.items():
        fitted = pairwise_logistic([q for s, qs in development.items() if s != shape for q in qs])
        gains[shape] = _fused_ndcg(queries, fitted) - _fused_ndcg(queries, DEFAULT)
    interval = bootstrap_mean(np.concatenate(list(gains.values())))
    print("per shape, fitted on the older half of its development split, scored on the newer half:")
    for shape, queries in development.items():
        older, newer = queries[: len(queries) // 2], queries[len(queries) // 2 :]
        default = _fused_ndcg(newer, DEFAULT)
        ascent = per_query(
            [q.labelled for q in newer], fit_weights([q.labelled for q in older], DEFAULT_WEIGHTS)
        )
        logistic = _fused_ndcg(newer, pairwise_logistic(older))
        spread = [bootstrap_mean(v - default) for v in (ascent, logistic)]
        labels = ("coordinate ascent", "logistic")
        found = [
            f"{label} {i.mean:+.3f} [{i.low:+.3f}, {i.high:+.3f}]"
            for label, i in zip(labels, spread, strict=True)
        ]
        print(f"  {shape}: default {default.mean():.3f}; " + "; ".join(found))
    print("\npairwise logistic on the measured signals, fitted on the other shapes (every candidate): "
          + ", ".join(f"{s} {g.mean():+.3f}" for s, g in gains.items())
          + f"; pooled {interval.mean:+.4f} [{interval.low:+.4f}, {interval.high:+.4f}]")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
