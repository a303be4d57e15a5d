"""Measures similar-incident ranking against relevance labels, beside simple baselines.

Labels come from RELATED_TO links people made in the map (an incident's earlier linked
incidents are relevant to it; ``duplicate`` links are judged apart) and from judgment files
(``{"query_id": ..., "relevant": [{"id": ..., "grade": 2}]}`` per line, as ``precedent generate``
writes). Every labelled incident is posed as it looked when declared; labels it could not have
found (started later, or not visible to it) are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.errors import InvalidJudgments, NotFound
from precedent.model import OWNER_VIEWER, SearchFilter
from precedent.retrieval.candidates import Limits, semantic_hits
from precedent.retrieval.context import admissible, gather_facts
from precedent.retrieval.metrics import MetricSummary, summarise
from precedent.retrieval.query import IncidentQuery, PosedQuery, SimilarOptions

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from precedent.embedding.base import Embedder
    from precedent.retrieval.similar import SimilarIncidentFinder
    from precedent.store.base import GraphStore

__all__ = [
    "Baselines",
    "EvaluationReport",
    "Judgment",
    "Ranker",
    "evaluate",
    "judgments_from_links",
    "parse_judgments",
    "pose_judgment",
    "read_judgments",
]

Ranker = Callable[[PosedQuery], Awaitable[list[str]]]
"""Ranks incident ids for a posed query, best first."""

K = 10


@dataclass(frozen=True)
class Judgment:
    """Graded relevance labels for one query incident."""

    query_id: str
    grades: Mapping[str, int]


_JUDGMENT_SHAPE = '{"query_id": "INC-12", "relevant": [{"id": "INC-3", "grade": 2}, "INC-7"]}'


def parse_judgments(lines: Iterable[str], source: str = "judgments") -> list[Judgment]:
    """Read judgment lines; ``relevant`` holds ids or ``{"id", "grade"}`` objects (grade 1 by default).

    Raises:
        InvalidJudgments: if a line is not a judgment (the message names ``source`` and the line).
    """
    judgments = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            judgments.append(_judgment(json.loads(line)))
        except ValueError as exc:  # json.JSONDecodeError is one
            raise InvalidJudgments(
                f"{source} line {number}: {exc}; each line is one JSON object such as {_JUDGMENT_SHAPE} "
                "(docs/tuning.md)"
            ) from exc
    return judgments


def read_judgments(path: Path) -> list[Judgment]:
    """Read a JSON-lines judgments file (see ``parse_judgments``).

    Raises:
        InvalidJudgments: if the file cannot be read or a line is not a judgment.
    """
    try:
        with path.open(encoding="utf-8") as lines:
            return parse_judgments(lines, source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidJudgments(
            f"cannot read the judgments file {path}: {reason}; pass a readable JSON-lines file "
            "(docs/tuning.md)"
        ) from exc


def _judgment(data: object) -> Judgment:
    if not isinstance(data, dict) or "query_id" not in data:
        raise ValueError("expected an object with query_id")
    relevant = data.get("relevant", [])
    if not isinstance(relevant, list):
        raise ValueError("relevant must be a list of ids or {id, grade} objects")
    grades: dict[str, int] = {}
    for item in relevant:
        if isinstance(item, dict):
            if "id" not in item:
                raise ValueError("a relevant object has no id")
            grade = item.get("grade", 1)
            if not isinstance(grade, int) or isinstance(grade, bool):
                raise ValueError(f"grade {grade!r} of {item['id']!r} is not a whole number")
            grades[str(item["id"])] = grade
        else:
            grades[str(item)] = 1
    return Judgment(str(data["query_id"]), grades)


async def judgments_from_links(store: GraphStore, *, duplicates: bool = False) -> list[Judgment]:
    """Turn RELATED_TO links into labels: each incident's earlier linked incidents, grade 1.

    Args:
        store: The map.
        duplicates: Use only ``kind: duplicate`` links (same event reported twice) instead of
            only the others, so the two are measured apart.
    """
    pairs = []
    async for edge in store.scan_edges(["RELATED_TO"]):
        if (str(edge.properties.get("kind", "")).lower() == "duplicate") == duplicates:
            pairs.append((edge.source, edge.target))
    ids = sorted({i for pair in pairs for i in pair})
    started = {n.id: n.occurred_at for n in await store.get_nodes(ids)}
    linked: dict[str, dict[str, int]] = {}
    for a, b in pairs:
        ta, tb = started.get(a), started.get(b)
        if ta is None or tb is None or ta == tb:
            continue
        later, earlier = (a, b) if ta > tb else (b, a)
        linked.setdefault(later, {})[earlier] = 1
    return [Judgment(q, grades) for q, grades in sorted(linked.items())]


RRF_K = 60
"""The constant of reciprocal-rank fusion (Cormack et al.)."""


class Baselines:
    """Rankings to beat: BM25; embeddings (cosine, max over an incident's chunks); the most recent
    incident on a shared service; and reciprocal-rank fusion of BM25 and embeddings with a
    same-service boost (as much as a first place in one list).
    """

    def __init__(self, store: GraphStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    def _filter(self, posed: PosedQuery) -> SearchFilter:
        return SearchFilter(
            labels=("Incident",),
            before=posed.before,
            exclude_ids=posed.exclude,
            visibilities=posed.visibilities,
        )

    async def bm25(self, posed: PosedQuery) -> list[str]:
        """BM25 over incident text."""
        hits = await self._store.text_search(posed.text, k=K, search_filter=self._filter(posed))
        return [h.node_id for h in hits]

    async def _cosines(self, posed: PosedQuery, k: int) -> dict[str, float]:
        if not posed.text.strip():
            return {}
        vector = (await self._embedder.embed([posed.text]))[0]
        limits = Limits(vector_k=k, part_k=k)
        incidents, parts = await semantic_hits(self._store, vector, posed, limits)
        best = dict(incidents)
        for incident_id, score in parts.items():
            best[incident_id] = max(best.get(incident_id, -1.0), score)
        admitted = {n.id for n in await self._store.get_nodes(sorted(best)) if admissible(n, posed)}
        return {i: s for i, s in best.items() if i in admitted}

    async def embeddings(self, posed: PosedQuery) -> list[str]:
        """Cosine k-NN over incidents, their updates and post-mortem chunks; an incident scores its best."""
        cosines = await self._cosines(posed, 3 * K)
        return [i for i, _ in sorted(cosines.items(), key=lambda kv: (-kv[1], kv[0]))[:K]]

    async def rrf_same_service(self, posed: PosedQuery) -> list[str]:
        """RRF of BM25 and embeddings (60 each), plus ``1 / (RRF_K + 1)`` for a shared service."""
        depth = 60
        lexical = await self._store.text_search(posed.text, k=depth, search_filter=self._filter(posed))
        cosines = await self._cosines(posed, depth)
        semantic = [i for i, _ in sorted(cosines.items(), key=lambda kv: (-kv[1], kv[0]))[:depth]]
        scores: dict[str, float] = {}
        for ranking in ([h.node_id for h in lexical], semantic):
            for rank, incident_id in enumerate(ranking, start=1):
                scores[incident_id] = scores.get(incident_id, 0.0) + 1.0 / (RRF_K + rank)
        facts = await gather_facts(self._store, posed, sorted(scores))
        mine = set(posed.service_ids)
        for incident_id, fact in facts.items():
            if fact.services & mine:
                scores[incident_id] += 1.0 / (RRF_K + 1)
        ranked = sorted((i for i in scores if i in facts), key=lambda i: (-scores[i], i))
        return ranked[:K]

    async def recent_same_service(self, posed: PosedQuery) -> list[str]:
        """The latest incidents on the query's services, newest first."""
        if not posed.service_ids:
            return []
        latest = await self._store.linked_recent(
            posed.service_ids,
            label="Incident",
            edge_type="AFFECTS",
            before=posed.before,
            per_anchor=K + len(posed.exclude),
            visibilities=posed.visibilities,
        )
        found = {n.id: n for nodes in latest.values() for n in nodes if admissible(n, posed)}
        newest = sorted(
            found.values(), key=lambda n: (-(n.occurred_at.timestamp() if n.occurred_at else 0.0), n.id)
        )
        return [n.id for n in newest[:K]]

    def rankers(self) -> dict[str, Ranker]:
        """The baselines by name."""
        return {
            "bm25": self.bm25,
            "embeddings": self.embeddings,
            "recent_same_service": self.recent_same_service,
            "rrf_same_service": self.rrf_same_service,
        }


def hybrid(finder: SimilarIncidentFinder) -> Ranker:
    """Precedent's ranking as a ``Ranker``."""

    async def rank(posed: PosedQuery) -> list[str]:
        return [r.incident_id for r in (await finder.find_posed(posed, K)).results]

    return rank


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics per split (``all``, and ``development``/``held_out`` when split) and per system."""

    summaries: Mapping[str, Mapping[str, MetricSummary]]
    skipped: int


async def pose_judgment(
    finder: SimilarIncidentFinder, store: GraphStore, judgment: Judgment, options: SimilarOptions
) -> tuple[PosedQuery, dict[str, int]] | None:
    """Pose a judged incident as declared and keep the labels it could have found.

    Returns:
        The posed query and its admissible grades, or None when the incident is not in the map
        or none of its relevant incidents is admissible (started earlier, visible to it).
    """
    try:
        posed = await finder.pose(IncidentQuery(judgment.query_id), options)
    except NotFound:
        return None
    labelled = await store.get_nodes(sorted(judgment.grades))
    grades = {n.id: judgment.grades[n.id] for n in labelled if admissible(n, posed)}
    if not any(g > 0 for g in grades.values()):
        return None
    return posed, grades


async def evaluate(
    finder: SimilarIncidentFinder,
    store: GraphStore,
    judgments: Iterable[Judgment],
    systems: Mapping[str, Ranker],
    held_out_from: datetime | None = None,
) -> EvaluationReport:
    """Pose each judged incident as declared, rank with every system, and average the metrics.

    Args:
        finder: Poses queries (and ranks, when ``systems`` includes ``hybrid(finder)``).
        store: The map, to check which labels each query could have found.
        judgments: Labels per query incident.
        systems: Rankers by name.
        held_out_from: Queries declared at or after this form the held-out split.
    """
    runs: dict[str, dict[str, list[tuple[list[str], Mapping[str, int]]]]] = {}
    skipped = 0
    for judgment in judgments:
        # Evaluation is the map owner's measurement over the whole history, private incidents included.
        judged = await pose_judgment(finder, store, judgment, SimilarOptions(limit=K, viewer=OWNER_VIEWER))
        if judged is None:
            skipped += 1
            continue
        posed, grades = judged
        splits = ["all"]
        if held_out_from is not None and posed.declared_at is not None:
            splits.append("held_out" if posed.declared_at >= held_out_from else "development")
        for name, rank in systems.items():
            ranking = await rank(posed)
            for split in splits:
                runs.setdefault(split, {}).setdefault(name, []).append((ranking, grades))
    summaries = {split: {name: summarise(r) for name, r in by.items()} for split, by in runs.items()}
    return EvaluationReport(summaries, skipped)
