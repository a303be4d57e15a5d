"""An ASGI app whose start-up fails at once, for the supervisor's tests (its workers import it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

__all__ = ["app"]

Message = MutableMapping[str, object]


async def app(
    scope: MutableMapping[str, object],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Refuse to start (uvicorn then exits the worker with its start-up failure code, 3)."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "this app never starts"})
