"""An ASGI app that starts, in a process keeping its metrics in files, for the supervisor's tests.

It imports ``precedent.metrics`` as every ``serve`` worker does (through the command line, which
the worker re-imports as its main module): in prometheus-client's multiprocess mode that import
makes this process's metric files in ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

import precedent.metrics  # noqa: F401 (its import is what makes the metric files)

__all__ = ["app"]

Message = MutableMapping[str, object]


async def app(
    scope: MutableMapping[str, object],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Start, and answer nothing else (the tests only need a worker that runs)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
