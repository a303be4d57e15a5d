"""Evaluation plumbing: labels from judgment files and RELATED_TO links, systems side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.retrieval import SimilarIncidentFinder
from precedent.retrieval.evaluation import (
    Baselines,
    Judgment,
    evaluate,
    hybrid,
    judgments_from_links,
    parse_judgments,
)
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from precedent.store import GraphStore


def test_parse_judgments_accepts_graded_and_plain_ids() -> None:
    lines = [
        '{"query_id": "q1", "relevant": [{"id": "a", "grade": 2}, {"id": "b"}]}',
        "",
        '{"query_id": "q2", "relevant": ["c"]}',
    ]
    assert parse_judgments(lines) == [Judgment("q1", {"a": 2, "b": 1}), Judgment("q2", {"c": 1})]
    with pytest.raises(ValueError, match="line 1"):
        parse_judgments(['["not", "a", "judgment"]'])


@pytest.mark.contract
async def test_links_become_labels_and_systems_are_compared(store: GraphStore) -> None:
    embedder = HashEmbedder()
    await build(store, embedder)
    judgments = await judgments_from_links(store)
    assert judgments == [Judgment("inc-14", {"inc-10": 1})]  # the later incident asks for the earlier
    finder = SimilarIncidentFinder(store, embedder)
    systems = {"precedent": hybrid(finder), **Baselines(store, embedder).rankers()}
    labels = [*judgments, Judgment("inc-20", {"inc-10": 2, "inc-15": 1}), Judgment("missing", {"x": 1})]
    report = await evaluate(finder, store, labels, systems, held_out_from=at("2024-01-01T00:00:00"))
    assert report.skipped == 1
    assert set(report.summaries) == {"all", "development", "held_out"}
    every = report.summaries["all"]
    assert set(every) == {"precedent", "bm25", "embeddings", "recent_same_service", "rrf_same_service"}
    assert every["rrf_same_service"].queries == 2
    assert every["precedent"].queries == 2
    # inc-15 started after inc-20, so only inc-10 counts; Precedent ranks it first both times
    assert every["precedent"].mrr == 1.0
    assert report.summaries["held_out"]["precedent"].queries == 1
