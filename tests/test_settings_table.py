"""The README's Configuration table names every setting, with the default the code has.

A setting added to ``Settings`` without a row, or a default changed on one side only, is
what an operator reading the table would get wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from precedent.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
PREFIX = "PRECEDENT_"


def _rows() -> list[tuple[list[str], list[str]]]:
    """Each row of the Configuration table: its variables and their default cells."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    known = {PREFIX + field.upper() for field in Settings.model_fields}
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith(f"`{PREFIX}"):
            continue
        names: list[str] = []
        for part in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
            # `PRECEDENT_NEO4J_URI` / `_USER`: a suffix replaces the tail of the first name.
            stems = (
                ["_".join(names[0].split("_")[:k]) for k in range(names[0].count("_"), 0, -1)]
                if names
                else []
            )
            names.append(
                part
                if part.startswith(PREFIX)
                else next((s + part for s in stems if s + part in known), part)
            )
        defaults = [d.strip() for d in cells[1].split(" / ")] if len(names) > 1 else [cells[1]]
        rows.append((names, defaults if len(defaults) == len(names) else [""] * len(names)))
    return rows


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_setting_has_a_row() -> None:
    documented = {name for names, _ in _rows() for name in names}
    settings = {PREFIX + field.upper() for field in Settings.model_fields}
    assert settings <= documented, f"README's Configuration table lacks {sorted(settings - documented)}"
    assert documented <= settings, (
        f"README documents settings that do not exist: {sorted(documented - settings)}"
    )


def test_every_literal_default_is_the_codes() -> None:
    fields = Settings.model_fields
    checked = 0
    for names, defaults in _rows():
        for name, cell in zip(names, defaults, strict=True):
            literal = re.fullmatch(r"`([^`]*)`", cell)
            default = fields[name.removeprefix(PREFIX).lower()].default
            if literal is None or default is None or isinstance(default, SecretStr):
                continue  # "—", "empty", "a temporary directory", `http://HOST:PORT`: derived or in words
            assert literal.group(1) == _shown(default), f"{name}: README says {cell}, the code {default!r}"
            checked += 1
    assert checked >= 15
