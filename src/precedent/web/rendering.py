"""The pages' template engine and the one way a handler renders a page.

Templates and the stylesheet ship inside the package (``templates/``, ``static/``); nothing is
fetched from elsewhere at run time. Jinja2 escapes every value (autoescape), so a name or an
update from incident.io is always text, never markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup

from precedent.links import Links
from precedent.retrieval.catalog import left_out
from precedent.retrieval.results import FROM_UPDATES
from precedent.visible_text import visible_controls
from precedent.web.format import FILTERS
from precedent.web.headers import PAGE_HEADERS

if TYPE_CHECKING:
    from precedent.web.session import PageSession

__all__ = ["PAGES", "STATIC_DIR", "page", "template_config"]

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
PAGES = Links("")
"""Links between pages are site-relative, so they work whichever host the browser used."""


def _shown(value: object) -> object:
    """Every value a template prints, with its bidirectional controls made visible, not obeyed."""
    if isinstance(value, Markup):
        return Markup(visible_controls(str(value)))  # noqa: S704 - markup already; controls become plain text
    return visible_controls(value) if isinstance(value, str) else value


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name fails the page's tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        # Each {{ value }}, whichever page: text from CI or incident.io must not reorder the page.
        finalize=_shown,
    )
    env.filters.update(FILTERS)
    env.globals["ui"] = PAGES
    # One wording of a lesson read from status updates, as the CLI, MCP and Slack say it.
    env.globals["from_updates"] = FROM_UPDATES
    # Services named that the map does not hold, with those meant, as the CLI and MCP say them.
    env.globals["left_out"] = left_out
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template configuration: the pages' Jinja environment."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def page(name: str, session: PageSession | None, *, status_code: int = 200, **context: Any) -> Template:
    """Render ``templates/<name>`` for a signed-in browser (``session``) or the sign-in form."""
    return Template(
        template_name=name,
        context={"session": session, "now": datetime.now(UTC), **context},
        status_code=status_code,
        # Pages show what this viewer may see: never shared. The page headers are set here too, not
        # only by the pages' router: the app answers an unknown /ui address with a page outside it.
        headers={"Cache-Control": "no-store", **dict(PAGE_HEADERS)},
    )
