"""What a responder at a terminal is told when a command cannot answer: one line, never a traceback.

A missing map, a malformed time, text that looks like markup, and an ``investigate`` beside the
running service that holds the map.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from precedent.browse import MAX_CHANGE_HOURS
from precedent.cli.main import main
from precedent.errors import InvalidQuery
from precedent.investigation import CHANGE_WINDOW_MAX_HOURS, SIMILAR_PRECEDENTS_MAX
from precedent.model import Node
from precedent.store.embedded import EmbeddedStore
from tests.cli.output import run_main, said

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

DIMENSIONS = 384


@pytest.fixture
async def held_map(data_dir: Path) -> AsyncIterator[Path]:
    """``data_dir`` with its map held open for writing, as `precedent serve` or the demo holds it."""
    writer = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await writer.open()
    try:
        yield data_dir
    finally:
        await writer.close()


@pytest.mark.parametrize(
    "argv", [["stats"], ["neighbourhood", "--incident", "INC-10"], ["changes", "list", "--service", "ledger"]]
)
def test_a_missing_map_is_named_not_read_as_empty(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A forgotten PRECEDENT_DATA_DIR used to give empty counts or "incident 'INC-10' not found".
    missing = tmp_path / "typo"
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(missing))
    assert main(argv) == 1
    text = said(capsys)
    assert f"there is no map in {missing}" in text
    assert "PRECEDENT_DATA_DIR" in text
    assert not missing.exists(), "a reader creates nothing"


async def test_the_map_is_read_when_it_is_there(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["neighbourhood", "--incident", "INC-10", "--json"]) == 0
    assert '"INC-10"' in capsys.readouterr().out


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--before", "yesterday"], "'yesterday' is not an ISO 8601 time: write e.g. 2026-12-03"),
        (["--after", "2026-13-01"], "'2026-13-01' is not an ISO 8601 time"),
        (["--depth", "-1"], "depth must be from 0 to 4 hops, not -1; "),
        # The API and MCP cap depth at 4; the CLI walked 9 hops of the whole map.
        (["--depth", "9"], "depth must be from 0 to 4 hops, not 9; "),
        # Swapped: an empty window answered with the centre alone, as if nothing were near it.
        (
            ["--after", "2024-02-01", "--before", "2024-01-01"],
            "after (2024-02-01T00:00:00+00:00) is not earlier",
        ),
        # Refused by the map, not argparse: they exited 1 (a map that failed), --depth 9 exited 2.
        (["--label", "Nope"], "unknown node label 'Nope'"),
        (["--rel", "NOPE"], "unknown relationship type 'NOPE'"),
    ],
)
async def test_a_malformed_flag_is_said_in_one_line(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(["neighbourhood", "--incident", "INC-10", *flags]) == 2
    assert f"error: {expected}" in said(capsys)


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize("command", ["similar", "investigate"])
@pytest.mark.parametrize("name", ["", " "])
async def test_a_blank_name_is_said_to_be_blank(
    command: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It said "describe one with --name", to a command given --name.
    assert await run_main([command, "--name", name]) == 2
    text = said(capsys)
    assert "--name is blank" in text
    assert "describe one with --name" not in text


def _hours_refused(sent: str) -> str:
    # Worded as GET /v1/services/{service}/changes?since_hours= and the MCP tool's hours are refused.
    return str(InvalidQuery.hours_out_of_range("since_hours", sent, MAX_CHANGE_HOURS))


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--since-hours", "-1"], f"argument --since-hours: {_hours_refused('-1')}"),
        (["--since-hours", "8761"], f"argument --since-hours: {_hours_refused('8761')}"),
        (["--limit", "0"], f"argument --limit: {InvalidQuery.limit_out_of_range(0, 500)}"),
        (["--limit", "501"], f"argument --limit: {InvalidQuery.limit_out_of_range(501, 500)}"),
        (["--limit", "abc"], f"argument --limit: {InvalidQuery.limit_out_of_range('abc', 500)}"),
        (["--since-hours", "a day"], f"argument --since-hours: {_hours_refused('a day')}"),
    ],
)
def test_changes_list_refuses_a_window_or_limit_that_lists_nothing(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # They printed an empty table, as if the service had not changed.
    with pytest.raises(SystemExit) as exited:
        main(["changes", "list", "--service", "ledger", *flags])
    assert exited.value.code == 2
    assert expected in said(capsys)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ["--window-hours", "a day"],
            str(InvalidQuery.hours_out_of_range("change_window_hours", "a day", CHANGE_WINDOW_MAX_HOURS)),
        ),
        (
            ["--similar", "ten"],
            str(InvalidQuery.number_out_of_range("similar", "ten", 1, SIMILAR_PRECEDENTS_MAX)),
        ),
        (
            ["--window-hours", "0"],
            "change_window_hours must be a number of hours above 0 and at most 720, not 0",
        ),
        (["--similar", "0"], "similar must be a whole number from 1 to 50, not 0"),
    ],
)
def test_investigate_refuses_a_bad_number_in_the_apis_words_and_units(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # argparse said "invalid float value: 'a day'", and an option out of range "change_window must
    # be positive and at most 30 days", in no unit: now the API's words for the body field the
    # flag sets.
    with pytest.raises(SystemExit) as exited:
        main(["investigate", "INC-20", "--no-save", *flags])
    assert exited.value.code == 2
    assert f"error: argument {flags[0]}: {expected}" in said(capsys)


def test_importing_a_path_that_is_no_export_says_so_before_loading_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A model that cannot load: were it loaded first, that would be the error, after half a minute.
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", str(tmp_path / "no-model"))
    assert main(["import", str(tmp_path / "exprot")]) == 1
    text = said(capsys)
    # Rich folds a path longer than the console's width, so a break (a space once joined) can fall
    # anywhere in it: compare without spaces (pytest-xdist's deeper temporary paths fold).
    expected = f"{tmp_path / 'exprot'}: not an export directory (v2_incidents.json is missing)"
    assert expected.replace(" ", "") in text.replace(" ", "")
    assert "docs/export-format.md" in text
    assert "embedding model" not in text


@pytest.mark.parametrize(
    ("out_of_range", "word"),
    [(["--similar", "0"], ["--similar", "ten"]), (["--window-hours", "0"], ["--window-hours", "x"])],
)
def test_investigate_refuses_a_number_out_of_range_as_it_refuses_a_word(
    out_of_range: list[str], word: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # A word was the flag's error (the usage, then "argument --similar: ..."), a number out of
    # range a run's error after the flags were read ("error: ..."): two framings, two exit codes.
    refusals = []
    for flags in (out_of_range, word):
        with pytest.raises(SystemExit) as exited:
            main(["investigate", "INC-20", "--no-save", *flags])
        assert exited.value.code == 2
        refusals.append(said(capsys).replace(f"not {flags[1]}:", "not <given>:"))
    assert refusals[0] == refusals[1]
    assert f"argument {out_of_range[0]}: " in refusals[0]


@pytest.mark.usefixtures("data_dir")
async def test_text_that_looks_like_markup_is_printed_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    # Rich read "[/x]" as a closing tag: a traceback, and "[bold]" vanished from the message.
    assert await run_main(["neighbourhood", "--incident", "[/x]"]) == 1
    assert "error: incident '[/x]' not found" in said(capsys)
    assert await run_main(["neighbourhood", "--incident", "[bold]INC-99"]) == 1
    assert "incident '[bold]INC-99' not found" in said(capsys)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.usefixtures("held_map")
async def test_recording_a_change_beside_the_running_service_points_at_the_api(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_main(["changes", "record", "--service", "ledger", "--version", "v1"]) == 1
    text = said(capsys)
    assert "is open for writing by" in text
    assert "POST the change to /v1/changes with a write token" in text


@pytest.mark.usefixtures("held_map")
async def test_a_write_beside_the_running_service_says_what_to_do_at_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `token create` beside the demo ended with a Python call: EmbeddedStore(path, read_only=True).
    assert await run_main(["token", "create", "--scope", "read", "--name", "me"]) == 1
    text = said(capsys)
    assert "is open for writing by" in text
    assert "From the command line: stop that process (Ctrl-C where it runs)" in text
    assert "token list" in text


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.usefixtures("held_map")
async def test_investigate_beside_the_running_service(capsys: pytest.CaptureFixture[str]) -> None:
    # --no-save stores nothing, so it reads the map beside its writer.
    assert await run_main(["investigate", "INC-20", "--no-save", "--markdown"]) == 0
    assert "INC-20" in capsys.readouterr().out
    # Storing needs the writer's lock: the error says what to do from a terminal.
    assert await run_main(["investigate", "INC-20"]) == 1
    text = said(capsys)
    assert "is open for writing by" in text
    assert "add --no-save" in text
    assert "GET /v1/incidents/INC-20/investigation" in text
    assert "From the command line: stop that process" not in text  # its own advice only


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(data_dir: Path) -> None:
    # `precedent neighbourhood --json ... | head -c 100`: the reader closes the pipe first.
    command = [sys.executable, "-m", "precedent.cli.main", "neighbourhood", "--service", "ledger", "--json"]
    env = {**os.environ, "PRECEDENT_DATA_DIR": str(data_dir)}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    child.stdout.close()  # long before the child, still importing, writes its answer
    _, err = child.communicate(timeout=120)
    assert "Traceback" not in err.decode(), err.decode()
    assert "BrokenPipeError" not in err.decode()
    assert child.returncode == 128 + signal.SIGPIPE


def test_a_data_directory_that_cannot_be_written_is_said_without_a_traceback(
    occupied_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    occupied = occupied_data_dir
    assert main(["token", "create", "--scope", "read"]) == 1
    text = said(capsys)
    # Rich breaks a path longer than the terminal is wide inside it: compare without spaces.
    expected = f"cannot open the map in {occupied / 'graph'} for writing"
    assert "".join(expected.split()) in "".join(text.split())
    assert "is writable by this user and its disk has space" in text


async def test_a_described_incident_of_an_unknown_severity_is_refused_naming_the_known(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It was silently ignored: "SEV9" matched no incident. The map is refused before the model
    # is needed, so a model that is not on this machine never loads.
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", "precedent-tests/no-such-model")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await store.upsert_nodes(
            [Node("sev-1", "Severity", {"name": "SEV1"}), Node("sev-2", "Severity", {"name": "SEV2"})]
        )
    finally:
        await store.close()
    # A flag refused, by the map as by argparse: 2.
    assert await run_main(["similar", "--name", "Ledger timeouts", "--severity", "SEV9"]) == 2
    text = said(capsys)
    assert (
        "unknown severity 'SEV9': the map knows 'SEV1', 'SEV2'; use one of them, or leave severity out"
        in text
    )


@pytest.mark.usefixtures("held_map")
@pytest.mark.parametrize("argv", [["evaluate", "--no-links"], ["tune", "--no-links", "--dry-run"]])
async def test_measuring_the_ranking_runs_beside_the_running_service(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # They only read the map, yet were refused as writers beside `serve` or the demo.
    code = await run_main(argv)
    text = said(capsys)
    assert "is open for writing by" not in text
    assert "no labels" in text
    assert code == (2 if argv[0] == "evaluate" else 0)


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # A traceback ending in ValueError, after the model had loaded.
        (["evaluate", "--held-out-from", "soon"], "error: 'soon' is not an ISO 8601 time"),
        # Cut to no query, it said the map had no RELATED_TO links, which it has.
        (["evaluate", "--limit-queries", "0"], "error: --limit-queries must be at least 1, not 0"),
        # A traceback ending in FileNotFoundError.
        (
            ["similar", "--batch", "no-such-queries.jsonl"],
            "error: cannot read the batch file no-such-queries.jsonl",
        ),
    ],
)
async def test_an_unusable_evaluate_or_batch_argument_is_said_in_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(argv) == 2
    assert expected in said(capsys)


@pytest.mark.model
@pytest.mark.slow
async def test_similar_names_a_service_the_map_does_not_hold_before_the_table(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was the table's caption, printed below the results, and suggested nothing.
    argv = ["similar", "--name", "Card payments failing", "--service", "payments"]
    assert await run_main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())
    note = "not in the map, so left out: payments (did you mean payments-api, payments-db?)"
    assert note in out
    assert out.index(note) < out.index("Similar to query")


@pytest.mark.model
@pytest.mark.slow
async def test_investigate_markdown_names_a_service_the_map_does_not_hold(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The table said "not in the map, so left out"; the summary meant for Slack dropped the typo
    # in silence, with no owner, on-call or change for it. The summary says it itself now (as
    # the webhook's Slack message must: it has no stderr), once.
    argv = ["investigate", "--name", "Ledger errors", "--service", "ledgr", "--no-save", "--markdown"]
    assert await run_main(argv) == 0
    captured = capsys.readouterr()
    assert "**Services**: not in the map, so left out: ledgr (did you mean ledger?)" in captured.out
    assert "not in the map" not in captured.err


def test_a_missing_map_names_the_demos_map_as_a_path_that_works_from_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A notebook's kernel runs in notebooks/: told "the demo's is .precedent/demo", a user who set
    # that relative path was told again that there is no map, in notebooks/.precedent/demo.
    (tmp_path / ".precedent" / "demo" / "graph").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setenv("PRECEDENT_DATA_DIR", ".precedent/demo")
    assert main(["stats"]) == 1
    text = "".join(said(capsys).split())  # rich breaks a long path anywhere, even inside a name

    def squeezed(words: str) -> str:
        return "".join(words.split())

    assert squeezed(f"there is no map in {tmp_path / 'notebooks' / '.precedent' / 'demo'}") in text
    assert squeezed(f"the demo's is {tmp_path / '.precedent' / 'demo'};") in text
    assert squeezed(f"a relative path is read from the working directory, {tmp_path / 'notebooks'}") in text
