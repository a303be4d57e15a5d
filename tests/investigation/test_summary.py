"""The Slack summary links to the investigation's web page on its last line, within 15 lines."""

from __future__ import annotations

from datetime import UTC, datetime

from precedent.investigation import Hypothesis, InvestigatedIncident
from precedent.investigation.summary import summary_markdown

INCIDENT = InvestigatedIncident(
    *("inc-9", "INC-9", "Checkout 500s", "", None, "Major", None),
    *(datetime(2026, 12, 3, tzinfo=UTC), "public", None, ("s1",), ("checkout",), ()),
)
HYPOTHESES = [Hypothesis(f"cause {n}", 0.5, "change", ()) for n in range(3)]


def test_the_last_line_links_to_the_page() -> None:
    page = "https://precedent.example.com/ui/investigations/inv%3A1"
    lines = summary_markdown(INCIDENT, HYPOTHESES, [], [], [], page=page).splitlines()
    assert lines[0] == "*INC-9: Checkout 500s* (Major)"
    assert lines[-1] == f"<{page}|Read the whole investigation>"
    assert len(lines) <= 15


def test_without_a_page_there_is_no_link() -> None:
    assert "<" not in summary_markdown(INCIDENT, HYPOTHESES, [], [], [])
