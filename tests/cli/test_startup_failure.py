"""``precedent serve`` that cannot start says why in one line: no traceback after it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from precedent.cli.main import main
from precedent.cli.startup_failure import Message, SaidStartupFailure
from precedent.errors import ConfigError
from tests.cli.output import said
from tests.support.cli_process import ROOT, cli_env


def test_a_failure_at_the_apps_start_is_one_line_not_a_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The app logged "precedent cannot start: ..." and uvicorn then logged the forty-line
    # exception group Litestar formats, on every bad setting found at start-up. A model that
    # cannot be loaded is found only there (a Neo4j it cannot reach is found before: below).
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", str(tmp_path / "no-model-here"))
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "0"])
    assert exited.value.code == 3  # uvicorn's start-up failure
    err = capsys.readouterr().err
    assert "precedent cannot start: cannot load embedding model" in err
    # uvicorn's own lines, read as records: an earlier test in this process that ran uvicorn with
    # its default logging left its logger a handler on the stderr of that time, not this test's.
    uvicorn = [r for r in caplog.records if r.name.startswith("uvicorn")]
    said = "\n".join([err, *(r.getMessage() for r in uvicorn)])
    assert "Application startup failed" in said
    assert "Traceback" not in said, said
    assert not any(r.exc_info for r in uvicorn)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_neo4j_it_cannot_reach_is_said_before_the_model_loads_in_one_process_as_in_several(
    workers: str,
    unreachable_neo4j: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only `--workers` checked Neo4j before the model: one process loaded the model (seconds),
    # then waited for Neo4j, and said a wrong URI or password as the app's failed start (exit
    # code 3). A model that cannot be loaded shows which came first.
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", str(tmp_path / "no-model-here"))
    assert main(["serve", "--port", "0", "--workers", workers]) == 1  # a command's error
    text = said(capsys)
    assert f"error: Neo4j at {unreachable_neo4j} is unreachable" in text
    assert "embedding model" not in text
    assert "Application startup" not in text


async def _lifespan(failure: BaseException) -> list[Message]:
    """What the server is sent when an app fails to start with ``failure``."""

    async def app(scope: object, receive: object, send: object) -> None:
        await send({"type": "lifespan.startup.failed", "message": "Traceback (most recent call last): ..."})  # type: ignore[operator]
        raise failure

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(type(failure)):
        await SaidStartupFailure(app)({"type": "lifespan"}, receive, send)
    return sent


async def test_a_failure_said_in_one_line_is_sent_without_its_traceback() -> None:
    group = ExceptionGroup("task group", [ConfigError("set PRECEDENT_X")])
    assert await _lifespan(group) == [{"type": "lifespan.startup.failed", "message": ""}]


async def test_a_bug_at_start_up_keeps_its_traceback() -> None:
    group = ExceptionGroup("task group", [ConfigError("set PRECEDENT_X"), KeyError("bug")])
    [sent] = await _lifespan(group)
    assert str(sent["message"]).startswith("Traceback")


def test_one_process_with_a_malformed_webhook_secret_is_refused_before_the_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only several workers were checked first: one process loaded the model, then failed.
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_WEBHOOK_SECRET", "whsec_short")
    assert main(["serve", "--port", "0"]) == 1  # not uvicorn's failed start (exit code 3)
    text = said(capsys)
    assert "webhook signing secret #1 is not a valid whsec_ secret" in text
    assert "whsec_short" not in text
    assert not (tmp_path / "data").exists()  # nor was the map opened


def test_one_process_on_a_data_directory_it_cannot_write_is_refused_before_the_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Under a file, so even root cannot make it; the lock check alone passed, and the map's open
    # failed only after the model had loaded.
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "file" / "data"))
    assert main(["serve", "--port", "0"]) == 1
    text = said(capsys)
    # Rich wraps a long path wherever the terminal's width falls.
    assert "error: cannot open the map in" in text
    assert "for writing" in text
    assert "Check the directory is writable by this user" in text


def _with_metrics_dir_gone(tmp_path: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` run with ``PROMETHEUS_MULTIPROC_DIR`` naming a directory that is not there."""
    env = {**cli_env(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "gone"), "COLUMNS": "1000"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([str(Path(sys.executable).with_name("precedent")), "stats"], id="installed script"),
        pytest.param([sys.executable, "-m", "precedent.cli.main", "stats"], id="python -m"),
    ],
)
def test_a_metrics_directory_that_is_not_there_is_refused_as_a_setting_not_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    # prometheus-client opened a file in the missing directory while `precedent` imported its
    # commands, a FileNotFoundError traceback before any setting; the installed script checked
    # first, `python -m precedent.cli.main` (as the tests and the docs' examples run it) did not.
    ran = _with_metrics_dir_gone(tmp_path, command)
    assert ran.returncode == 2  # as the CLI's other invalid settings
    err = " ".join(ran.stderr.split())
    assert err.startswith(
        f"error: invalid setting: PROMETHEUS_MULTIPROC_DIR='{tmp_path / 'gone'}' is not a directory"
    )
    assert "Unset PROMETHEUS_MULTIPROC_DIR, or create that directory empty" in err
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["--version"], "precedent ", id="--version"),
        pytest.param(["--help"], "usage: precedent", id="--help"),
        pytest.param(["serve", "-h"], "usage: precedent serve", id="serve -h"),
    ],
)
def test_help_and_the_version_answer_beside_a_metrics_directory_that_is_not_there(
    tmp_path: Path, args: list[str], says: str
) -> None:
    # The directory was checked before the arguments were read: `precedent --version` and
    # `--help`, which write no metric, were refused with the commands that do.
    ran = _with_metrics_dir_gone(tmp_path, [sys.executable, "-m", "precedent.cli.main", *args])
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout.startswith(says)
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            [sys.executable, "-m", "uvicorn", "--factory", "precedent.api.app:create_app"], id="uvicorn"
        ),
        pytest.param([sys.executable, "-c", "import precedent.notebook"], id="notebook"),
    ],
)
def test_a_metrics_directory_that_is_not_there_stops_the_app_factory_and_the_notebook_on_what_to_set(
    tmp_path: Path, command: list[str]
) -> None:
    # Both imported precedent.metrics and died on prometheus-client's FileNotFoundError.
    ran = _with_metrics_dir_gone(tmp_path, command)
    assert ran.returncode != 0
    last = ran.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"precedent.errors.ConfigError: invalid setting: PROMETHEUS_MULTIPROC_DIR='{tmp_path / 'gone'}' "
        "is not a directory"
    ), ran.stderr
    assert last.endswith("Unset PROMETHEUS_MULTIPROC_DIR, or create that directory empty")
    assert "FileNotFoundError" not in ran.stderr
    assert not (tmp_path / "gone").exists()
