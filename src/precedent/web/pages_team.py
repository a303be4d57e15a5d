"""The team page: who is on call now, what the team owns, its members, recent incidents and open follow-ups.

Responders reach it from the owners an investigation or a service page names. It renders the
API's own answer for the team (``GET /v1/teams/{team}``: the same read, the same response model,
the same viewer), so a private incident shows here only to a viewer who may see it.
"""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from precedent.browse import get_team
from precedent.investigation import LiveOnCallSource
from precedent.model import Viewer
from precedent.responses import TeamResponse
from precedent.retrieval import Catalog
from precedent.store import GraphStore
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["TEAM_PAGES"]


# ``path``, as the service page's: a name holding "/" arrives as several segments.
@get("/teams/{team:path}", name="web:team")
async def team_page(
    team: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    live_on_call: NamedDependency[LiveOnCallSource | None],
    session: NamedDependency[PageSession],
) -> Template:
    """A team by id, name, external id or incident.io team id."""
    detail = await get_team(store, catalog, viewer, team.removeprefix("/"), live=live_on_call)
    return page("team.html", session, title=f"Team {detail.name}", team=TeamResponse.from_detail(detail))


TEAM_PAGES = [team_page]
