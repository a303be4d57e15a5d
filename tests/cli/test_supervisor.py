"""``serve --workers``'s supervisor sees at once a worker that failed to start, and says so.

uvicorn's supervisor kept its copy of each worker's end of their pipe, so a worker that died
before answering a health check was noticed only when the check timed out (five minutes; measured
5 min 20 s for a misspelt ``PRECEDENT_EMBEDDING_MODEL``), and it then exited as if stopped (0).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import time
from typing import TYPE_CHECKING

import pytest
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import SIGNALS

from precedent.cli.listen import bind_listener
from precedent.cli.serve import WORKER_HEALTHCHECK_SECONDS
from precedent.cli.supervisor import Supervisor
from precedent.errors import MetricsUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def _supervising(app: str, workers: int, metrics_dir: Path | None = None) -> Iterator[Supervisor]:
    """A supervisor of ``workers`` workers of ``app`` (not started); this process's signal
    handlers (which the supervisor replaces) are put back after."""
    handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
    listener = bind_listener("127.0.0.1", 0, command="precedent serve")
    config = uvicorn.Config(
        app,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=None,
    )
    try:
        yield Supervisor(config, sockets=[listener], metrics_dir=metrics_dir)
    finally:
        listener.close()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    """A supervisor of two workers of an app that never starts."""
    with _supervising("tests.cli.failing_app:app", workers=2) as supervisor:
        yield supervisor


def test_a_worker_that_died_is_seen_gone_on_its_pipe(supervisor: Supervisor) -> None:
    # What the health check waits on: once the worker is gone, its pipe says so (end of file)
    # instead of staying silent until the check times out.
    supervisor.init_processes()
    try:
        for process in supervisor.processes:
            process.join()
            assert process.exitcode == STARTUP_FAILURE
            assert process.parent_conn.poll(0), "the pipe of a dead worker still looks open"
            with pytest.raises(EOFError):
                process.parent_conn.recv()
    finally:
        supervisor.terminate_all()


def test_a_worker_that_failed_to_start_stops_the_supervisor_which_says_so(supervisor: Supervisor) -> None:
    supervisor.run()
    assert supervisor.failed_to_start
    assert STARTUP_FAILURE in [p.exitcode for p in supervisor.processes]


def test_a_worker_that_died_after_its_metric_files_went_is_not_replaced_and_serve_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A replacement made its metric files in the removed directory as it imported the command
    # line (the metrics with it): it failed with a traceback, exit code 1, which the supervisor
    # answered with another replacement, without end.
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics))
    with _supervising("tests.cli.failing_app:starting_app", workers=1, metrics_dir=metrics) as supervisor:
        supervisor.init_processes()
        try:
            [worker] = supervisor.processes
            assert worker.wait_until_ready(WORKER_HEALTHCHECK_SECONDS)
            shutil.rmtree(metrics)  # a temporary-file cleaner
            worker.process.kill()  # the worker ends (out of memory, say) while the directory is gone
            worker.process.join()
            started = [p.pid for p in supervisor.processes]
            for _ in range(20):
                supervisor.keep_subprocess_alive()
                if supervisor.should_exit.is_set():
                    break
                time.sleep(0.5)
            assert supervisor.should_exit.is_set()
            assert [p.pid for p in supervisor.processes] == started  # no replacement was started
            assert supervisor.metrics_gone
            [said] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert str(MetricsUnavailable()) in said
        finally:
            supervisor.terminate_all()
            supervisor.join_all()
