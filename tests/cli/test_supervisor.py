"""``serve --workers``'s supervisor sees at once a worker that failed to start, and says so.

uvicorn's supervisor kept its copy of each worker's end of their pipe, so a worker that died
before answering a health check was noticed only when the check timed out (five minutes; measured
5 min 20 s for a misspelt ``PRECEDENT_EMBEDDING_MODEL``), and it then exited as if stopped (0).
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import pytest
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import SIGNALS

from precedent.cli.listen import bind_listener
from precedent.cli.serve import WORKER_HEALTHCHECK_SECONDS
from precedent.cli.supervisor import Supervisor

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    """A supervisor of two workers of an app that never starts; this process's signal handlers
    (which the supervisor replaces) are put back after."""
    handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
    listener = bind_listener("127.0.0.1", 0, command="precedent serve")
    config = uvicorn.Config(
        "tests.cli.failing_app:app",
        workers=2,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=None,
    )
    try:
        yield Supervisor(config, sockets=[listener])
    finally:
        listener.close()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


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
