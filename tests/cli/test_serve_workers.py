"""``precedent serve --workers N``: several processes on one Neo4j database, their metrics summed;
refused on the embedded store, which has one writer process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.auth import TokenRegistry
from precedent.cli.main import main
from precedent.cli.serve import check_workers, served_settings
from precedent.config import Settings
from precedent.errors import ConfigError
from precedent.store.neo4j import Neo4jStore
from tests.cli.output import said
from tests.support.cli_process import run_precedent

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.neo4j_server import Neo4jServer

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 900  # two workers each import torch and load the model, on a shared machine
_COUNT = re.compile(
    r'^precedent_http_request_duration_seconds_count\{method="GET",route="/v1/stats",status="200"\} (\S+)$',
    re.MULTILINE,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], port: int, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port), *flags],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends: the supervisor stops its workers
        try:
            return process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(10)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


@pytest.fixture
async def read_token(neo4j: Neo4jServer) -> str:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    store = Neo4jStore(neo4j.uri, auth=auth, database="neo4j", dimensions=384)
    await store.open()
    try:
        return (await TokenRegistry(store).create(["read"], name=f"workers-{os.getpid()}")).secret
    finally:
        await store.close()


@pytest.fixture
def workers_env(neo4j: Neo4jServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRECEDENT_", "PROMETHEUS_"))}
    env |= {
        "HF_HUB_OFFLINE": "1",
        "PRECEDENT_STORE": "neo4j",
        "PRECEDENT_NEO4J_URI": neo4j.uri,
        "PRECEDENT_DATA_DIR": str(tmp_path / "data"),
    }
    if neo4j.user and neo4j.password:
        env |= {"PRECEDENT_NEO4J_USER": neo4j.user, "PRECEDENT_NEO4J_PASSWORD": neo4j.password}
    return env


@pytest.fixture
def two_workers(workers_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = _serve(workers_env, port, tmp_path / "serve.log", "--workers", "2")
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


async def _wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise AssertionError(f"serve --workers 2 was not ready in {READY_SECONDS} s:\n{log.read_text()}")


async def _get(base: str, path: str, token: str) -> httpx.Response:
    # A connection per request, so the kernel hands requests to whichever worker accepts first.
    headers = {"Authorization": f"Bearer {token}"}
    # Generous: on a shared, loaded machine a Neo4j count can take seconds.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        return await client.get(path)


@pytest.mark.neo4j
@pytest.mark.model
@pytest.mark.slow
async def test_two_workers_answer_on_one_port_and_their_metrics_add_up(
    two_workers: tuple[subprocess.Popen[bytes], str], read_token: str, tmp_path: Path
) -> None:
    process, base = two_workers
    log = tmp_path / "serve.log"
    await _wait_ready(process, base, log)
    [metrics_dir] = re.findall(r"their metrics are summed from (\S+)", log.read_text())
    metrics = Path(metrics_dir)
    workers = _children(process.pid)
    assert len(workers) >= 2, workers  # uvicorn's supervisor runs the workers as its children

    # Until each worker has answered some: its metric file (one per process) says it did.
    answered = 0
    for _ in range(40):
        responses = await asyncio.gather(*(_get(base, "/v1/stats", read_token) for _ in range(6)))
        assert {r.status_code for r in responses} == {200}
        answered += len(responses)
        writers = {int(f.stem.rsplit("_", 1)[1]) for f in metrics.glob("histogram_*.db")}
        if len(writers & workers) >= 2:
            break
    assert len(writers & workers) >= 2, f"one worker answered all {answered} requests"

    # Whichever worker answers a scrape, it reports every worker's requests.
    for _ in range(4):
        scrape = await _get(base, "/metrics", read_token)
        assert scrape.status_code == 200
        assert [float(n) for n in _COUNT.findall(scrape.text)] == [answered]

    # A temporary-file cleaner empties /tmp under it: each scrape was a 500 with a traceback.
    shutil.rmtree(metrics)
    gone = await _get(base, "/metrics", read_token)
    assert gone.status_code == 503, gone.text
    assert "metric files are gone" in gone.json()["detail"]
    assert "PRECEDENT_METRICS_DIR set to a directory nothing cleans" in gone.json()["detail"]
    assert "Traceback" not in log.read_text()

    assert _stop(process) == 0
    assert not metrics.exists()  # the temporary directory goes with the server
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)  # reparented children are reaped by init a moment later
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_the_embedded_store_refuses_several_workers_and_says_what_to_do(tmp_path: Path) -> None:
    done = run_precedent(["serve", "--workers", "2", "--port", str(_free_port())], tmp_path / "data")
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert "--workers 2 needs a store several processes can write" in said
    assert "one writer process by design" in said
    assert "PRECEDENT_STORE=neo4j" in said
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_worker_counts_are_checked_against_the_store() -> None:
    assert check_workers(Settings(store="embedded"), 1) == 1
    assert check_workers(Settings(store="neo4j"), 4) == 4
    assert check_workers(Settings(store="neo4j", workers=3), None) == 3
    with pytest.raises(ConfigError, match="one writer process"):
        check_workers(Settings(store="embedded"), 2)
    with pytest.raises(ConfigError, match="1 or more"):
        check_workers(Settings(store="neo4j"), 0)


def test_a_refused_worker_count_names_where_it_was_set() -> None:
    # PRECEDENT_WORKERS=2 was told to drop a --workers flag the user never typed.
    with pytest.raises(ConfigError) as from_env:
        check_workers(Settings(store="embedded", workers=2), None)
    assert str(from_env.value).startswith("PRECEDENT_WORKERS=2 needs")
    assert "--workers" not in str(from_env.value)
    with pytest.raises(ConfigError) as from_flag:
        check_workers(Settings(store="embedded", workers=2), 3)
    assert str(from_flag.value).startswith("--workers 3 needs")
    assert "without --workers" in str(from_flag.value)


def test_a_configured_metrics_directory_is_emptied_of_an_earlier_runs_files(tmp_path: Path) -> None:
    from precedent.cli.serve import _metrics_dir

    left = tmp_path / "metrics"
    left.mkdir()
    (left / "counter_4242.db").write_bytes(b"an earlier run's counts")
    (left / "README").write_text("not ours")
    assert _metrics_dir(Settings(metrics_dir=left)) == (left, False)
    assert sorted(p.name for p in left.iterdir()) == ["README"]


def test_a_metrics_directory_that_cannot_be_made_is_said_in_one_line(tmp_path: Path) -> None:
    # A FileExistsError (a file in its place) or a PermissionError escaped as a traceback.
    from precedent.cli.serve import _metrics_dir

    taken = tmp_path / "metrics"
    taken.write_text("a file where the directory should be")
    with pytest.raises(ConfigError, match=r"cannot use PRECEDENT_METRICS_DIR=.*metrics .*unset it"):
        _metrics_dir(Settings(metrics_dir=taken))


def test_a_metrics_directory_the_workers_cannot_write_is_said_in_one_line() -> None:
    # It exists, so it passed; then each worker failed at its first import writing its metric
    # file there, with a traceback, and was restarted without end. /proc takes no files, as a
    # read-only mount takes none (and as root no directory can be made read-only).
    from precedent.cli.serve import _metrics_dir

    with pytest.raises(ConfigError, match=r"cannot use PRECEDENT_METRICS_DIR=/proc .*this user can write"):
        _metrics_dir(Settings(metrics_dir=Path("/proc")))


def test_no_temporary_directory_for_the_metrics_is_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mkdtemp's OSError escaped as a traceback.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))  # where TMPDIR would point
    from precedent.cli.serve import _metrics_dir

    with pytest.raises(
        ConfigError, match=r"temporary directory for the workers' metric files .*PRECEDENT_METRICS_DIR"
    ):
        _metrics_dir(Settings())


def test_the_address_served_is_the_one_page_links_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, port=8080)
    chosen = served_settings(argparse.Namespace(host="0.0.0.0", port=8181), settings)
    assert (chosen.host, chosen.port) == ("0.0.0.0", 8181)
    default = served_settings(argparse.Namespace(host=None, port=None), settings)
    assert (default.host, default.port) == (settings.host, 8080)


def test_several_workers_on_a_neo4j_they_cannot_reach_are_refused_before_any_starts(
    unreachable_neo4j: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each worker loaded the model and failed; uvicorn's supervisor, mid-way through a health
    # check of up to WORKER_HEALTHCHECK_SECONDS, noticed five minutes later and ignored SIGTERM
    # until then.
    assert main(["serve", "--workers", "2", "--port", "0"]) == 1
    text = said(capsys)
    assert f"error: Neo4j at {unreachable_neo4j} is unreachable while connecting" in text
    assert "worker processes" not in text  # refused before the supervisor started


@pytest.mark.neo4j
def test_several_workers_on_a_port_in_use_are_refused_saying_what_to_do(
    workers_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # uvicorn bound the port itself and said "[Errno 98] Address already in use", after a line
    # saying the workers were being served; one process says what to do.
    for name, value in workers_env.items():
        if name.startswith("PRECEDENT_"):
            monkeypatch.setenv(name, value)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        assert main(["serve", "--workers", "2", "--port", str(port)]) == 1
    text = said(capsys)
    assert f"cannot listen on 127.0.0.1:{port}" in text
    assert f"precedent serve --port {port + 1}" in text
    assert "worker processes" not in text


def test_several_workers_wait_for_a_neo4j_not_up_yet_as_each_service_does(
    unreachable_neo4j: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The check before the workers start asked Neo4j once: `serve --workers 4` started beside it
    # by compose exited at once, where one process (and each worker) waits for it.
    monkeypatch.setenv("PRECEDENT_NEO4J_START_WAIT_SECONDS", "1")
    assert main(["serve", "--workers", "2", "--port", "0"]) == 1
    text = said(capsys)
    assert f"waiting for the store: attempt 1 failed (Neo4j at {unreachable_neo4j} is unreachable" in text
    assert "the store did not come up in 1 s" in text
    assert f"error: Neo4j at {unreachable_neo4j} is unreachable while connecting" in text
    assert "worker processes" not in text


@pytest.mark.parametrize(("store", "workers"), [("neo4j", ["--workers", "2"]), ("embedded", [])])
def test_a_malformed_webhook_secret_is_refused_before_anything_starts(
    store: str,
    workers: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # One process found it only once the map was open and the model loaded (17 s on the demo),
    # while --workers checked it first: an operator fixing a pasted secret waited that long a try.
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PRECEDENT_STORE", store)
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_WEBHOOK_SECRET", "whsec_short")
    # A model this machine does not have: loading it first would fail on that instead.
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", "precedent-tests/no-such-model")
    assert main(["serve", *workers, "--port", "0"]) == 1
    text = said(capsys)
    assert "webhook signing secret #1 is not a valid whsec_ secret" in text
    assert "whsec_short" not in text
    assert "worker processes" not in text


def test_several_workers_on_neo4j_with_a_data_directory_they_cannot_write_are_refused_before_any_starts(
    occupied_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # With Neo4j the data directory still holds the embedding cache; nothing checked it, so every
    # worker loaded the model and then failed each question and webhook on the cache's first write.
    monkeypatch.setenv("PRECEDENT_STORE", "neo4j")
    # Refused before Neo4j is asked for (nothing listens here) and before the model loads.
    monkeypatch.setenv("PRECEDENT_NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", "precedent-tests/no-such-model")
    assert main(["serve", "--workers", "2", "--port", "0"]) == 1
    # Rich may break the long path where the terminal's width ends: compare without spaces.
    text = "".join(said(capsys).split())
    for expected in (
        f"error: cannot write the embedding cache in {occupied_data_dir} (",
        "point PRECEDENT_DATA_DIR at one",
    ):
        assert "".join(expected.split()) in text
    assert "Neo4jat" not in text
    assert "workerprocesses" not in text
