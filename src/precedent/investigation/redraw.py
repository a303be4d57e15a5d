"""A stored build drawn again at the moment it was made, as one viewer may see it now.

A stored investigation is hidden whole when an incident it cites is made private
(``ingest.visibility``), though its own incident may still be public. Its Slack message is
redrawn for its channel (``channel_view``), and a reader who may not see the stored build but
may see its incident gets it drawn again for them (``readable``): the same id and moment, citing
only what they may see, so the message's link opens what the message shows. A build hidden as it
is stored (``build_and_save``) is answered to its own caller the same way, and so is one of an
incident described to it (``persist.made_of`` reads what was described back from the result).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.investigation.build import build_investigation
from precedent.investigation.persist import from_node, made_of, save, stored
from precedent.model import CHANNEL_VIEWER
from precedent.retrieval import IncidentQuery

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.build import Collaborators, InvestigationOptions
    from precedent.investigation.results import Investigation
    from precedent.model import Node, Viewer
    from precedent.retrieval import SimilarQuery

__all__ = ["as_seen", "build_and_save", "channel_view", "readable", "redrawn"]


async def redrawn(
    collaborators: Collaborators,
    query: SimilarQuery,
    built_at: datetime,
    viewer: Viewer,
    options: InvestigationOptions | None = None,
) -> Investigation:
    """Build the investigation of ``query`` made at ``built_at`` again, as ``viewer`` may see it.

    Built at that same moment it has the stored build's id, so a link to one opens the other.

    Raises:
        NotFound: if the incident is not in the map, or the viewer may not see it.
    """
    same_moment = dataclasses.replace(collaborators, clock=lambda: built_at)
    return await build_investigation(query, same_moment, viewer, options)


async def channel_view(collaborators: Collaborators, incident_id: str, built_at: datetime) -> Investigation:
    """``redrawn`` for the incident's own Slack channel (``model.CHANNEL_VIEWER``)."""
    return await redrawn(collaborators, IncidentQuery(incident_id), built_at, CHANNEL_VIEWER)


async def build_and_save(
    collaborators: Collaborators,
    query: SimilarQuery,
    viewer: Viewer,
    options: InvestigationOptions | None = None,
) -> Investigation:
    """Build an investigation for ``viewer``, store it (trigger ``request``), answer it as they may see it.

    ``save`` stores it hidden when an incident it cites was made private while it was built; a
    viewer who may not read it then gets it drawn again at the same moment, with the same id.

    Raises:
        NotFound: if the incident is not in the map, or the viewer may not see it.
    """
    investigation = await build_investigation(query, collaborators, viewer, options)
    visibility = await save(collaborators.store, investigation, trigger="request", options=options)
    if visibility in viewer.visibilities:
        return investigation
    return await redrawn(collaborators, query, investigation.built_at, viewer, options)


async def as_seen(collaborators: Collaborators, node: Node, viewer: Viewer) -> Investigation | None:
    """A stored build (an ``Investigation`` node) as ``viewer`` may see it: as stored, or, when it
    is hidden from them but its incident is not (or was described to it), drawn again at the same
    moment with the same options (not stored).

    ``None`` when they may see neither it nor its incident.
    """
    if viewer.can_see(node):
        return from_node(node)
    made = made_of(node)
    try:
        shown = await redrawn(collaborators, made.query, made.built_at, viewer, made.options)
    except NotFound:
        return None
    # A described incident's id hashes its services as resolved now: keep the stored build's.
    return dataclasses.replace(shown, id=node.id)


async def readable(collaborators: Collaborators, investigation_id: str, viewer: Viewer) -> Investigation:
    """A stored investigation by id, as ``viewer`` may see it (``as_seen``).

    Raises:
        NotFound: if there is no such investigation, or the viewer may see neither it nor its
            incident (said of the investigation alone, as for one that does not exist).
    """
    node = await stored(collaborators.store, investigation_id)
    shown = await as_seen(collaborators, node, viewer) if node is not None else None
    if shown is None:
        raise NotFound("investigation", investigation_id)
    return shown
