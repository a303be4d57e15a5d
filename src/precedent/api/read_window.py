"""Each request's store reads retry transient failures for a short window, then answer 503.

Background work keeps the store's long window (see precedent.store.read_retry); a responder's
page or an HTTP client should not wait half a minute to learn that the store is down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.store.read_retry import read_retry_window

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestReadWindow"]


class RequestReadWindow:
    """Run each request with store reads retried for at most ``seconds``."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        """Wrap ``app``, the rest of the route's middleware stack."""
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request (HTTP or WebSocket; Litestar runs no middleware for lifespan) in the window."""
        with read_retry_window(self.seconds):
            await self.app(scope, receive, send)
