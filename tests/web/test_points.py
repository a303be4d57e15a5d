"""A post-mortem's learnings written as a list show as one, whichever marker the list uses."""

from __future__ import annotations

import pytest

from precedent.web.format import points


@pytest.mark.parametrize(
    "text",
    [
        "* Rollback took longer than planned * Canary analysis only looked at latency",
        "• Rollback took longer than planned • Canary analysis only looked at latency",
        # "-" bullets and numbered lists ran together: the filter knew only "*" and "•".
        "- Rollback took longer than planned - Canary analysis only looked at latency",
        "1. Rollback took longer than planned 2. Canary analysis only looked at latency",
        "1) Rollback took longer than planned 2) Canary analysis only looked at latency",
    ],
)
def test_a_list_of_learnings_is_read_as_its_items(text: str) -> None:
    assert points(text) == ["Rollback took longer than planned", "Canary analysis only looked at latency"]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        # A hyphen inside a word or a range is no marker; only " - " after a "-" opening is.
        (
            "- Rollback took 5-10 minutes - Canary missed it",
            ["Rollback took 5-10 minutes", "Canary missed it"],
        ),
        # A number that is not the next in turn ends a sentence; it starts no item.
        ("1. Retried 3. Then paged 2. Canary missed it", ["Retried 3. Then paged", "Canary missed it"]),
    ],
)
def test_only_markers_of_the_list_split_it(text: str, items: list[str]) -> None:
    assert points(text) == items


@pytest.mark.parametrize(
    "text", ["*emphasis* opens this", "- one lesson only", "1. one lesson only", "Rollback - then canary"]
)
def test_text_that_is_not_a_list_is_left_whole(text: str) -> None:
    assert points(text) == []
