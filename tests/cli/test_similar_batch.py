"""``precedent similar --batch``: a bad line gets an error row of its own that names it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.cli.output import run_main, said

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_a_bad_line_is_named_by_its_number_and_says_what_to_send(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "Expecting value: line 1 column 1 (char 0)" named the first line whichever line was bad,
    # and a blank name answered no results as if nothing like it had happened.
    batch, out = tmp_path / "queries.jsonl", tmp_path / "answers.jsonl"
    batch.write_text('{"name": "  ", "query_id": "blank"}\n\nnot json\n[1, 2]\n', encoding="utf-8")
    assert await run_main(["similar", "--batch", str(batch), "--out", str(out)]) == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["query_id"] for row in rows] == ["blank", 3, 4]
    assert rows[0]["error"].startswith("a described incident needs words to match")
    assert rows[1]["error"].startswith("input line 3 is not JSON (Expecting value, column 1)")
    assert '{"name": "Checkout 500s"}' in rows[1]["error"]
    assert rows[2]["error"].startswith("input line 4 is not a JSON object")
    assert '3 queries failed; see their "error" fields' in said(capsys)


async def test_a_misspelt_key_or_a_mixed_line_is_refused_not_answered(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # {"servces": [...]} was answered as if no service was named, and {"id": ..., "name": ...}
    # for the incident alone: the flags and the MCP tool refuse both.
    batch, out = tmp_path / "queries.jsonl", tmp_path / "answers.jsonl"
    lines = [
        {"name": "Payments pool exhausted", "servces": ["payments-api"]},
        {"id": "INC-10", "name": "Payments pool exhausted"},
        {"query_id": "ok", "name": "Payments pool exhausted", "service": "payments-api", "limit": 2},
    ]
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert await run_main(["similar", "--batch", str(batch), "--out", str(out)]) == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["error"].startswith("a query line takes no 'servces'; it takes id, incident, reference")
    assert rows[1]["error"].startswith("give an incident in the map ('id') or describe one ('name')")
    assert "error" not in rows[2]
    assert rows[2]["query"]["services"] == ["payments-api"]
    assert '2 queries failed; see their "error" fields' in said(capsys)


async def test_a_limit_that_is_no_number_names_the_field_and_what_it_takes(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "invalid literal for int() with base 10: 'abc'" named neither the field nor what it takes.
    batch, out = tmp_path / "queries.jsonl", tmp_path / "answers.jsonl"
    batch.write_text(json.dumps({"name": "Payments pool exhausted", "limit": "abc"}) + "\n", encoding="utf-8")
    assert await run_main(["similar", "--batch", str(batch), "--out", str(out)]) == 1
    [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["error"].startswith("limit must be a whole number from 1 to "), row["error"]
    assert ", not abc: send one in that range" in row["error"]
    assert "int()" not in row["error"]
