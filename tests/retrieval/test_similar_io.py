"""Parsing ``precedent similar`` queries (arguments and batch lines) and rendering the table."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest
from rich.console import Console

from precedent.cli.investigate import query_from_args as investigation_query
from precedent.cli.main import build_parser
from precedent.cli.similar_io import parse_time, query_from_args, query_from_json, results_table
from precedent.cli.viewing import viewer_from
from precedent.errors import InvalidQuery
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Node
from precedent.retrieval import SIMILAR_MAX_RESULTS, DescribedQuery, IncidentQuery, SimilarOptions
from precedent.retrieval.fusion import Signals, fuse
from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.results import Explanation, SimilarIncident, SimilarResults
from precedent.retrieval.weights import DEFAULT_WEIGHTS


def test_parse_time_defaults_to_utc() -> None:
    assert parse_time("2024-01-02T03:04:05") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2024-01-02T03:04:05Z").tzinfo is not None


def test_query_from_args_incident_and_description() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["similar", "INC-123", "--before", "2024-01-01", "--exclude", "a", "--limit", "3"]
    )
    query, options = query_from_args(args, viewer_from(args))
    assert query == IncidentQuery("INC-123")
    assert options == SimilarOptions(
        before=datetime(2024, 1, 1, tzinfo=UTC), exclude=frozenset({"a"}), limit=3, viewer=OWNER_VIEWER
    )
    args = parser.parse_args(
        ["similar", "--name", "DB down", "--summary", "pool", "--service", "db", "--service", "api",
         "--severity", "SEV1", "--type", "Outage", "--public-only"]
    )  # fmt: skip
    query, options = query_from_args(args, viewer_from(args))
    assert query == DescribedQuery("DB down", "pool", ("db", "api"), "SEV1", "Outage", None)
    assert options.viewer == PUBLIC_VIEWER
    with pytest.raises(ValueError, match="--name"):
        query_from_args(parser.parse_args(["similar"]), OWNER_VIEWER)


def test_an_incident_and_a_description_together_are_refused() -> None:
    # The description was dropped in silence: the answer was about INC-123 alone.
    said = r"give an incident in the map \(INC-123\) or describe one \(--name, --service\), not both"
    parser = build_parser()
    args = parser.parse_args(["similar", "INC-123", "--name", "DB down", "--service", "db"])
    with pytest.raises(ValueError, match=said):
        query_from_args(args, OWNER_VIEWER)
    args = parser.parse_args(["investigate", "INC-123", "--name", "DB down", "--service", "db"])
    with pytest.raises(ValueError, match=said):
        investigation_query(args)


@pytest.mark.parametrize("command", ["similar", "investigate"])
def test_the_severity_flag_says_severities_are_the_maps(command: str) -> None:
    # "e.g. SEV1" sent a responder whose map says Critical/Major/Minor to a refusal.
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    help_text = " ".join(sub.choices[command].format_help().split())
    assert "SEV1" not in help_text
    assert "a severity the map knows, as incident.io names it" in help_text
    assert "refused with the list of those the map knows" in help_text


def test_query_from_json_lines() -> None:
    defaults = SimilarOptions(limit=5)
    query, options = query_from_json({"query_id": "q1", "id": "INC-9", "exclude": ["x"]}, defaults)
    assert query == IncidentQuery("INC-9")
    assert options.exclude == frozenset({"x"})
    assert options.limit == 5
    query, options = query_from_json(
        {
            "name": "Checkout 500s",
            "services": ["checkout"],
            "declared_at": "2024-05-01T00:00:00Z",
            "limit": 2,
        },
        defaults,
    )
    assert isinstance(query, DescribedQuery)
    assert query.services == ("checkout",)
    assert query.declared_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert options.limit == 2
    with pytest.raises(ValueError, match='"id"'):
        query_from_json({"summary": "no name"}, defaults)


def test_one_similar_limit_is_enforced_by_the_options_the_cli_and_its_batch_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The MCP tool stopped at 50, the API at 100, the CLI nowhere: one limit, in the retrieval layer.
    assert SimilarOptions(limit=SIMILAR_MAX_RESULTS).limit == SIMILAR_MAX_RESULTS
    too_many = SIMILAR_MAX_RESULTS + 1
    # In the words every surface uses for a limit (InvalidQuery.limit_out_of_range).
    said = str(InvalidQuery.limit_out_of_range(too_many, SIMILAR_MAX_RESULTS))
    with pytest.raises(InvalidQuery) as refused:
        SimilarOptions(limit=too_many)
    assert str(refused.value) == said
    with pytest.raises(InvalidQuery, match=f"from 1 to {SIMILAR_MAX_RESULTS}"):
        query_from_json({"id": "INC-9", "limit": too_many}, SimilarOptions())
    parser = build_parser()
    assert (
        parser.parse_args(["similar", "INC-1", "--limit", str(SIMILAR_MAX_RESULTS)]).limit
        == SIMILAR_MAX_RESULTS
    )
    for bad in (str(too_many), "0", "ten"):
        with pytest.raises(SystemExit):
            parser.parse_args(["similar", "INC-1", "--limit", bad])
        err = capsys.readouterr().err
        said = str(InvalidQuery.limit_out_of_range(bad, SIMILAR_MAX_RESULTS))
        assert f"--limit: {said}" in " ".join(err.split())


def test_results_table_shows_reasons() -> None:
    posed = PosedQuery(None, None, "Checkout 500s", "Checkout 500s", (), (), (), None, None, None, None,
                       ("public",), frozenset())  # fmt: skip
    fused = fuse({"p": Signals(semantic=0.9, lexical=0.5)}, DEFAULT_WEIGHTS)[0]
    lesson = extract_lesson(Node("p", "Incident"), [], [])
    explanation = Explanation(fused.contributions, ("checkout",), (), None, lesson)
    answer = SimilarResults(
        posed, (SimilarIncident("p", "INC-1", "Checkout down", fused.score, None, explanation),)
    )
    console = Console(width=200, record=True)
    console.print(results_table(answer))
    text = console.export_text()
    assert "INC-1" in text
    assert "similar in meaning" in text
    assert "shares words: checkout" in text
    assert "terms:" not in text  # said once, among the reasons


def test_results_table_gives_the_cutoff_to_the_second_in_utc() -> None:
    before = datetime.fromisoformat("2026-11-12T11:02:03.123456+01:00")
    posed = PosedQuery("inc-9", "INC-9", "Checkout 500s", "Checkout 500s", (), (), (), None, None, None,
                       before, ("public",), frozenset())  # fmt: skip
    console = Console(width=200, record=True)
    console.print(results_table(SimilarResults(posed, ())))
    text = " ".join(console.export_text().split())  # an empty table is narrow: its title wraps
    assert "(before 2026-11-12 10:02:03 UTC)" in text
    assert ".123456" not in text
