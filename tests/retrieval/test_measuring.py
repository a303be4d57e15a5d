"""The measure stage is what ``find_posed`` fuses, and the map's ranking choice is what it fuses with."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest

from precedent.retrieval import DEFAULT_WEIGHTS, IncidentQuery, SimilarIncidentFinder, SimilarOptions
from precedent.retrieval.choice import CHOICE_KEY, RankingChoice, load_choice, save_choice
from precedent.retrieval.fusion import SIGNALS, fuse, semantic_value
from precedent.retrieval.tuning import choose
from tests.retrieval.small_org import build

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.embedding import Embedder
    from precedent.model import IncidentFacts
    from precedent.store import GraphStore

pytestmark = [pytest.mark.model]

LEXICAL_ONLY = dataclasses.replace(
    DEFAULT_WEIGHTS, **{s: 0.0 for s in SIGNALS if s != "lexical"}, lexical=1.0
)


async def test_find_posed_is_fuse_over_measure(store: GraphStore, real_embedder: Embedder) -> None:
    await build(store, real_embedder)
    finder = SimilarIncidentFinder(store, real_embedder, weights=DEFAULT_WEIGHTS)
    posed = await finder.pose(IncidentQuery("INC-20"), SimilarOptions())
    measured = await finder.measure(posed)
    assert "inc-10" in measured.signals
    assert set(measured.facts) == set(measured.signals)
    ids, matrix = measured.matrix()
    assert ids == sorted(measured.signals)
    assert matrix.shape == (len(ids), len(SIGNALS))
    row = matrix[ids.index("inc-10")]
    assert row[SIGNALS.index("semantic")] == measured.signals["inc-10"].semantic
    expected = [f.incident_id for f in fuse(measured.signals, DEFAULT_WEIGHTS, 5)]
    found = await finder.find_posed(posed, 5)
    assert [r.incident_id for r in found.results] == expected


class _CountingFacts:
    """Delegates to a real store and records which ids each facts read scored against the query."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner
        self.scored: list[str] = []
        self.unscored: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def incident_facts(self, ids: Sequence[str], **kwargs: Any) -> dict[str, IncidentFacts]:
        (self.unscored if kwargs.get("embedding") is None else self.scored).extend(ids)
        return await self._inner.incident_facts(ids, **kwargs)


async def test_k_nn_hits_are_not_scored_twice(store: GraphStore, real_embedder: Embedder) -> None:
    # The k-NN already gave its incident hits' exact cosines: reading their embeddings again in
    # the facts read was a third of that read's cost on Neo4j, and changed no signal.
    await build(store, real_embedder)
    counting = _CountingFacts(store)
    finder = SimilarIncidentFinder(counting, real_embedder, weights=DEFAULT_WEIGHTS)  # type: ignore[arg-type]
    posed = await finder.pose(IncidentQuery("INC-20"), SimilarOptions())
    measured = await finder.measure(posed)
    knn = set(measured.evidence.vector_hits)
    assert counting.unscored
    assert set(counting.unscored) <= knn
    assert len(counting.scored) + len(counting.unscored) == len(set(counting.scored) | set(counting.unscored))
    # Every candidate's semantic signal is still its best exact cosine (own or a part's).
    assert measured.evidence.vector is not None
    exact = await store.similarities(measured.evidence.vector, sorted(measured.signals))
    floor = DEFAULT_WEIGHTS.semantic_floor
    for incident_id, signals in measured.signals.items():
        best = max(exact.get(incident_id, -1.0), measured.evidence.part_hits.get(incident_id, -1.0))
        assert signals.semantic == pytest.approx(semantic_value(best, floor), abs=1e-6)


async def test_the_map_choice_is_used_and_reported(store: GraphStore, real_embedder: Embedder) -> None:
    await build(store, real_embedder)
    untuned = await SimilarIncidentFinder(store, real_embedder).ranking()
    assert (untuned.source, untuned.weights) == ("default", DEFAULT_WEIGHTS)
    choice = RankingChoice(
        LEXICAL_ONLY, "fitted", "beat the default on held-out links", "2026-12-02", {"gain": 0.1}
    )
    await save_choice(store, choice)
    assert await load_choice(store) == choice
    finder = SimilarIncidentFinder(store, real_embedder)
    assert await finder.ranking() == choice
    posed = await finder.pose(IncidentQuery("INC-20"), SimilarOptions())
    measured = await finder.measure(posed)
    by_lexical = [f.incident_id for f in fuse(measured.signals, LEXICAL_ONLY, 3)]
    assert [r.incident_id for r in (await finder.find_posed(posed, 3)).results] == by_lexical
    # weights given explicitly win over the map's record
    given = SimilarIncidentFinder(store, real_embedder, weights=DEFAULT_WEIGHTS)
    assert (await given.ranking()).source == "given"


async def test_an_unreadable_record_falls_back_to_the_default(embedded_store: GraphStore) -> None:
    await embedded_store.set_meta(CHOICE_KEY, '{"weights": {"no_such_signal": 1.0}}')
    choice = await load_choice(embedded_store)
    assert choice.weights == DEFAULT_WEIGHTS
    assert choice.source == "default"
    assert "could not be read" in choice.reason


def test_choice_round_trips_through_json() -> None:
    choice = RankingChoice(LEXICAL_ONLY, "fitted", "why", "2026-12-02T00:00:00+00:00", {"queries": 12.0})
    assert RankingChoice.from_json(choice.to_json()) == choice
    with pytest.raises(ValueError, match="ranking choice"):
        RankingChoice.from_json("[]")


def test_choice_keeps_query_counts_as_whole_numbers() -> None:
    # `precedent tune` prints the figures: a count of 0.0 queries reads as a measurement.
    choice = choose([], DEFAULT_WEIGHTS)
    assert json.loads(choice.to_json())["figures"] == {
        "labelled_queries": 0,
        "fit_queries": 0,
        "held_out_queries": 0,
    }
    restored = RankingChoice.from_json(choice.to_json())
    assert type(restored.figures["fit_queries"]) is int
    assert (
        type(
            RankingChoice.from_json(
                choice.to_json().replace('"fit_queries": 0', '"fit_queries": 0.5')
            ).figures["fit_queries"]
        )
        is float
    )
