"""Pure fusion of candidate signals into one ranked list: no store, no model, no I/O.

Generators (``candidates.py``) and context (``context.py``) measure raw facts (a cosine, a BM25
score, hop counts, ages); the functions here turn each into a value in [0, 1] and combine them
with ``Weights`` into a score. Everything is deterministic: ties break by incident id.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from precedent.retrieval.weights import Weights

__all__ = [
    "SIGNALS",
    "Contribution",
    "Fused",
    "RANK_CONSTANT",
    "RANK_DEPTH",
    "SignalName",
    "Signals",
    "dependency_value",
    "fuse",
    "max_normalise",
    "overlap",
    "rank_values",
    "recency_value",
    "recurrence_value",
    "same_value",
    "saturate",
    "semantic_value",
]

SignalName = Literal[
    "semantic",
    "lexical",
    "same_service",
    "dependency_path",
    "same_team",
    "same_type",
    "same_severity",
    "recency",
    "recurrence",
    "lexical_rank",
    "semantic_rank",
    "shares_service",
]

RANK_CONSTANT = 60
"""The constant of reciprocal-rank fusion (Cormack et al.), as in the RRF baseline."""
RANK_DEPTH = 60
"""Ranks below this are worth 0 (the generators' k-NN and BM25 depth)."""


class Signals(msgspec.Struct, frozen=True):
    """One candidate's signal values, each in [0, 1]; absent evidence is 0.

    A struct rather than a dataclass: a query builds one per candidate (a few hundred), and a
    frozen dataclass took 7 µs each to make and check, a third of measuring a candidate.
    """

    semantic: float = 0.0
    lexical: float = 0.0
    same_service: float = 0.0
    dependency_path: float = 0.0
    same_team: float = 0.0
    same_type: float = 0.0
    same_severity: float = 0.0
    recency: float = 0.0
    recurrence: float = 0.0
    lexical_rank: float = 0.0
    semantic_rank: float = 0.0
    shares_service: float = 0.0

    def __post_init__(self) -> None:
        # NaN fails both comparisons, so this also rejects it.
        for name, value in zip(SIGNALS, astuple_fast(self), strict=True):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"signal {name} must be in [0, 1], got {value!r}")

    def value(self, signal: SignalName) -> float:
        """Return the value of ``signal``."""
        value = getattr(self, signal)
        assert isinstance(value, float)
        return value


SIGNALS: tuple[SignalName, ...] = Signals.__struct_fields__  # type: ignore[assignment]


def astuple_fast(signals: Signals) -> tuple[float, ...]:
    """The values in ``SIGNALS`` order (``dataclasses.astuple`` deep-copies, which is slow per candidate)."""
    return (
        signals.semantic,
        signals.lexical,
        signals.same_service,
        signals.dependency_path,
        signals.same_team,
        signals.same_type,
        signals.same_severity,
        signals.recency,
        signals.recurrence,
        signals.lexical_rank,
        signals.semantic_rank,
        signals.shares_service,
    )


@dataclass(frozen=True)
class Contribution:
    """What one signal added to a score: ``weight * value``."""

    signal: SignalName
    value: float
    weight: float

    @property
    def points(self) -> float:
        """The amount added to the score."""
        return self.weight * self.value


@dataclass(frozen=True)
class Fused:
    """A candidate's final score and the contributions it is the sum of (in ``SIGNALS`` order)."""

    incident_id: str
    score: float
    contributions: tuple[Contribution, ...]


def fuse(signals: Mapping[str, Signals], weights: Weights, limit: int | None = None) -> list[Fused]:
    """Score every candidate as the weighted sum of its signals; best first, ties by id.

    Args:
        signals: Signal values per incident id.
        weights: The weights (``DEFAULT_WEIGHTS`` unless experimenting).
        limit: Keep only the best ``limit`` (contributions are built for those only).

    Returns:
        ``Fused`` per candidate, ordered by score descending, then id ascending.
    """
    vector = tuple(weights.of(s) for s in SIGNALS)
    # math.fsum makes the sum exact, so it cannot depend on float summation order.
    scores = [
        (-math.fsum(map(operator.mul, vector, astuple_fast(values))), incident_id)
        for incident_id, values in signals.items()
    ]
    scores.sort()
    fused = []
    for negative, incident_id in scores if limit is None else scores[:limit]:
        values = astuple_fast(signals[incident_id])
        parts = tuple(Contribution(s, v, w) for s, v, w in zip(SIGNALS, values, vector, strict=True))
        fused.append(Fused(incident_id, -negative, parts))
    return fused


