"""The investigation pages: what a responder reads after clicking the link in Slack."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, SkipValidation
from litestar.response import Template

from precedent.investigation import (
    Collaborators,
    Investigation,
    latest_for_incident,
    latest_or_build,
)
from precedent.investigation import get as get_investigation
from precedent.model import Viewer
from precedent.store import GraphStore
from precedent.web.graph_svg import draw_investigation
from precedent.web.rendering import PAGES, page
from precedent.web.session import PageSession

__all__ = ["INVESTIGATION_PAGES", "render_investigation"]


def render_investigation(
    investigation: Investigation, session: PageSession, newer: Investigation | None = None
) -> Template:
    """The investigation page for ``investigation``; ``newer``: a later build of its incident, if any."""
    links: dict[str, str] = {}
    incident = investigation.incident
    if incident.id:
        links[f"incident:{incident.id}"] = PAGES.incident(incident.reference or incident.id)
    for precedent in investigation.similar:
        links[f"incident:{precedent.incident_id}"] = PAGES.incident(precedent.label)
    names = {*incident.service_names, *(c.service_name for c in investigation.changes)}
    for context in investigation.services:
        names |= {context.name, *(r.name for r in (*context.upstream, *context.downstream))}
    links |= {f"service:{name}": PAGES.service(name) for name in names}
    return page(
        "investigation.html",
        session,
        title=f"Investigation: {incident.label} {incident.name}",
        inv=investigation,
        newer=newer,
        drawing=draw_investigation(investigation, links),
        changes_before_now=False,
        open_follow_ups=[f for f in investigation.follow_ups if (f.status or "").lower() not in _DONE],
    )


_DONE = {"completed", "done", "closed", "resolved", "not_doing", "canceled", "cancelled"}


@get("/investigations/{investigation_id:str}", name="web:investigation")
async def investigation_page(
    investigation_id: FromPath[str],
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """A stored investigation by id, saying so when its incident has a newer one.

    A link to one build (in a Slack message before it was edited, a bookmark, the demo's
    print-out) would otherwise show causes read from what the incident no longer says.
    """
    investigation = await get_investigation(store, investigation_id, viewer)
    incident_id = investigation.incident.id
    latest = await latest_for_incident(store, incident_id, viewer) if incident_id else None
    newer = latest if latest is not None and latest.id != investigation.id else None
    return render_investigation(investigation, session, newer)


@get("/incidents/{incident:str}/investigation", name="web:incident-investigation")
async def incident_investigation_page(
    incident: FromPath[str],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """The latest investigation of an incident, built (and stored) when it has none, as the API does."""
    return render_investigation(await latest_or_build(collaborators, incident, viewer), session)


INVESTIGATION_PAGES = [investigation_page, incident_investigation_page]
