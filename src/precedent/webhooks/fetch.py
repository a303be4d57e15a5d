"""Re-reads an incident and its updates from incident.io, as incident.io advises on every webhook.

Deliveries can arrive out of order and carry the state of the moment they were sent; the API has
the state of now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.fetch import fetch_objects
from precedent.sources.incidentio import ENDPOINTS

if TYPE_CHECKING:
    from precedent.ingest.mapping import Raw
    from precedent.sources.incidentio import IncidentIoClient

__all__ = ["IncidentFetcher"]


class IncidentFetcher:
    """Fetches one incident (``GET /v2/incidents/{id}``) and its updates.

    Args:
        client: An open incident.io client.
    """

    def __init__(self, client: IncidentIoClient) -> None:
        self._client = client

    async def incident(self, incident_id: str) -> tuple[Raw, list[Raw]]:
        """Return the incident and its ``IncidentUpdateV2`` objects.

        Raises:
            IncidentIoAuthError: if the key is refused or cannot see the incident.
            SourceError: if incident.io fails, or answers without an incident.
        """
        one = ENDPOINTS["incident"]
        body = await self._client.get(one.url(id=incident_id))
        incident = body.get(one.key)
        if not isinstance(incident, dict):
            raise SourceError(f"GET {one.url(id=incident_id)} answered without an incident")
        updates_endpoint = ENDPOINTS["incident_updates"]
        updates = await fetch_objects(self._client, updates_endpoint, {"incident_id": incident_id})
        return incident, updates
