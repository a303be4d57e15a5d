"""``precedent tune`` and ``precedent evaluate`` through ``main()``: the choice is recorded and reported."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import main
from precedent.cli.tune import _print
from precedent.config import Settings
from precedent.retrieval import DEFAULT_WEIGHTS
from precedent.retrieval.choice import RankingChoice, load_choice
from precedent.runtime import Runtime
from tests.retrieval.small_org import build

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.model]


@pytest.fixture
async def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(data))
    runtime = await Runtime.from_settings(Settings(data_dir=data)).open()
    store, embedder = runtime.store, runtime.embedder
    try:
        await build(store, embedder)
    finally:
        await runtime.close()
    return data


async def test_tune_records_the_default_for_a_small_history_and_evaluate_reports_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["tune", "--json"]) == 0
    recorded = json.loads(capsys.readouterr().out)
    assert recorded["source"] == "default"
    assert "too few labelled queries" in recorded["reason"]
    runtime = await Runtime.from_settings(Settings(data_dir=data_dir), model=False).open()
    store = runtime.store
    try:
        assert (await load_choice(store)).reason == recorded["reason"]
    finally:
        await runtime.close()
    assert await _main(["evaluate", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ranking"]["source"] == "default"
    assert "too few" in report["ranking"]["reason"]
    assert set(report["splits"]["all"]) == {
        "precedent", "bm25", "embeddings", "recent_same_service", "rrf_same_service"
    }  # fmt: skip
    assert "semantic" in report["ablations"]


async def test_tune_without_any_label_says_why_and_what_to_do(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A converted public history (GitHub's status page, cloud incident reports) has no links.
    assert await _main(["tune", "--no-links", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["source"] == "default"
    said = " ".join(captured.err.split())
    assert "no labels: links were ignored (--no-links) and no --judgments file was given" in said
    assert "pass --judgments FILE" in said


async def test_evaluate_without_any_label_says_why_and_what_to_do(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["evaluate", "--no-links"]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "no labels: links were ignored (--no-links) and no --judgments file was given" in said
    assert "nothing to measure against" in said
    assert "pass --judgments FILE" in said


@pytest.mark.parametrize("command", ["tune", "evaluate"])
async def test_a_bad_judgments_file_is_an_error_that_names_the_line(
    command: str,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # the message names a long temporary path: one line
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"query_id": "INC-20", "relevant": ["INC-10"]}\n{oops\n', encoding="utf-8")
    assert await _main([command, "--judgments", str(labels)]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "error:" in said
    assert "labels.jsonl line 2:" in said
    assert "Traceback" not in said
    assert await _main([command, "--judgments", str(tmp_path / "none.jsonl")]) == 1
    assert "cannot read the judgments file" in " ".join(capsys.readouterr().err.split())


async def test_tune_rejects_a_held_out_fraction_outside_0_1(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["tune", "--held-out-fraction", "1.5"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


async def _main(argv: list[str]) -> int:
    # main() runs its own event loop; a test already inside one hands it to a worker thread.
    return await asyncio.to_thread(main, argv)


def test_tune_in_table_mode_prints_its_figures_as_a_table_not_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The figures came out as a raw JSON block under the weights' table: JSON is for --json.
    figures = {"queries": 12.0, "ndcg_default": 0.5125}
    choice = RankingChoice(DEFAULT_WEIGHTS, "default", "too few labelled queries", None, figures)
    _print(choice, recorded=False)
    out = capsys.readouterr().out
    assert "{" not in out
    assert '"queries"' not in out
    assert re.search(r"ndcg default\s*│\s*0\.5125", out), out
    assert re.search(r"queries\s*│\s*12\b", out), out
