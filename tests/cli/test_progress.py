"""Import and sync progress where bars cannot redraw (a CI log, nohup, a pipe)."""

from __future__ import annotations

import io

from rich.console import Console

from precedent.cli.progress import RichProgress


def test_off_a_terminal_each_step_is_said_as_it_happens_not_at_the_end() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with RichProgress(console) as progress:
        progress.start("incident_updates", 2381)
        assert out.getvalue() == "incident updates: 2381 to load\n"
        progress.advance("incident_updates", 2381)
        progress.finish("incident_updates")
        assert out.getvalue().splitlines()[-1].startswith("incident updates: done, 2381 in ")
        written = out.getvalue()
    assert out.getvalue() == written, "nothing is printed again when the bars stop"


def test_off_a_terminal_a_long_resource_says_how_far_it_has_got() -> None:
    out = io.StringIO()
    with RichProgress(Console(file=out, force_terminal=False, width=200), line_every=0.0) as progress:
        progress.start("incident_updates", 2381)
        progress.advance("incident_updates", 500)
        assert out.getvalue().splitlines()[-1].startswith("incident updates: 500/2381 in ")


def test_off_a_terminal_progress_lines_are_spaced_out() -> None:
    out = io.StringIO()
    with RichProgress(Console(file=out, force_terminal=False, width=200), line_every=3600.0) as progress:
        progress.start("incidents", 412)
        for _ in range(412):
            progress.advance("incidents", 1)
        progress.finish("incidents")
    assert out.getvalue().splitlines()[0] == "incidents: 412 to load"
    assert out.getvalue().splitlines()[1].startswith("incidents: done, 412 in ")
    assert len(out.getvalue().splitlines()) == 2


def test_on_a_terminal_the_bars_are_drawn() -> None:
    out = io.StringIO()
    with RichProgress(Console(file=out, force_terminal=True, width=120), line_every=0.0) as progress:
        progress.start("incidents", 3)
        progress.advance("incidents", 3)
        progress.finish("incidents")
    assert "3/3" in out.getvalue()
    assert "to load" not in out.getvalue()
