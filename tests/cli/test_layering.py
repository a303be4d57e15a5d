"""The commands that only read the map share nothing with the web pages but the layers below both."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli_process import ROOT


@pytest.mark.parametrize("command", ["precedent.cli.services", "precedent.cli.changes"])
def test_a_command_that_reads_the_map_imports_no_page(command: str) -> None:
    # `precedent services` took its time windows from the home and service pages, and it and
    # `changes` wrote times with the pages' filter: the CLI imported the web layer beside it.
    pages = "m == 'precedent.web' or m.startswith('precedent.web.')"
    probe = f"import sys, {command}; print(sorted(m for m in sys.modules if {pages}))"
    ran = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert ran.stdout.strip() == "[]"
