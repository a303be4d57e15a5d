"""The changes listed on an investigation's and a service's page say where each was."""

from __future__ import annotations

from dataclasses import replace

from precedent.web.rendering import _environment
from tests.investigation.test_hypotheses import change


def test_a_change_with_no_dependency_path_says_so_not_via() -> None:
    # "unlinked via checkout" read as a way from search to checkout, the one thing it lacks.
    sibling = replace(
        change("chg-2", hops=2, relation="unlinked"), service_name="search", through=("gateway",)
    )
    html = (
        _environment()
        .get_template("_changes.html")
        .render(changes=[change("chg-1", hops=1, relation="upstream"), sibling], changes_before_now=False)
    )
    assert "· upstream of checkout, 1 hop" in html
    # Not "no dependency path to checkout, 2 hops", which read as a path of two hops.
    assert "· no dependency path to checkout (gateway depends on both)" in html
    assert "unlinked" not in html


def test_a_whole_commit_message_shows_as_its_first_line_cut_between_words() -> None:
    # CI's step sends the whole commit message: 20,000 characters filled the page under one change.
    message = "Raise the ledger pool size to cope with the morning batch\n\n" + "Details follow. " * 1250
    html = (
        _environment()
        .get_template("_changes.html")
        .render(changes=[replace(change("chg-1"), summary=message)], changes_before_now=False)
    )
    assert "Raise the ledger pool size to cope with the morning batch" in html
    assert "Details follow" not in html
    long_line = replace(change("chg-1"), summary="word " * 4000)
    assert long_line.summary_line is not None
    assert len(long_line.summary_line) <= 160
    assert long_line.summary_line.endswith("word…")
