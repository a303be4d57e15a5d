"""``serve --workers N``'s supervisor: uvicorn's, seeing at once a worker that failed to start.

uvicorn's supervisor asks each worker over a pipe, every half second, whether it is alive, and
waits up to the health-check timeout (``WORKER_HEALTHCHECK_SECONDS``, five minutes) for the
answer. It kept its own copy of the worker's end of that pipe, so a worker that died before
answering (one whose start failed answers from a thread that stops as its interpreter exits)
never closed the pipe: the supervisor waited out the five minutes before it saw the worker gone,
with the worker's reason logged long before (measured: 5 min 20 s for a misspelt
``PRECEDENT_EMBEDDING_MODEL``). Here it lets go of that copy once the worker has its own, so a
worker's death ends the wait at once; and it remembers that a worker failed to start, which
uvicorn's supervisor only logs before it exits as if stopped.

It also replaces no worker once the workers' metric directory is gone (a temporary-file cleaner):
a replacement makes its metric files there as it imports Precedent, before it could say anything,
so it failed with a traceback and exit code 1, and was replaced again, without end. The supervisor
says why in one line instead and stops, so ``serve`` exits and a service manager's restart makes
a new directory.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from uvicorn.supervisors import Multiprocess

from precedent.errors import MetricsUnavailable

if TYPE_CHECKING:
    import socket
    from pathlib import Path

    from uvicorn import Config

__all__ = ["Supervisor"]

log = logging.getLogger("precedent.cli")


class Supervisor(Multiprocess):
    """Starts ``config.workers`` worker processes on ``sockets`` and keeps them alive until stopped.

    Args:
        config: The workers' uvicorn configuration (an import string for the app).
        sockets: The bound sockets the workers accept from.
        metrics_dir: Where the workers keep their metric files (prometheus-client's
            multiprocess mode), if they do.
    """

    def __init__(self, config: Config, sockets: list[socket.socket], metrics_dir: Path | None = None) -> None:
        super().__init__(config, sockets)
        self._metrics_dir = metrics_dir
        self.failed_to_start = False
        """Whether it stopped because a worker failed to start (its reason is in the worker's log)."""
        self.metrics_gone = False
        """Whether it stopped because a worker ended once the metric directory was gone (logged)."""

    def init_processes(self) -> None:
        super().init_processes()
        self._let_go()

    def keep_subprocess_alive(self) -> None:
        self._let_go()  # workers a signal started since (SIGHUP, SIGTTIN)
        stopping = self.should_exit.is_set()
        if not stopping and self._cannot_replace():
            return
        super().keep_subprocess_alive()
        self._let_go()  # the replacement of a worker that died
        # Signals are handled between these calls, so only a worker's failed start stops it here.
        if self.should_exit.is_set() and not stopping:
            self.failed_to_start = True

    def _cannot_replace(self) -> bool:
        """Stop, saying why, if a worker has ended and the metric directory its replacement
        needs is gone. While every worker runs, they serve on (``/metrics`` answers 503)."""
        if self._metrics_dir is None or self._metrics_dir.is_dir():
            return False
        if all(process.process.is_alive() for process in self.processes):
            return False
        log.error(
            "precedent serve stops: a worker process ended and cannot be replaced: %s", MetricsUnavailable()
        )
        self.metrics_gone = True
        self.should_exit.set()
        return True

    def _let_go(self) -> None:
        """Close this process's copy of each worker's end of its pipe (the worker has its own
        from its start): only then does the pipe report a worker that died."""
        for process in self.processes:
            process.child_conn.close()
