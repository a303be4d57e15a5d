"""The investigation pages: what a responder reads after clicking the link in Slack."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, SkipValidation
from litestar.response import Template

from precedent.investigation import (
    Collaborators,
    Investigation,
    latest_or_build,
    readable,
)
from precedent.model import Viewer
from precedent.responses import InvestigationResponse
from precedent.store import GraphStore
from precedent.web.graph_svg import draw_investigation
from precedent.web.rendering import PAGES, page
from precedent.web.session import PageSession

__all__ = ["INVESTIGATION_PAGES", "render_investigation"]


def render_investigation(
    investigation: Investigation,
    session: PageSession,
    *,
    response: InvestigationResponse | None = None,
    references: Mapping[str, str] | None = None,
) -> Template:
    """The investigation page for ``investigation``.

    Args:
        investigation: What to show.
        session: The reader's session.
        response: What the API answers for it: the page says it is superseded or closed from
            there, and gives the incident's status now, as every other surface does.
        references: The references (``INC-147``) of the incidents it cites that the reader may
            see, by id (``cited_references``): its links to them name them so, as its text does.
    """
    links: dict[str, str] = {}
    incident = investigation.incident
    standing = response or InvestigationResponse.from_investigation(investigation)
    # The header gives the status at the declaration, which the investigation read; an incident
    # closed since still read "Investigating" there, with nothing saying it was over.
    status_now = standing.incident_status_now
    if incident.id:
        links[f"incident:{incident.id}"] = PAGES.incident(incident.reference or incident.id)
    for precedent in investigation.similar:
        links[f"incident:{precedent.incident_id}"] = PAGES.incident(precedent.label)
    # A hypothesis cites an incident by id: its link was /ui/incidents/01M6F7..., opaque pasted.
    incident_pages = {i: PAGES.incident(ref) for i, ref in (references or {}).items()}
    names = {*incident.service_names, *(c.service_name for c in investigation.changes)}
    for context in investigation.services:
        names |= {context.name, *(r.name for r in (*context.upstream, *context.downstream))}
    links |= {f"service:{name}": PAGES.service(name) for name in names}
    return page(
        "investigation.html",
        session,
        title=f"Investigation: {incident.heading}",
        inv=investigation,
        standing=standing,
        status_now=status_now if status_now != incident.status else None,
        drawing=draw_investigation(investigation, links),
        incident_pages=incident_pages,
        changes_before_now=False,
        # Already open by the one rule (``retrieval.lessons.DONE_STATUSES``): the build keeps no other.
        open_follow_ups=list(investigation.follow_ups),
    )


@get("/investigations/{investigation_id:str}", name="web:investigation")
async def investigation_page(
    investigation_id: FromPath[str],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """A stored investigation by id, saying so when its incident has a newer one.

    A link to one build (in a Slack message before it was edited, a bookmark, the demo's
    print-out) would otherwise show causes read from what the incident no longer says. One that
    cites an incident made private since is drawn again without it for a reader who may not see
    private incidents, as its Slack message was redrawn (``investigation.readable``).
    """
    investigation = await readable(collaborators, investigation_id, viewer)
    return await _stored_page(collaborators.store, investigation, viewer, session)


@get("/incidents/{incident:str}/investigation", name="web:incident-investigation")
async def incident_investigation_page(
    incident: FromPath[str],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """The latest investigation of an incident, built (and stored) when it has none, as the API does."""
    investigation = await latest_or_build(collaborators, incident, viewer)
    return await _stored_page(collaborators.store, investigation, viewer, session)


async def _stored_page(
    store: GraphStore, investigation: Investigation, viewer: Viewer, session: PageSession
) -> Template:
    """The page of an investigation read from the map: where it stands, and its incident now."""
    response = await InvestigationResponse.where_it_stands(store, investigation, viewer)
    references = await cited_references(store, investigation, viewer)
    return render_investigation(investigation, session, response=response, references=references)


async def cited_references(store: GraphStore, investigation: Investigation, viewer: Viewer) -> dict[str, str]:
    """The reference of each incident ``investigation`` cites that ``viewer`` may see, by id.

    Read from the map, not from how the investigation names them: one it cites only as evidence
    (an upstream incident started shortly before) is in none of its lists. One the viewer may not
    see is left out, so a link to it gives away no more than its id.
    """
    ids = sorted(investigation.cited_incidents)
    found = await store.get_nodes(ids) if ids else []
    return {
        n.id: str(n.properties["reference"])
        for n in found
        if viewer.can_see(n) and n.properties.get("reference")
    }


INVESTIGATION_PAGES = [investigation_page, incident_investigation_page]
