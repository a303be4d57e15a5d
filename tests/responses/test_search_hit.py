"""A search hit's title and snippet, as every surface shows them: each said once."""

from __future__ import annotations

from datetime import UTC, datetime

from precedent.cli.search import _snippet, _what
from precedent.mcp.render import render_search
from precedent.responses import SearchHitResponse, SearchResponse
from precedent.responses.graph import NodeResponse

HEADING = "INC-140: inventory-db degraded > Root cause"
SECTION = SearchHitResponse(
    score=0.03,
    node=NodeResponse(
        id="pm-1:3",
        label="PostmortemChunk",
        properties={"heading": HEADING, "incident_id": "inc-140"},
        occurred_at=datetime(2026, 10, 30, tzinfo=UTC),
        visibility="public",
        # The heading trail opens the text, for the embedding.
        text=f"{HEADING}\n\nConnection pool exhaustion on inventory-db.",
    ),
    incident_reference="INC-140",
)


def test_a_post_mortem_section_says_its_incident_and_heading_once() -> None:
    # The CLI printed "on INC-140: INC-140: inventory-db degraded > Root cause" and, beside it,
    # the heading again as the snippet's start; MCP and the page repeated it under the title.
    assert SECTION.title == "inventory-db degraded > Root cause"
    assert SECTION.snippet == "Connection pool exhaustion on inventory-db."
    assert _what(SECTION) == "on INC-140: inventory-db degraded > Root cause"
    assert _snippet(SECTION) == "Connection pool exhaustion on inventory-db."
    text = render_search(SearchResponse(query="pool", hits=[SECTION]))
    assert text.count("inventory-db degraded > Root cause") == 1, text
    assert "  Connection pool exhaustion on inventory-db." in text


def test_a_heading_naming_another_incident_keeps_its_reference() -> None:
    other = SECTION.model_copy(update={"incident_reference": "INC-7"})
    assert other.title == HEADING
