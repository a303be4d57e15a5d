"""Web pages for people: investigations, incidents, services and the map, rendered on the server.

``web_router`` is mounted by the API app at ``/ui`` with ``template_config``; the pages sign a
browser in with an API token (``session``) and read the map through the same investigation,
retrieval and store reads as the API, as the token's ``Viewer``. Templates and the one
stylesheet ship in the package; no script is needed to read any page.
"""

from precedent.web.errors import http_error_page
from precedent.web.rendering import template_config
from precedent.web.router import UI_PATH, web_router

__all__ = ["UI_PATH", "http_error_page", "template_config", "web_router"]
