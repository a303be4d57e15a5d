"""A failing test reports as a failure, not as a crash of the run (CPython 3.11.7's AST bug).

To show a failure, pytest parses the test's source with ``ast.parse``. CPython 3.11.7 keeps the
depth counter of that parse in state shared by the whole interpreter, so a second parse that
starts inside the first one corrupts it, and the first fails with ``SystemError: AST constructor
recursion depth mismatch``: pytest then stops with INTERNALERROR instead of reporting the test.
The garbage collector starts that second parse: it runs while the parse allocates, and what it
frees can run Python code. An asyncio task a failing test left pending is the usual case: asyncio
logs "Task was destroyed but it is pending!" with its traceback, and ``traceback`` parses source to
place its carets. So no collection runs while pytest builds a report; what is due runs after.

Registered by ``tests/conftest.py``; ``tests/test_failure_reports.py`` checks it.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = ["pytest_runtest_makereport"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Build the report with the cyclic garbage collector paused."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if collecting:
            gc.enable()
