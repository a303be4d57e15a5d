"""A stored build drawn again at the moment it was made, as one viewer may see it now.

A stored investigation is hidden whole when an incident it cites is made private
(``ingest.visibility``), though its own incident may still be public. Its Slack message is
redrawn for its channel (``channel_view``), and a reader who may not see the stored build but
may see its incident gets it drawn again for them (``readable``): the same id and moment, citing
only what they may see, so the message's link opens what the message shows.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.investigation.build import build_investigation
from precedent.investigation.persist import get, made_of
from precedent.model import CHANNEL_VIEWER
from precedent.retrieval import IncidentQuery

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.build import Collaborators
    from precedent.investigation.results import Investigation
    from precedent.model import Viewer

__all__ = ["channel_view", "readable", "redrawn"]


async def redrawn(
    collaborators: Collaborators, incident_id: str, built_at: datetime, viewer: Viewer
) -> Investigation:
    """Build the investigation of ``incident_id`` made at ``built_at`` again, as ``viewer`` may see it.

    Built at that same moment it has the stored build's id, so a link to one opens the other.

    Raises:
        NotFound: if the incident is not in the map, or the viewer may not see it.
    """
    same_moment = dataclasses.replace(collaborators, clock=lambda: built_at)
    return await build_investigation(IncidentQuery(incident_id), same_moment, viewer)


async def channel_view(collaborators: Collaborators, incident_id: str, built_at: datetime) -> Investigation:
    """``redrawn`` for the incident's own Slack channel (``model.CHANNEL_VIEWER``)."""
    return await redrawn(collaborators, incident_id, built_at, CHANNEL_VIEWER)


async def readable(collaborators: Collaborators, investigation_id: str, viewer: Viewer) -> Investigation:
    """A stored investigation, or, when it is hidden from ``viewer`` but its incident is not, the
    same build drawn again as they may see it (not stored).

    Raises:
        NotFound: if there is no such investigation, or the viewer may see neither it nor its
            incident (said of the investigation alone, as for one that does not exist).
    """
    try:
        return await get(collaborators.store, investigation_id, viewer)
    except NotFound:
        made = await made_of(collaborators.store, investigation_id)
        if made is None:
            raise
    try:
        return await redrawn(collaborators, *made, viewer)
    except NotFound:
        raise NotFound("investigation", investigation_id) from None
