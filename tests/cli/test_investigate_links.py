"""``investigate`` links to the pages under ``PRECEDENT_PUBLIC_URL``, the incident by its reference."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.cli.output import run_main

if TYPE_CHECKING:
    from pathlib import Path

PUBLIC = "https://precedent.example.com"


@pytest.mark.model
@pytest.mark.slow
async def test_a_stored_investigation_is_linked_by_its_incidents_reference_under_the_public_url(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It printed /ui/investigations/inv%3A8203513912898%3A01..., which a reader pasted; the page
    # by the incident's reference shows the same build, the latest.
    monkeypatch.setenv("PRECEDENT_PUBLIC_URL", PUBLIC)
    latest = f"{PUBLIC}/ui/incidents/INC-20/investigation"

    assert await run_main(["investigate", "INC-20"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"Read it in a browser: {latest}" in out

    assert await run_main(["investigate", "INC-20", "--markdown"]) == 0
    summary = capsys.readouterr().out
    targets = re.findall(r"\]\(([^)\s]+)\)", summary)
    assert f"[Read the whole investigation]({latest})" in summary
    assert all(t.startswith(f"{PUBLIC}/ui/") for t in targets), targets
    assert "/ui/investigations/" not in summary
