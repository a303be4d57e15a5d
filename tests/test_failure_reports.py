"""A failing test is reported as a failure even when the garbage collector runs Python code.

A failing webhook-worker test left a worker task pending; the collector freed it while pytest
parsed the test's source to show the failure, asyncio's log of the destroyed task parsed source
too, and CPython 3.11.7 failed the outer parse, so the run ended in INTERNALERROR (under xdist:
"Unexpectedly no active workers available"). This drives that: a collection on every allocation,
each one parsing source, while pytest reports a failing test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAILING = """
import ast
import gc

import pytest


def _parse_during_collection(phase, info):
    if phase == "start":
        ast.parse("value = (1 + 2) * 3")


@pytest.fixture
def collector_parses_source():
    threshold = gc.get_threshold()
    gc.callbacks.append(_parse_during_collection)
    gc.set_threshold(1)
    yield
    gc.set_threshold(*threshold)
    gc.callbacks.remove(_parse_during_collection)


def test_fails(collector_parses_source):
    assert 1 == 2
"""


def test_a_failing_test_is_reported_while_the_collector_parses_source(tmp_path: Path) -> None:
    (tmp_path / "test_failing.py").write_text(FAILING)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.support.failure_reports",
        "-p",
        "no:cacheprovider",
    ]
    command += ["-q", "-n", "0", str(tmp_path / "test_failing.py")]
    # From the repository, so the plugin imports; in tmp_path, so none of the suite's settings apply.
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert "INTERNALERROR" not in output
    assert "SystemError" not in output
    assert done.returncode == 1, output  # tests failed, as opposed to 3: internal error
    assert "1 failed" in done.stdout
    assert "assert 1 == 2" in done.stdout
