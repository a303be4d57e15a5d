"""``precedent serve``: run the HTTP API, in one process or, on Neo4j, in several.

With ``--workers N`` (N > 1) uvicorn binds the socket once and starts N worker processes that
accept from it; each worker builds its own app (``worker_app``) from the same settings, so each has
its own runtime, model and webhook worker, all sharing the one database. The embedded store is one
writer process by design (its write-ahead log and snapshots have a single owner), so there several
workers are refused before anything starts.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from precedent.api.app import create_app
from precedent.cli.collector import freeze_after_start
from precedent.cli.listen import bind_listener
from precedent.cli.logs import configure_logging
from precedent.cli.startup_failure import SaidStartupFailure
from precedent.cli.supervisor import Supervisor
from precedent.config import Settings, share_with_workers
from precedent.errors import ConfigError
from precedent.metrics import forget_this_process
from precedent.runtime import check_before_start

if TYPE_CHECKING:
    import argparse
    import socket

    from litestar import Litestar

    from precedent.embedding import Embedder
    from precedent.store import GraphStore


__all__ = ["WORKER_HEALTHCHECK_SECONDS", "check_workers", "register", "run", "served_app", "worker_app"]

log = logging.getLogger("precedent.cli")

WORKER_HEALTHCHECK_SECONDS = 300
"""How long the supervisor waits for a worker's answer before it kills and replaces it. A new worker
answers only once it has imported Precedent (torch among it): seconds on a quiet machine, minutes
on a loaded one; uvicorn's default (5 s) kills and restarts workers there before they ever serve."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` sub-command."""
    # Said whole: "run the HTTP API" left a reader of `precedent --help` looking to `worker` to
    # process the webhooks, which `serve` does itself.
    parser = subparsers.add_parser(
        "serve", help="run the HTTP API, the web pages, /mcp, and the webhook receiver with its worker"
    )
    parser.add_argument("--host", help="interface to bind (default PRECEDENT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default PRECEDENT_PORT or 8080)")
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes sharing the port (default PRECEDENT_WORKERS or 1; more than 1 needs Neo4j)",
    )
    parser.set_defaults(handler=run)


def check_workers(settings: Settings, flag: int | None) -> int:
    """The worker count to serve with (``--workers``, else ``PRECEDENT_WORKERS``), if the store can.

    A refusal names where the count came from, so it says what the user set.

    Raises:
        ConfigError: if the count is below 1, or above 1 on the embedded store.
    """
    workers = flag if flag is not None else settings.workers
    asked = f"--workers {workers}" if flag is not None else f"PRECEDENT_WORKERS={workers}"
    if workers < 1:
        raise ConfigError(f"--workers must be 1 or more; got {workers}")  # the setting is checked as read
    if workers > 1 and settings.store == "embedded":
        leave_out = "without --workers" if flag is not None else "with PRECEDENT_WORKERS unset (or 1)"
        raise ConfigError(
            f"{asked} needs a store several processes can write: the embedded store has one "
            "writer process by design (one process owns its write-ahead log and snapshots), so it serves "
            f"from one process. Run `precedent serve` {leave_out} (one process answers many "
            "concurrent requests), or move the map to Neo4j (PRECEDENT_STORE=neo4j and "
            "PRECEDENT_NEO4J_URI; `precedent sync` fills it), which any number of workers share."
        )
    return workers


def served_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with the address this command serves on (``--host``/``--port`` win).

    Page links in Slack summaries and API answers are made from them, so they name that address.
    """
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    return settings.model_copy(update={"host": host, "port": port})


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    settings = served_settings(args, settings)
    host, port = settings.host, settings.port
    workers = check_workers(settings, args.workers)
    if workers > 1:  # on Neo4j (check_workers), which any number of processes write
        # Each worker would otherwise load the model and then fail.
        await check_before_start(settings)
        return _serve_workers(settings, host=host, port=port, workers=workers)
    listener = bind_listener(host, port, command="precedent serve")
    # One line now, a command's error, rather than the app's failed start (uvicorn's exit code 3),
    # and before the model's load: a wrong Neo4j URI or password was said only once the model had
    # loaded. The app's start then leaves them out (checked_before_model).
    try:
        await check_before_start(settings)
    except BaseException:
        listener.close()
        raise
    config = uvicorn.Config(
        SaidStartupFailure(served_app(settings, checked_before_model=True)),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        # Logging is configured once by the CLI (text or JSON); the app logs each request itself.
        log_config=None,
        access_log=False,
    )
    try:
        await _Server(config).serve(sockets=[listener])
    finally:
        listener.close()  # uvicorn leaves the socket it was handed open when the app fails to start
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it listens: uvicorn says so only for a socket it bound."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            _say_where(sockets[0])


def _say_where(listener: socket.socket) -> None:
    """Log where ``listener`` listens, in uvicorn's words for a socket it bound."""
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, port
    )


