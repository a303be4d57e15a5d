"""The headers every page response carries, so that a browser holds the pages to what they are.

The pages run no script, fetch nothing from elsewhere and are never meant to be framed; saying so
lets the browser refuse what a hostile value in the map might still try (an injected script or
link, a page framed by another site to trick a click on the sign-out form), and keeps the
incident addresses in the pages' URLs out of the ``Referer`` sent to incident.io or an issue
tracker when a reader follows a link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PAGE_HEADERS", "PageHeaders"]

PAGE_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
)
"""Names and values added to each response under ``/ui`` (redirects and error pages included)."""


class PageHeaders:
    """ASGI middleware adding ``PAGE_HEADERS`` to each response it wraps (the pages' router uses it)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``, the rest of the page's middleware stack."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response's start."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {bytes(name).lower() for name, _ in message.get("headers", ())}
                added = [(n.encode(), v.encode()) for n, v in PAGE_HEADERS if n.encode() not in present]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
