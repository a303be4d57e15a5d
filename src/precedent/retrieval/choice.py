"""Which ranking a map uses, and why: the record ``precedent tune`` writes into the map.

The record lives in the store's metadata (``GraphStore.set_meta``) under ``CHOICE_KEY`` as JSON,
so every process that opens the map (the API, the CLI, a notebook) ranks the same way and can
say which ranking it used. A map never tuned, or whose record cannot be read, uses
``DEFAULT_WEIGHTS``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from precedent.retrieval.weights import DEFAULT_WEIGHTS, Weights

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precedent.store.base import GraphStore

__all__ = ["CHOICE_KEY", "DEFAULT_CHOICE", "RankingChoice", "load_choice", "save_choice"]

CHOICE_KEY = "ranking.choice"


@dataclass(frozen=True)
class RankingChoice:
    """The weights a map ranks with and the evidence for them.

    Attributes:
        weights: The weights (and signal shapes) in use.
        source: ``"default"`` (never tuned, or the fit did not beat the default), ``"fitted"``
            (learned from the map's history), or ``"given"`` (passed in by the caller).
        reason: One sentence saying why these weights were chosen.
        tuned_at: When ``precedent tune`` decided (ISO 8601), or ``None``.
        figures: What the decision rested on (query counts, held-out nDCG@10 of both
            rankings, the gain and its bootstrap interval), by name.
    """

    weights: Weights
    source: Literal["default", "fitted", "given"]
    reason: str
    tuned_at: str | None = None
    figures: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise for ``GraphStore.set_meta``."""
        return json.dumps(
            {
                "weights": dataclasses.asdict(self.weights),
                "source": self.source,
                "reason": self.reason,
                "tuned_at": self.tuned_at,
                "figures": dict(self.figures),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> RankingChoice:
        """Parse a stored record.

        Raises:
            ValueError: if ``raw`` is not a record ``to_json`` wrote.
        """
        try:
            data = json.loads(raw)
            source = data["source"]
            if source not in ("default", "fitted", "given"):
                raise ValueError(f"unknown ranking source {source!r}")
            return cls(
                weights=Weights(**data["weights"]),
                source=source,
                reason=str(data["reason"]),
                tuned_at=data.get("tuned_at"),
                figures={str(k): _figure(v) for k, v in dict(data.get("figures") or {}).items()},
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a ranking choice record: {exc}") from exc


def _figure(value: object) -> float:
    """A stored figure; counts stay integers, so they print as 42, not 42.0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a figure: {value!r}")
    return value if isinstance(value, int) else float(value)


DEFAULT_CHOICE = RankingChoice(DEFAULT_WEIGHTS, "default", "the map has not been tuned (precedent tune)")


async def load_choice(store: GraphStore) -> RankingChoice:
    """The map's ranking choice; ``DEFAULT_CHOICE`` when there is none or it cannot be read.

    A record from another version of Precedent (an unknown weight) is ignored rather than
    failing every search: the default is always a safe ranking.
    """
    raw = await store.get_meta(CHOICE_KEY)
    if raw is None:
        return DEFAULT_CHOICE
    try:
        return RankingChoice.from_json(raw)
    except ValueError:
        return dataclasses.replace(DEFAULT_CHOICE, reason="the stored ranking record could not be read")


async def save_choice(store: GraphStore, choice: RankingChoice) -> None:
    """Record ``choice`` in the map for every later search."""
    await store.set_meta(CHOICE_KEY, choice.to_json())
