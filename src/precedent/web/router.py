"""The pages' router, mounted by the API app at ``/ui``.

Its dependencies replace the app's for the pages: the ``viewer`` is the signed-in browser's (its
session cookie's token), never the bearer middleware's, which does not run under ``/ui``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request, Router
from litestar.di import NamedDependency, Provide
from litestar.static_files import create_static_files_router

from precedent.auth import TokenRegistry
from precedent.model import Viewer
from precedent.web.errors import PAGE_EXCEPTION_HANDLERS
from precedent.web.headers import PageHeaders
from precedent.web.pages_auth import AUTH_PAGES
from precedent.web.pages_home import HOME_PAGES
from precedent.web.pages_incident import INCIDENT_PAGES
from precedent.web.pages_investigation import INVESTIGATION_PAGES
from precedent.web.pages_lists import LIST_PAGES
from precedent.web.pages_service import SERVICE_PAGES
from precedent.web.pages_team import TEAM_PAGES
from precedent.web.rendering import STATIC_DIR
from precedent.web.session import PageSession, authenticate, site_origin

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["UI_PATH", "web_router"]

UI_PATH = "/ui"


def web_router(
    tokens: Callable[[], TokenRegistry], *, secure_cookies: bool, public_url: str | None = None
) -> Router:
    """The pages under ``/ui``.

    Args:
        tokens: The app's token registry (read per request: it exists once the app has started).
        secure_cookies: Mark cookies ``Secure`` (the service is reached over https).
        public_url: ``PRECEDENT_PUBLIC_URL``: forms posted from it are this site's, whatever
            ``Host`` a reverse proxy passes on.
    """
    public_origin = site_origin(public_url)

    async def provide_session(request: Request[Any, Any, Any]) -> PageSession:
        return await authenticate(request, tokens)

    def provide_tokens() -> TokenRegistry:
        # A closure, not the bound method itself: litestar deep-copies a layer's providers, and a
        # copied bound method would carry a copy of the object that holds the live registry.
        return tokens()

    def provide_viewer(session: NamedDependency[PageSession]) -> Viewer:
        return session.viewer

    return Router(
        path=UI_PATH,
        route_handlers=[
            *AUTH_PAGES,
            *HOME_PAGES,
            *INVESTIGATION_PAGES,
            *LIST_PAGES,
            *INCIDENT_PAGES,
            *SERVICE_PAGES,
            *TEAM_PAGES,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                name="web:static",
                include_in_schema=False,
                cache_control=None,
            ),
        ],
        dependencies={
            "session": Provide(provide_session),
            "viewer": Provide(provide_viewer, sync_to_thread=False),
            "tokens": Provide(provide_tokens, sync_to_thread=False),
            "cookie_secure": Provide(lambda: secure_cookies, sync_to_thread=False),
            "public_origin": Provide(lambda: public_origin, sync_to_thread=False),
        },
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        # Outside each page's exception handling, so redirects and error pages carry them too.
        middleware=[PageHeaders],
        include_in_schema=False,
    )
