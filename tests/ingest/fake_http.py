"""Serves a ``FakeIncidentIo`` over real HTTP on loopback, for CLI tests that build their own client."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from tests.support.incidentio_routes import BASE_URL

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.incidentio_server import FakeIncidentIo

__all__ = ["serve_fake"]


def _asgi(fake: FakeIncidentIo) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        query = scope["query_string"].decode()
        url = f"{BASE_URL}{scope['path']}" + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        response = fake(httpx.Request(scope["method"], url, headers=headers))
        raw_headers = [(k.encode(), v.encode()) for k, v in response.headers.items() if k != "content-length"]
        raw_headers.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.content})

    return app


@contextmanager
def serve_fake(fake: FakeIncidentIo) -> Iterator[str]:
    """Run the fake on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    config = uvicorn.Config(_asgi(fake), host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