def _serve_workers(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Run the worker processes' supervisor until it is interrupted; it blocks this (main) thread.

    uvicorn's supervisor needs the main thread for its signal handlers and runs no event loop of
    its own, so it is called directly; nothing else runs in this process meanwhile.

    Returns:
        The exit code: 0 once stopped, 3 (uvicorn's for a failed start, as one process exits)
        when a worker failed to start (that worker has logged why), 1 when a worker ended once the
        metric directory was gone (the supervisor has logged it).

    Raises:
        ConfigError: if the address cannot be bound or the metrics directory cannot be used.
    """
    # Bound here, as one process binds it: uvicorn's own bind says only "address already in use".
    listener = bind_listener(host, port, command="precedent serve")
    try:
        metrics_dir, temporary = _metrics_dir(settings)
    except BaseException:
        listener.close()
        raise
    share_with_workers(host=host, port=port, metrics_dir=metrics_dir)
    log.info("serving with %d worker processes; their metrics are summed from %s", workers, metrics_dir)
    config = uvicorn.Config(
        "precedent.cli.serve:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )
    supervisor = Supervisor(config, sockets=[listener], metrics_dir=metrics_dir)
    try:
        _say_where(listener)
        supervisor.run()
    finally:
        listener.close()
        if temporary:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    if supervisor.failed_to_start:
        log.error(
            "precedent cannot start: a worker process failed to start, and the others were stopped; "
            "its reason is logged above ('precedent cannot start: ...'): fix that and run "
            "`precedent serve` again"
        )
        return STARTUP_FAILURE
    return 1 if supervisor.metrics_gone else 0  # its reason is logged


def _metrics_dir(settings: Settings) -> tuple[Path, bool]:
    """The directory the workers' metric files go to, empty, and whether it is ours to remove.

    Files left by an earlier run would be summed into this one's counters, so they are deleted.
    A file is made and dropped there first: each worker writes its own from its first import, so a
    directory it could not write failed every worker with a traceback, restarted without end.

    Raises:
        ConfigError: if the directory cannot be made, emptied or written, saying what to set.
    """
    configured = settings.metrics_dir
    if configured is None:
        try:
            made = Path(tempfile.mkdtemp(prefix="precedent-metrics-"))
        except OSError as exc:
            raise ConfigError(
                f"cannot make a temporary directory for the workers' metric files ({exc}): set "
                "PRECEDENT_METRICS_DIR to a directory this user can write (or TMPDIR to a "
                "writable temporary directory)"
            ) from exc
        return made, True
    try:
        configured.mkdir(parents=True, exist_ok=True)
        for stale in configured.glob("*.db"):
            stale.unlink()
        _probe(configured)
    except OSError as exc:
        raise ConfigError(
            f"cannot use PRECEDENT_METRICS_DIR={configured} for the workers' metric files "
            f"({exc.strerror}): point it at a directory this user can write, or unset it to use a "
            "temporary one"
        ) from exc
    return configured, False


def _probe(directory: Path) -> None:
    """Make and drop a file in ``directory``, as each worker makes its metric files there."""
    with tempfile.TemporaryFile(dir=directory):
        pass


def served_app(
    settings: Settings,
    *,
    store: GraphStore | None = None,
    embedder: Embedder | None = None,
    checked_before_model: bool = False,
) -> Litestar:
    """The app ``serve``, each of its workers and ``demo`` run: ``create_app``'s, which, once
    started, leaves what it loaded (the model, the map) out of garbage collection.

    ``store``, ``embedder`` and ``checked_before_model`` are ``create_app``'s (tests pass the
    first two; the settings open them otherwise).
    """
    app = create_app(settings, store=store, embedder=embedder, checked_before_model=checked_before_model)
    return freeze_after_start(app)


def worker_app() -> SaidStartupFailure:
    """The app one worker process serves (uvicorn imports and calls this in each worker).

    A worker is a fresh interpreter: it reads the settings the parent shared through the
    environment and sets logging up as the CLI does.
    """
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = served_app(settings)
    app.on_shutdown.append(forget_this_process)
    return SaidStartupFailure(app)
