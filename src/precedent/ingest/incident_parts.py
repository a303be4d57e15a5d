"""What hangs off a page of incidents: updates, relationships, post-mortems, follow-ups, actions.

A full sync reads each list once (``prefetch``); an incremental one asks per changed incident,
because ``updated_at`` on the incident does not move when these change. Each list read is the
whole truth for the incident: a part it no longer holds (deleted in incident.io) is deleted
from the map (``map_incident_parts``); a list that could not be read deletes nothing. An
incremental sync also reads the whole follow-up and post-mortem lists (``changed_elsewhere``)
for the incidents outside its window whose follow-ups were completed or post-mortems edited.
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
from precedent.ingest.mapping.records import parse_time
from precedent.sources.incidentio import ENDPOINTS

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from precedent.ingest.fetch import ScopeGaps
    from precedent.ingest.mapping import MappedRecord, MappingContext, Raw
    from precedent.sources.incidentio import IncidentIoClient
    from precedent.store import GraphStore

__all__ = ["PARTS", "IncidentParts"]

PARTS = tuple(
    ENDPOINTS[name] for name in ("incident_updates", "follow_ups", "actions", "postmortem_documents")
)
"""The lists of an incident's parts that can be read whole (full sync) or per incident."""

_RELATIONSHIPS = ENDPOINTS["incident_relationships"]  # only ever per incident
_CONTENT = ENDPOINTS["postmortem_content"]
# Without ``incident_mode``, the follow-up and action lists hold only these modes' incidents: for
# a test or tutorial incident synced on purpose, their absence there deletes nothing.
_LISTED_MODES = frozenset({"standard", "retrospective"})
_EVERY_MODE_LISTS = ("incident_updates", "postmortem_documents")
_PART_LISTS = tuple(endpoint.name for endpoint in PARTS)


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
            contents.append({_CONTENT.key: await self._content(str(document.get("id")))})
        found[_CONTENT.name] = contents
        return _Fetched(found, tuple(read))

    async def changed_elsewhere(
        self, store: GraphStore, listed: Collection[str], since: datetime
    ) -> list[MappedRecord]:
        """Follow-ups and post-mortems of incidents the map holds that this sync did not list.

        Completing a follow-up or editing a post-mortem does not move its incident's
        ``updated_at``: an incremental sync never re-read them, so the follow-up of an incident
        closed months ago stayed open in the map (and in every investigation citing that incident
        as a precedent), and a post-mortem written after its incident closed was never read, until
        a full sync. incident.io lists every follow-up in one call (those unchanged are not written
        again) and every post-mortem document a page at a time; the content of those updated since
        ``since`` is read. One deleted outright is found by a full sync.

        Args:
            store: The map, for the visibility of the incidents the parts belong to.
            listed: The incidents this sync listed (their parts are read already).
            since: Where the incremental window starts.

        Returns:
            The records of those parts, each as visible as its incident in the map.
        """
        follow_ups_endpoint, documents_endpoint = ENDPOINTS["follow_ups"], ENDPOINTS["postmortem_documents"]
        guard = self._gaps.guard
        follow_ups = await guard(follow_ups_endpoint, fetch_objects(self._client, follow_ups_endpoint), [])
        documents = await guard(documents_endpoint, fetch_objects(self._client, documents_endpoint), [])
        edited = [d for d in documents if (t := parse_time(d.get("updated_at"))) is None or t >= since]
        follow_ups = [f for f in follow_ups if str(f.get("incident_id")) not in listed]
        edited = [d for d in edited if str(d.get("incident_id")) not in listed]
        incident_ids = sorted({str(p.get("incident_id")) for p in (*follow_ups, *edited)})
        held = {n.id: n.visibility for n in await store.get_nodes(incident_ids) if n.label == "Incident"}
        self._ctx.incident_visibility.update(held)
        records = [map_follow_up(f, self._ctx) for f in follow_ups if str(f.get("incident_id")) in held]
        edited = [d for d in edited if str(d.get("incident_id")) in held]
        works = [functools.partial(self._content, str(d.get("id"))) for d in edited]
        contents = await gather_limited(works, self._concurrency)
        for document, markdown in zip(edited, contents, strict=True):
            records.extend(map_postmortem(document, self._ctx, markdown))
        return records

    async def _content(self, document_id: str) -> str | None:
        body = await self._gaps.guard(_CONTENT, self._client.get(_CONTENT.url(id=document_id)), None)
        markdown = body.get(_CONTENT.key) if body else None
        return markdown if isinstance(markdown, str) else None

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
            whole = _PART_LISTS if incident.get("mode") in _LISTED_MODES else _EVERY_MODE_LISTS
            listed = {n: [str(p.get("id")) for p in parts[n]] for n in got.read if n in whole}
            tail.append(map_incident_parts(str(incident.get("id")), listed))
        return head + tail
