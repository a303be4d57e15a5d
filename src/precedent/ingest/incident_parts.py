"""What hangs off a page of incidents: updates, relationships, post-mortems, follow-ups, actions.

A full sync reads each list once (``prefetch``); an incremental one asks per changed incident,
because ``updated_at`` on the incident does not move when these change. Each list read is the
whole truth for the incident: a part it no longer holds (deleted in incident.io) is deleted
from the map (``map_incident_parts``); a list that could not be read deletes nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.ingest.fetch import fetch_objects, gather_limited
from precedent.ingest.mapping import (
    map_action,
    map_follow_up,
    map_incident,
    map_incident_parts,
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


@dataclass(frozen=True)
class _Fetched:
    """One incident's parts by endpoint name, and which part lists were read (not refused)."""

    parts: dict[str, list[Raw]]
    read: tuple[str, ...]


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
        # Endpoint name -> incident id -> parts; a list the key may not read is absent.
        self._all: dict[str, dict[str, list[Raw]]] = {}

    async def prefetch(self) -> None:
        """For a full sync, read each part list once instead of once per incident."""
        for endpoint in PARTS:
            objects = await self._gaps.guard(endpoint, fetch_objects(self._client, endpoint), None)
            if objects is None:
                continue
            grouped: dict[str, list[Raw]] = defaultdict(list)
            for raw in objects:
                grouped[str(raw.get("incident_id"))].append(raw)
            self._all[endpoint.name] = grouped

    async def _for_incident(self, incident_id: str) -> _Fetched:
        client, guard = self._client, self._gaps.guard
        found: dict[str, list[Raw]] = {}
        read: list[str] = []
        for endpoint in PARTS:
            listed: list[Raw] | None
            if self._per_incident:
                work = fetch_objects(client, endpoint, endpoint.of_parent(incident_id))
                listed = await guard(endpoint, work, None)
            else:
                grouped = self._all.get(endpoint.name)
                listed = None if grouped is None else grouped.get(incident_id, [])
            if listed is not None:
                read.append(endpoint.name)
            found[endpoint.name] = listed or []
        relationships = await guard(
            _RELATIONSHIPS, fetch_objects(client, _RELATIONSHIPS, _RELATIONSHIPS.of_parent(incident_id)), None
        )
        if relationships is not None:
            read.append(_RELATIONSHIPS.name)
        found[_RELATIONSHIPS.name] = relationships or []
        contents: list[Raw] = []
        for document in found["postmortem_documents"]:
            body = await guard(_CONTENT, client.get(_CONTENT.url(id=str(document.get("id")))), None)
            contents.append({_CONTENT.key: body.get(_CONTENT.key)} if body else {})
        found[_CONTENT.name] = contents
        return _Fetched(found, tuple(read))

    async def records(self, incidents: list[Raw]) -> list[MappedRecord]:
        """Fetch the parts of ``incidents`` and map incidents and parts (incidents first)."""
        ids = [str(i.get("id")) for i in incidents]
        works = [functools.partial(self._for_incident, i) for i in ids]
        fetched = await gather_limited(works, self._concurrency)
        return await asyncio.to_thread(self._map, incidents, fetched)

    def _map(self, incidents: list[Raw], fetched: list[_Fetched]) -> list[MappedRecord]:
        ctx = self._ctx
        head: list[MappedRecord] = []
        tail: list[MappedRecord] = []
        for incident, got in zip(incidents, fetched, strict=True):
            parts = got.parts
            record = map_incident(incident, ctx, parts["incident_updates"])
            if record is None:
                continue
            head.append(record)
            tail.extend(map_incident_update(u, ctx) for u in parts["incident_updates"])
            if _RELATIONSHIPS.name in got.read:  # else the relationships held are kept
                tail.append(map_relationships(str(incident.get("id")), parts["incident_relationships"]))
            documents = zip(parts["postmortem_documents"], parts["postmortem_content"], strict=True)
            for document, content in documents:
                markdown = content.get(_CONTENT.key)
                tail.extend(map_postmortem(document, ctx, markdown if isinstance(markdown, str) else None))
            tail.extend(map_follow_up(f, ctx) for f in parts["follow_ups"])
            tail.extend(map_action(a, ctx) for a in parts["actions"])
            listed = {n: [str(p.get("id")) for p in parts[n]] for n in got.read if n != _RELATIONSHIPS.name}
            tail.append(map_incident_parts(str(incident.get("id")), listed))
        return head + tail
