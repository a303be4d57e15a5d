"""Runs ``precedent`` as a user does, in its own process, on a data directory of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parents[2]


def cli_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without any ``PRECEDENT_*`` setting, on ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRECEDENT_")}
    env["PRECEDENT_DATA_DIR"] = str(data_dir)
    return env


def run_precedent(args: Sequence[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``precedent *args`` to its end, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "precedent.cli.main", *args],
        cwd=ROOT,
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=600,  # the CLI imports torch first: minutes on a loaded machine
        check=False,
    )
