"""Re-reads an incident and its updates from incident.io, as incident.io advises on every webhook.

Deliveries can arrive out of order and carry the state of the moment they were sent; the API has
the state of now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.fetch import fetch_all

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
        body = await self._client.get(f"/v2/incidents/{incident_id}")
        incident = body.get("incident")
        if not isinstance(incident, dict):
            raise SourceError(f"GET /v2/incidents/{incident_id} answered without an incident")
        params = {"incident_id": incident_id}
        updates = await fetch_all(self._client, "/v2/incident_updates", "incident_updates", params)
        return incident, updates
