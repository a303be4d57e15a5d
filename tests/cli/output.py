"""Helpers the CLI tests share: running ``main`` from async tests, and reading what it said."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from precedent.cli.main import main

if TYPE_CHECKING:
    import pytest

__all__ = ["run_main", "said"]


def said(capsys: pytest.CaptureFixture[str]) -> str:
    """Standard error as one line (rich wraps at the terminal's width), with no traceback in it."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(err.split())


async def run_main(argv: list[str]) -> int:
    """``main`` from a test already inside an event loop (``main`` runs its own, so on a worker thread)."""
    return await asyncio.to_thread(main, argv)
