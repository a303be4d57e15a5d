"""A start-up that fails for a reason Precedent has said in one line ends without a traceback.

The app's lifespan logs ``precedent cannot start: <what to do>`` for a ``PrecedentError`` (Neo4j
unreachable, a data directory it cannot write, a malformed webhook secret). The server then
logged the whole exception group Litestar formats into ``lifespan.startup.failed``, forty lines
burying that one. Any other failure is a bug, and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

from precedent.errors import PrecedentError

__all__ = ["SaidStartupFailure"]

# ASGI's shapes, lifespan included (Litestar's own aliases cover HTTP and websockets only).
Message = MutableMapping[str, object]
Scope = MutableMapping[str, object]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SaidStartupFailure:
    """Wraps an ASGI app; blanks the traceback of a start-up failure that was a ``PrecedentError``.

    Litestar sends ``lifespan.startup.failed`` and then raises; the message is held until the
    exception shows which it was. The server still reports the failure and exits (uvicorn:
    "Application startup failed. Exiting.", exit code 3).
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold_startup_failure(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                held.append(message)
            else:
                await send(message)

        try:
            await self._app(scope, receive, hold_startup_failure)
        except BaseException as exc:
            for message in held:
                await send({**message, "message": ""} if _said(exc) else message)
            raise
        for message in held:
            await send(message)


def _said(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``PrecedentError``, or a group of nothing else (its message was logged)."""
    if isinstance(exc, BaseExceptionGroup):
        matched, rest = exc.split(PrecedentError)
        return matched is not None and rest is None
    return isinstance(exc, PrecedentError)
