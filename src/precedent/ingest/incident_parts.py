"""What hangs off a page of incidents: updates, relationships, post-mortems, follow-ups, actions.

A full sync reads each list once (``prefetch``); an incremental one asks per changed incident,
because ``updated_at`` on the incident does not move when these change.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from typing import TYPE_CHECKING

from precedent.ingest.fetch import fetch_objects, gather_limited
from precedent.ingest.mapping import (
    map_action,
    map_follow_up,
    map_incident,
    map_incident_update,
    map_postmortem,
    map_relationships,
)
from precedent.sources.incidentio import ENDPOINTS

if TYPE_CHECKING:
    from precedent.ingest.fetch import ScopeGaps
    from precedent.ingest.mapping import MappedRecord, MappingContext, Raw
    from precedent.sources.incidentio import IncidentIoClient

__all__ = ["PARTS", "IncidentParts"]

PARTS = tuple(
    ENDPOINTS[name] for name in ("incident_updates", "follow_ups", "actions", "postmortem_documents")
)
"""The lists of an incident's parts that can be read whole (full sync) or per incident."""

_RELATIONSHIPS = ENDPOINTS["incident_relationships"]  # only ever per incident
_CONTENT = ENDPOINTS["postmortem_content"]


class IncidentParts:
    """Fetches and maps what hangs off a page of incidents."""

    def __init__(
        self,
        client: IncidentIoClient,
        gaps: ScopeGaps,
        ctx: MappingContext,
        *,
        per_incident: bool,
        concurrency: int,
    ) -> None:
        self._client, self._gaps, self._ctx = client, gaps, ctx
        self._concurrency = concurrency
        self._per_incident = per_incident
        self._all: dict[str, dict[str, list[Raw]]] = {}

    async def prefetch(self) -> None:
        """For a full sync, read each part list once instead of once per incident."""
        for endpoint in PARTS:
            objects = await self._gaps.guard(endpoint, fetch_objects(self._client, endpoint), [])
            grouped: dict[str, list[Raw]] = defaultdict(list)
            for raw in objects:
                grouped[str(raw.get("incident_id"))].append(raw)
            self._all[endpoint.name] = grouped

    async def _for_incident(self, incident_id: str) -> dict[str, list[Raw]]:
        client, guard = self._client, self._gaps.guard
        found: dict[str, list[Raw]] = {}
        for endpoint in PARTS:
            if self._per_incident:
                work = fetch_objects(client, endpoint, endpoint.of_parent(incident_id))
                found[endpoint.name] = await guard(endpoint, work, [])
            else:
                found[endpoint.name] = self._all.get(endpoint.name, {}).get(incident_id, [])
        found[_RELATIONSHIPS.name] = await guard(
            _RELATIONSHIPS, fetch_objects(client, _RELATIONSHIPS, _RELATIONSHIPS.of_parent(incident_id)), []
        )
        contents: list[Raw] = []
        for document in found["postmortem_documents"]:
            body = await guard(_CONTENT, client.get(_CONTENT.url(id=str(document.get("id")))), None)
            contents.append({_CONTENT.key: body.get(_CONTENT.key)} if body else {})
        found[_CONTENT.name] = contents
        return found

    async def records(self, incidents: list[Raw]) -> list[MappedRecord]:
        """Fetch the parts of ``incidents`` and map incidents and parts (incidents first)."""
        ids = [str(i.get("id")) for i in incidents]
        works = [functools.partial(self._for_incident, i) for i in ids]
        fetched = await gather_limited(works, self._concurrency)
        return await asyncio.to_thread(self._map, incidents, fetched)

    def _map(self, incidents: list[Raw], fetched: list[dict[str, list[Raw]]]) -> list[MappedRecord]:
        ctx = self._ctx
        head: list[MappedRecord] = []
        tail: list[MappedRecord] = []
        for incident, parts in zip(incidents, fetched, strict=True):
            record = map_incident(incident, ctx, parts["incident_updates"])
            if record is None:
                continue
            head.append(record)
            tail.extend(map_incident_update(u, ctx) for u in parts["incident_updates"])
            tail.append(map_relationships(str(incident.get("id")), parts["incident_relationships"]))
            documents = zip(parts["postmortem_documents"], parts["postmortem_content"], strict=True)
            for document, content in documents:
                markdown = content.get(_CONTENT.key)
                tail.extend(map_postmortem(document, ctx, markdown if isinstance(markdown, str) else None))
            tail.extend(map_follow_up(f, ctx) for f in parts["follow_ups"])
            tail.extend(map_action(a, ctx) for a in parts["actions"])
        return head + tail
