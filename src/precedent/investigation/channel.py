"""An investigation as an incident's own Slack channel may be shown it (``model.CHANNEL_VIEWER``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from precedent.investigation.build import build_investigation
from precedent.model import CHANNEL_VIEWER
from precedent.retrieval import IncidentQuery

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation.build import Collaborators
    from precedent.investigation.results import Investigation

__all__ = ["channel_view"]


async def channel_view(collaborators: Collaborators, incident_id: str, built_at: datetime) -> Investigation:
    """Build the investigation of ``incident_id`` made at ``built_at`` again, citing only what its
    channel's members may see.

    Built at that same moment it has the stored build's id, so the message links to its page.

    Raises:
        NotFound: if the incident is not in the map.
    """
    same_moment = dataclasses.replace(collaborators, clock=lambda: built_at)
    return await build_investigation(IncidentQuery(incident_id), same_moment, CHANNEL_VIEWER)
