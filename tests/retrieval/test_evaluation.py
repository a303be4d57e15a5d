"""Evaluation plumbing: labels from judgment files and RELATED_TO links, systems side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import InvalidJudgments
from precedent.retrieval import SimilarIncidentFinder
from precedent.retrieval.evaluation import (
    Baselines,
    Judgment,
    evaluate,
    hybrid,
    judgments_from_links,
    parse_judgments,
    read_judgments,
)
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore


def test_parse_judgments_accepts_graded_and_plain_ids() -> None:
    lines = [
        '{"query_id": "q1", "relevant": [{"id": "a", "grade": 2}, {"id": "b"}]}',
        "",
        '{"query_id": "q2", "relevant": ["c"]}',
    ]
    assert parse_judgments(lines) == [Judgment("q1", {"a": 2, "b": 1}), Judgment("q2", {"c": 1})]
    with pytest.raises(InvalidJudgments, match="judgments line 1: expected an object with query_id"):
        parse_judgments(['["not", "a", "judgment"]'])


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("{bad", "line 2: Expecting property name"),
        ('{"query_id": "q", "relevant": "a"}', "line 2: relevant must be a list"),
        ('{"query_id": "q", "relevant": [{"grade": 2}]}', "line 2: a relevant object has no id"),
        ('{"query_id": "q", "relevant": [{"id": "a", "grade": "high"}]}', "line 2: grade 'high' of 'a'"),
    ],
)
def test_a_bad_judgment_line_is_named_with_what_a_line_holds(line: str, said: str) -> None:
    good = '{"query_id": "q0", "relevant": ["a"]}'
    with pytest.raises(InvalidJudgments, match=said) as caught:
        parse_judgments([good, line], source="labels.jsonl")
    assert str(caught.value).startswith("labels.jsonl line 2: ")
    assert '{"query_id": "INC-12"' in str(caught.value)


def test_an_unreadable_judgments_file_says_which_and_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidJudgments, match=r"cannot read the judgments file .*missing.jsonl: No such file"
    ):
        read_judgments(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"query_id": "caf\xe9"}')
    with pytest.raises(InvalidJudgments, match=r"latin1\.jsonl"):
        read_judgments(tmp_path / "latin1.jsonl")


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
