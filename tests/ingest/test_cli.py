"""``precedent import`` and ``precedent sync`` through ``main()``, with settings from the environment."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import main
from precedent.ingest import SyncBoard
from precedent.store.embedded import EmbeddedStore
from tests.ingest.fake_http import serve_fake
from tests.ingest.org import write_export
from tests.support.incidentio_server import API_KEY, FakeIncidentIo

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from precedent.ingest.sync_board import SyncRecord


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.mark.model
def test_import_command_loads_the_export_and_prints_a_summary(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_export(tmp_path / "export")
    assert main(["import", str(export)]) == 0
    out = capsys.readouterr().out
    assert "incidents" in out
    assert "total" in out
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]["Incident"] == 2
    # inc-2 is private: answering as a public caller would, it is not counted.
    assert main(["stats", "--json", "--public-only"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]["Incident"] == 1


@pytest.mark.model
def test_import_command_reports_an_invalid_file(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_export(tmp_path / "export")
    (export / "v2_follow_ups.json").write_text('{"follow_ups": [{"id": "fu-9", "incident_id": "inc-1"}]}')
    assert main(["import", str(export)]) == 1
    err = capsys.readouterr().err
    assert "v2_follow_ups.json" in err
    assert "fu-9" in err
    assert "'title'" in err


def test_sync_without_an_api_key_says_where_to_create_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync"]) == 1
    err = capsys.readouterr().err
    assert "PRECEDENT_INCIDENTIO_API_KEY" in err
    assert "app.incident.io/settings/api-keys" in err


# Holds the map open for writing, as a writer whose command line ends with argv[2], until stdin closes.
_HOLD = """
import asyncio, sys
from pathlib import Path
from precedent.store.embedded import EmbeddedStore

async def hold():
    store = EmbeddedStore(Path(sys.argv[1]), dimensions=384)
    await store.open()
    print("open", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await store.close()

asyncio.run(hold())
"""


def _sync_beside(data_dir: Path, command: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``precedent sync`` says while a process whose command line ends in ``command`` writes the map."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(data_dir / "graph"), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        assert main(["sync"]) == 1
    finally:
        holder.communicate(timeout=120)
    return " ".join(capsys.readouterr().err.split())


def test_sync_beside_a_running_serve_says_to_ask_it_to_sync(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # On the embedded store `serve` holds the map; a cron job's `precedent sync` was told only to
    # stop it, not that the running service syncs the map when asked.
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_API_KEY", API_KEY)
    monkeypatch.setenv("PRECEDENT_PUBLIC_URL", "https://precedent.example.com")
    said = _sync_beside(data_dir, "serve", capsys)
    assert "is open for writing by process" in said
    assert "ask the running service to sync instead, with an admin token: curl -X POST" in said
    # Pasted into a shell, the command sends the token the variable holds, not its name.
    advised = said.split("with an admin token: ", 1)[1].split(" (GET ", 1)[0]
    shell = [shutil.which("bash") or "/bin/sh", "-c", "printf '%s\\n' " + advised.removeprefix("curl ")]
    sent = subprocess.run(
        shell, env={"ADMIN_TOKEN": "prec_admin"}, capture_output=True, text=True, check=True
    )
    assert sent.stdout.splitlines() == [
        "-X",
        "POST",
        "-H",
        "Authorization: Bearer prec_admin",
        "https://precedent.example.com/v1/admin/sync",
    ]
    assert "only reads beside it" not in said


def test_sync_beside_another_sync_is_not_sent_to_a_server(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The last cron run's sync still going answers no HTTP: asking it to sync got "connection
    # refused"; the command line it recorded says what it is.
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_API_KEY", API_KEY)
    said = _sync_beside(data_dir, "sync", capsys)
    assert "is open for writing by process" in said
    assert "/v1/admin/sync" not in said
    assert "stop that process (Ctrl-C where it runs) to run this command" in said


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIncidentIo]:
    fake = FakeIncidentIo()
    with serve_fake(fake) as base_url:
        monkeypatch.setenv("PRECEDENT_INCIDENTIO_API_KEY", API_KEY)
        monkeypatch.setenv("PRECEDENT_INCIDENTIO_BASE_URL", base_url)
        yield fake


@pytest.mark.model
@pytest.mark.usefixtures("data_dir")
def test_sync_command_prints_counts_calls_and_time(
    fake_api: FakeIncidentIo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync"]) == 0
    out = capsys.readouterr().out
    assert "full sync" in out
    assert f"{len(fake_api.requests)} API calls" in out
    assert "incidents" in out


@pytest.mark.model
@pytest.mark.usefixtures("data_dir", "fake_api")
def test_second_sync_command_is_incremental(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync"]) == 0
    capsys.readouterr()
    assert main(["sync"]) == 0
    assert "incremental sync" in capsys.readouterr().out


@pytest.mark.model
@pytest.mark.usefixtures("fake_api")
def test_sync_command_records_its_run_and_progress_in_the_map(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync"]) == 0
    capsys.readouterr()
    record = asyncio.run(_sync_record(data_dir))
    assert record.holder is None
    assert record.last_report is not None
    assert record.last_report.calls > 0  # a serve on the map reports this run in GET /v1/admin/sync
    progress = {r.resource: r for r in record.resources}
    assert progress["incidents"].finished
    assert progress["incidents"].done > 0


async def _sync_record(data_dir: Path) -> SyncRecord:
    store = EmbeddedStore(data_dir / "graph", dimensions=384)
    await store.open()
    try:
        return await SyncBoard(store).read()
    finally:
        await store.close()


@pytest.mark.parametrize("overlap", ["1e30", "nan", "-1", "a day"])
def test_an_overlap_no_time_window_can_hold_is_the_flags_error(
    overlap: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1e30 hours overflowed building the window, a traceback after the API key was checked.
    with pytest.raises(SystemExit) as exited:
        main(["sync", "--overlap-hours", overlap])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"--overlap-hours: must be a number of hours from 0 to 8760, not {overlap}" in err
    assert "--full" in err
