"""The installed ``precedent`` script: refuses an environment the commands cannot even be imported in.

``precedent.cli.main`` imports every command, and with them ``precedent.metrics``, whose metrics
prometheus-client backs with files in ``PROMETHEUS_MULTIPROC_DIR`` when that is set: a directory
that is not there failed the import with a traceback before any setting was read. This module
imports neither, says what is wrong in the CLI's words for a bad setting (exit code 2), and only
then hands over to ``main``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.terminal_text import escape
from precedent.config import metrics_dir_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line once its environment can hold it; return the process exit code."""
    problem = metrics_dir_problem()
    if problem is not None:
        Console(stderr=True).print(f"[red]error:[/red] invalid setting: {escape(problem)}")
        return 2
    # Imported only now: importing it opens the metric files the check is about.
    from precedent.cli.main import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
