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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvicorn.supervisors import Multiprocess

if TYPE_CHECKING:
    import socket

    from uvicorn import Config

__all__ = ["Supervisor"]


class Supervisor(Multiprocess):
    """Starts ``config.workers`` worker processes on ``sockets`` and keeps them alive until stopped.

    Args:
        config: The workers' uvicorn configuration (an import string for the app).
        sockets: The bound sockets the workers accept from.
    """

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.failed_to_start = False
        """Whether it stopped because a worker failed to start (its reason is in the worker's log)."""

    def init_processes(self) -> None:
        super().init_processes()
        self._let_go()

    def keep_subprocess_alive(self) -> None:
        self._let_go()  # workers a signal started since (SIGHUP, SIGTTIN)
        stopping = self.should_exit.is_set()
        super().keep_subprocess_alive()
        self._let_go()  # the replacement of a worker that died
        # Signals are handled between these calls, so only a worker's failed start stops it here.
        if self.should_exit.is_set() and not stopping:
            self.failed_to_start = True

    def _let_go(self) -> None:
        """Close this process's copy of each worker's end of its pipe (the worker has its own
        from its start): only then does the pipe report a worker that died."""
        for process in self.processes:
            process.child_conn.close()
