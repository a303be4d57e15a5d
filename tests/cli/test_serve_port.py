"""``precedent serve`` on a port another process holds: said at once, with what to do, before the
map is opened or the model loaded (uvicorn alone says it only after the app has started)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.cli.listen import bind_listener
from precedent.cli.main import main
from precedent.errors import ConfigError
from tests.cli.output import said
from tests.support.cli_process import ROOT, cli_env, run_precedent

if TYPE_CHECKING:
    from pathlib import Path


def test_a_port_in_use_is_refused_before_anything_is_opened(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        done = run_precedent(["serve", "--port", str(port)], tmp_path / "data")
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    assert f"cannot listen on 127.0.0.1:{port}" in said
    assert f"precedent serve --port {port + 1}" in said
    assert "api ready" not in said  # refused before the app started
    assert not (tmp_path / "data").exists()  # nor was the map opened


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    except httpx.TransportError:
        return False


def test_serve_says_where_it_listens_once_it_answers(tmp_path: Path) -> None:
    # uvicorn logs its "running on" line only for sockets it bound itself; serve binds its own.
    env = cli_env(tmp_path / "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 600  # torch and the model load first, on a shared machine
        while not _answers(port) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _answers(port), log.read_text()
        assert f"Uvicorn running on http://127.0.0.1:{port}" in log.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)


def test_a_host_name_that_does_not_resolve_is_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # socket.gaierror escaped as a traceback: PRECEDENT_HOST=precedent.internal, a typo, a name
    # only another network resolves.
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    assert main(["serve", "--host", "no-such-host.invalid", "--port", "0"]) == 1
    text = said(capsys)
    assert "cannot listen on no-such-host.invalid:0: no address is known for 'no-such-host.invalid'" in text
    assert "precedent serve --host 127.0.0.1" in text
    assert not (tmp_path / "data").exists()


def test_an_address_of_another_machine_is_not_told_to_try_another_port() -> None:
    # 192.0.2.1 (TEST-NET-1) is no interface here: another port cannot cure that, the host can.
    with pytest.raises(ConfigError) as refused:
        bind_listener("192.0.2.1", 0, command="precedent serve")
    message = str(refused.value)
    assert "it is not an address of this machine" in message
    assert "--host 127.0.0.1" in message
    assert "--port" not in message
