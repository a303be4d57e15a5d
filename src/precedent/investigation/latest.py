"""An incident's latest investigation, built and stored when it has none: what the API and the pages serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.investigation.persist import latest_for_incident
from precedent.investigation.redraw import build_and_save
from precedent.retrieval.query import IncidentQuery

if TYPE_CHECKING:
    from precedent.investigation.build import Collaborators
    from precedent.investigation.results import Investigation
    from precedent.model import Viewer

__all__ = ["latest_or_build"]


async def latest_or_build(
    collaborators: Collaborators, incident: str, viewer: Viewer, *, rebuild: bool = False
) -> Investigation:
    """The latest investigation of ``incident`` (id or ``INC-123``) the viewer may see.

    Built and stored (trigger ``request``) when there is none or ``rebuild`` asks for a new one
    (``build_and_save``: as the viewer may see it, if it was stored hidden).

    Raises:
        NotFound: if the incident is not in the map or the viewer may not see it.
    """
    node = await collaborators.catalog.incident(incident, viewer)
    if not rebuild and (stored := await latest_for_incident(collaborators.store, node.id, viewer)):
        return stored
    return await build_and_save(collaborators, IncidentQuery(node.id), viewer)
