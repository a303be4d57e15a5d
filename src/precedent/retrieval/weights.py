"""The one place the similar-incident ranking's weights and signal shapes live.

The final score of a past incident is ``sum(weight[s] * value[s])`` over the signals in
``fusion.SIGNALS``, every value in [0, 1]. Change the ranking by passing another ``Weights``
(``dataclasses.replace(DEFAULT_WEIGHTS, lexical=0.3)``), never by mutating one.

How ``DEFAULT_WEIGHTS`` was tuned: ``precedent evaluate`` poses every incident that has
RELATED_TO links (and the planted recurrences of ``precedent generate``'s ``judgments.jsonl``)
as it looked when declared, and reports nDCG@10 / MRR. We ran a coarse grid over the
semantic/lexical/same_service weights on the development split (GitHub status incidents
before 2021 and a generated organisation with seed 1) and kept the simplest setting within
noise of the best; the held-out split (GitHub 2021 onwards, seed 2) was only scored, not tuned on.
Graph signals stay modest because early updates are boilerplate ("We are investigating reports
of degraded performance for Actions"): a ranking that leans on the service alone collapses into
the "most recent incident on the same service" baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_WEIGHTS", "Weights"]


@dataclass(frozen=True)
class Weights:
    """Weights of each ranking signal, and the parameters that shape the graded signals.

    Attributes:
        semantic: Cosine similarity of the query's text to the incident (or its updates/post-mortem).
        lexical: BM25 score, divided by the best BM25 score of the query.
        same_service: Overlap of affected services (Ochiai coefficient).
        dependency_path: Affects a service within ``max_hops`` over DEPENDS_ON, decayed per hop.
        same_team: Affects a service owned by a team that owns one of the query's services.
        same_type: Same incident type.
        same_severity: Same severity.
        recency: ``0.5 ** (age / half_life_days)``.
        recurrence: Part of a recurring pattern (RELATED_TO links, repeated incidents on its service).
        half_life_days: Age at which the recency signal halves.
        hop_decay: Factor applied per extra DEPENDS_ON hop (1 hop = 1.0, 2 hops = hop_decay).
        max_hops: How far over DEPENDS_ON (both directions) graph candidates are looked for.
        semantic_floor: Cosine at or below which the semantic signal is 0 (MiniLM rarely goes
            below ~0.1 even for unrelated text, so raw cosine would flatter everything).
    """

    semantic: float = 0.40
    lexical: float = 0.20
    same_service: float = 0.12
    dependency_path: float = 0.05
    same_team: float = 0.03
    same_type: float = 0.05
    same_severity: float = 0.03
    recency: float = 0.07
    recurrence: float = 0.05
    half_life_days: float = 365.0
    hop_decay: float = 0.5
    max_hops: int = 2
    semantic_floor: float = 0.1

    def __post_init__(self) -> None:
        for name in ("half_life_days", "hop_decay"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Weights.{name} must be positive")
        if self.max_hops < 0:
            raise ValueError("Weights.max_hops must be >= 0")
        if not 0 <= self.semantic_floor < 1:
            raise ValueError("Weights.semantic_floor must be in [0, 1)")

    def of(self, signal: str) -> float:
        """Return the weight of ``signal`` (one of ``fusion.SIGNALS``)."""
        value = getattr(self, signal)
        assert isinstance(value, float)
        return value


DEFAULT_WEIGHTS = Weights()
"""The tuned default (see the module docstring for how it was tuned)."""
