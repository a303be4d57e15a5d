"""``--json`` prints the response models the HTTP API and the MCP tools return, serialised alike."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import main
from precedent.responses import InvestigationResponse

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.model
@pytest.mark.slow
async def test_investigate_json_is_the_investigation_response(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It printed the store's own encoding: the same fields, but times as +00:00 where the API
    # and the MCP tool write Z, so one script could not compare answers from two surfaces.
    assert await asyncio.to_thread(main, ["investigate", "INC-20", "--no-save", "--json"]) == 0
    out = capsys.readouterr().out.strip()
    response = InvestigationResponse.model_validate_json(out)
    assert response.incident.reference == "INC-20"
    assert out == response.model_dump_json()
