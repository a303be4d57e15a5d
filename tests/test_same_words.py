"""A past incident's lesson is worded alike wherever a responder reads it.

The Slack summary said "cause:" and "fix:", the hypotheses and the investigation table "root
cause:" and "resolved by:", the similar table and the MCP text "resolution:", the pages "What
fixed it": five wordings of two facts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rich.console import Console

from precedent.cli.investigation_view import render
from precedent.cli.similar_io import results_table
from precedent.investigation.hypotheses import precedent_hypotheses
from precedent.investigation.summary import summary_markdown
from precedent.mcp.render import render_similar
from precedent.model import Node
from precedent.responses import SimilarResponse
from precedent.retrieval.fusion import Signals, fuse
from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.results import Explanation, SimilarIncident, SimilarResults
from precedent.retrieval.weights import DEFAULT_WEIGHTS
from precedent.web.format import score
from tests.web.test_drawing import _investigation

CAUSE, FIX = "the pool was halved", "we doubled it again"


def _printed(renderable: object) -> str:
    console = Console(width=300, record=True)
    console.print(renderable)
    return console.export_text()


def test_root_cause_and_resolution_are_worded_alike_on_every_reader() -> None:
    base = _investigation()
    declared = base.incident.declared_at
    assert declared is not None
    precedent = replace(
        base.similar[0], root_cause=CAUSE, resolution=FIX, started_at=declared - timedelta(days=3)
    )
    summary = summary_markdown(
        base.incident, precedent_hypotheses(base.incident, [precedent]), [precedent], [], []
    )
    console = Console(width=300, record=True)
    render(console, replace(base, similar=(precedent,)))
    posed = PosedQuery(None, None, "x", "x", (), (), (), None, None, None, None, ("public",), frozenset())
    fused = fuse({"p": Signals(semantic=0.9)}, DEFAULT_WEIGHTS)[0]
    lesson = replace(extract_lesson(Node("p", "Incident"), [], []), root_cause=CAUSE, resolution=FIX)
    found = SimilarResults(
        posed,
        (
            SimilarIncident(
                "p",
                "INC-1",
                "Pool",
                fused.score,
                datetime(2026, 12, 1, tzinfo=UTC),
                Explanation(fused.contributions, (), (), None, lesson),
            ),
        ),
    )
    readers = {
        "summary": summary,
        "investigation table": console.export_text(),
        "similar table": _printed(results_table(found)),
        "mcp": render_similar(SimilarResponse.from_results(found)),
    }
    for reader, text in readers.items():
        flat = " ".join(text.replace("│", " ").split())
        assert f"root cause: {CAUSE}" in flat, reader
        assert f"resolved by: {FIX}" in flat, reader
        for other in ("fix:", "resolution:", " cause: the pool"):
            assert other not in flat.replace(f"root cause: {CAUSE}", ""), (reader, other)


def test_a_similar_incidents_score_is_written_alike_on_every_reader() -> None:
    # The MCP text wrote the response's four decimals ("score 0.6513") where the CLI's table, the
    # pages and the demo write three.
    posed = PosedQuery(None, None, "x", "x", (), (), (), None, None, None, None, ("public",), frozenset())
    fused = fuse({"p": Signals(semantic=0.9)}, DEFAULT_WEIGHTS)[0]
    lesson = extract_lesson(Node("p", "Incident"), [], [])
    explanation = Explanation(fused.contributions, (), (), None, lesson)
    started = datetime(2026, 12, 1, tzinfo=UTC)
    found = SimilarResults(posed, (SimilarIncident("p", "INC-1", "Pool", 0.65126, started, explanation),))
    written = {
        "similar table": " ".join(_printed(results_table(found)).replace("│", " ").split()),
        "mcp": render_similar(SimilarResponse.from_results(found)),
        "pages": f"score {score(0.65126)}",
    }
    for reader, text in written.items():
        assert "0.651" in text, reader
        assert "0.6513" not in text, reader
    assert "(score 0.651," in written["mcp"]
