"""The incident page: the incident, its updates, post-mortem, follow-ups and similar incidents."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from precedent.investigation import is_active
from precedent.investigation.precedents import incident_parts
from precedent.model import GraphFilter, Node, Viewer
from precedent.retrieval import (
    Catalog,
    IncidentQuery,
    SimilarIncidentFinder,
    SimilarOptions,
    incident_detail,
)
from precedent.store import GraphStore
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["INCIDENT_PAGES"]

SIMILAR = 5


async def _merged_into(store: GraphStore, viewer: Viewer, updates: tuple[Node, ...]) -> Node | None:
    """The incident an update says this one was merged into (the latest), if the viewer may see it."""
    into = GraphFilter(
        labels=("Incident",), rel_types=("MERGED_INTO",), direction="out", visibilities=viewer.visibilities
    )
    merges = await store.neighbours_of([u.id for u in updates], into)
    targets = [node for u in updates for _, node in merges.get(u.id, [])]
    return targets[-1] if targets else None


@get("/incidents/{incident:str}", name="web:incident")
async def incident_page(
    incident: FromPath[str],
    store: NamedDependency[GraphStore],
    finder: NamedDependency[SimilarIncidentFinder],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """One incident, by id or reference; a private one is "not found" to a viewer who may not see it."""
    detail = await incident_detail(store, catalog, incident, viewer)
    # The finder applies the viewer rule to what it cites (a public incident's similar are public).
    similar = await finder.find(
        IncidentQuery(detail.incident.id), SimilarOptions(limit=SIMILAR, viewer=viewer)
    )
    # Whom each open follow-up is with, as the investigation reads it: a responder finding the
    # fix unfinished asks its assignee how far it got.
    parts = await incident_parts(store, [detail.incident], viewer.visibilities)
    open_follow_ups = {f.id: f for f in parts.follow_ups.get(detail.incident.id, ())}
    props = detail.incident.properties
    label = str(props.get("reference") or detail.incident.id)
    return page(
        "incident.html",
        session,
        title=f"{label} {props.get('name', '')}",
        label=label,
        detail=detail,
        open_follow_ups=open_follow_ups,
        props=props,
        similar=similar.results,
        # A duplicate's page leads to the incident being worked on, not only "Duplicate of INC-25".
        merged_into=await _merged_into(store, viewer, detail.updates),
        # An incident still being worked on has no cause or fix on record yet: "not recorded"
        # read as if the responders had forgotten to write them down.
        still_open=is_active(detail.incident, datetime.now(UTC)),
    )


INCIDENT_PAGES = [incident_page]
