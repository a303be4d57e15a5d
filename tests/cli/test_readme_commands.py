"""The README's command table names every `precedent` command that `precedent --help` lists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from precedent.cli.main import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_command_is_in_the_readme_table() -> None:
    # `precedent convert` was in --help but in no table a newcomer reads.
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = set(subparsers.choices)
    table = README.read_text().split("## Using it on your organisation", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `precedent ([a-z]+)", table, flags=re.MULTILINE))
    listed |= set(re.findall(r"/ `precedent ([a-z]+)", table))  # `precedent tune` / `precedent evaluate`
    assert commands <= listed, f"README's command table lacks: {sorted(commands - listed)}"
