"""A loopback port in front of a server that drops its first connections: a server still starting.

Each connection after the first ``drops`` is forwarded, byte for byte both ways, to the server;
those before it are closed at once, as a port whose server is not up yet answers a client.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["FlakyPort"]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
    finally:  # cancelled too: a transport left open is closed by the collector, with a warning
        writer.close()


class FlakyPort:
    """Forward ``127.0.0.1:port`` to ``host:port_to`` once ``drops`` connections were dropped."""

    def __init__(self, host: str, port_to: int, *, drops: int) -> None:
        self._target = (host, port_to)
        self._drops = drops
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[object]] = set()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections <= self._drops:
            writer.close()
            await writer.wait_closed()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        both = asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        self._pipes.add(both)
        both.add_done_callback(self._pipes.discard)
        with contextlib.suppress(asyncio.CancelledError):
            await both