def _clamp(value: float) -> float:
    return 0.0 if value <= 0.0 or math.isnan(value) else min(1.0, value)


def semantic_value(cosine: float, floor: float) -> float:
    """Rescale a cosine so that ``floor`` maps to 0 and 1 to 1."""
    return _clamp((cosine - floor) / (1.0 - floor))


def max_normalise(scores: Mapping[str, float]) -> dict[str, float]:
    """Divide every score by the largest (lexical scores have no fixed scale); negatives become 0."""
    top = max(scores.values(), default=0.0)
    if top <= 0.0:
        return dict.fromkeys(scores, 0.0)
    return {key: _clamp(score / top) for key, score in scores.items()}


def rank_values(scores: Mapping[str, float], candidates: int | None = None) -> dict[str, float]:
    """Reciprocal-rank values: rank ``r`` (best first, ties by id) is worth ``(C + 1) / (C + r)``.

    Rank fusion uses only the order of a generator's scores, never their scale, which differs
    from query to query (BM25) or is compressed (MiniLM cosines). Dividing by the first place's
    ``1 / (C + 1)`` keeps the value in [0, 1], so a weighted sum of these is reciprocal-rank
    fusion. Ranks beyond ``RANK_DEPTH`` are worth 0, as if the generator had not returned them.

    ``C`` is ``RANK_CONSTANT`` (60, as in the RRF baseline) unless the query has fewer
    ``candidates``, in which case it is their count: the last of ``n`` candidates is then worth
    about half the first whatever ``n``. With the fixed 60 on a map of five candidates, second
    place was worth 0.98 of first, so a shared service outweighed any gap in the words.
    """
    constant = RANK_CONSTANT if candidates is None else max(1, min(RANK_CONSTANT, candidates))
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:RANK_DEPTH]
    values = dict.fromkeys(scores, 0.0)
    for rank, (key, _) in enumerate(ordered, start=1):
        values[key] = (constant + 1) / (constant + rank)
    return values


def overlap(query: Iterable[str], candidate: Iterable[str]) -> float:
    """Ochiai overlap ``|Q ∩ C| / sqrt(|Q| |C|)``: 1 for identical sets, lower for broad incidents."""
    q, c = frozenset(query), frozenset(candidate)
    if not q or not c:
        return 0.0
    return _clamp(len(q & c) / math.sqrt(len(q) * len(c)))


def dependency_value(hops: int | None, decay: float, max_hops: int) -> float:
    """Value of the nearest DEPENDS_ON path: 1 at one hop, times ``decay`` per extra hop.

    Zero for no path, for a path longer than ``max_hops``, and for hop 0 (a shared service is
    the ``same_service`` signal's evidence, not this one's).
    """
    if hops is None or hops < 1 or hops > max_hops:
        return 0.0
    return _clamp(decay ** (hops - 1))


def recency_value(age_days: float, half_life_days: float) -> float:
    """Exponential decay with a half-life; a negative age (clock skew) counts as now."""
    return _clamp(0.5 ** (max(0.0, age_days) / half_life_days))


def saturate(count: float, half: float) -> float:
    """``count / (count + half)``: 0 for none, 0.5 at ``half``, approaching 1."""
    return 0.0 if count <= 0 else count / (count + half)


def recurrence_value(related_links: int, repeats_on_service: int) -> float:
    """How much a candidate belongs to a recurring pattern.

    Args:
        related_links: RELATED_TO links to other incidents known at query time.
        repeats_on_service: Other earlier incidents seen on the candidate's services.
    """
    return _clamp(max(saturate(related_links, 1.0), saturate(repeats_on_service, 4.0)))


def same_value(query: str | None, candidate: str | None) -> float:
    """1 when both are known and equal ignoring case and surrounding spaces, else 0."""
    if not query or not candidate:
        return 0.0
    return 1.0 if query.strip().casefold() == candidate.strip().casefold() else 0.0
