"""ASGI apps for the supervisor's tests (its workers import them): one whose start-up fails at
once, and one that starts.

This module imports ``precedent.metrics`` as every ``serve`` worker does (through the command
line, which the worker re-imports as its main module): in prometheus-client's multiprocess mode
that import makes the process's metric files in ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

import precedent.metrics  # noqa: F401 (its import is what makes the metric files)

__all__ = ["app", "starting_app"]

Message = MutableMapping[str, object]
Scope = MutableMapping[str, object]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse to start (uvicorn then exits the worker with its start-up failure code, 3)."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "this app never starts"})


async def starting_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Start, and answer nothing else (a worker that runs)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
