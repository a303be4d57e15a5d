"""``--json`` prints the response models the HTTP API and the MCP tools return, serialised alike."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import main
from precedent.responses import ChangesPageResponse, InvestigationResponse, RecordedChangeResponse

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


async def test_changes_json_is_what_the_api_answers(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `changes record --json` and `changes list --json` printed the store's encoding (times as
    # +00:00, JSON lines of bare changes) where POST /v1/changes and GET .../changes answer
    # RecordedChangeResponse and ChangesPageResponse.
    record = ["changes", "record", "--service", "ledger", "--version", "v9", "--id", "ci-1", "--json"]
    assert await asyncio.to_thread(main, [*record, "--started-at", "2026-12-01T10:00:00Z"]) == 0
    out = capsys.readouterr().out.strip()
    recorded = RecordedChangeResponse.model_validate_json(out)
    assert out == recorded.model_dump_json()
    assert (recorded.service, recorded.linked, recorded.created) == ("ledger", True, True)

    listing = ["changes", "list", "--service", "ledger", "--since-hours", "8760", "--json"]
    assert await asyncio.to_thread(main, listing) == 0
    out = capsys.readouterr().out.strip()
    page = ChangesPageResponse.model_validate_json(out)
    assert out == page.model_dump_json()
    assert [change.id for change in page.items] == [recorded.id]
    assert '"started_at":"2026-12-01T10:00:00.000000Z"' in out

    record[-3:-1] = ["--id", "ci-2"]  # a second change, a minute later: two pages of one
    assert await asyncio.to_thread(main, [*record, "--started-at", "2026-12-01T10:01:00Z"]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(main, [*listing, "--limit", "1"]) == 0
    first = ChangesPageResponse.model_validate_json(capsys.readouterr().out)
    assert first.next_cursor is not None
    assert await asyncio.to_thread(main, [*listing, "--limit", "1", "--cursor", first.next_cursor]) == 0
    second = ChangesPageResponse.model_validate_json(capsys.readouterr().out)
    assert [c.id for c in (*first.items, *second.items)] == [first.items[0].id, recorded.id]
