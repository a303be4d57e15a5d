"""What hangs off a page of incidents: updates, relationships, post-mortems, follow-ups, actions.

A full sync reads each list once (``prefetch``); an incremental one asks per changed incident,
because ``updated_at`` on the incident does not move when these change.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from precedent.ingest.fetch import fetch_all, fetch_list, gather_limited
from precedent.ingest.mapping import (
    map_action,
    map_follow_up,
    map_incident,
    map_incident_update,
    map_postmortem,
    map_relationships,
)

if TYPE_CHECKING:
    from precedent.ingest.fetch import ScopeGaps
    from precedent.ingest.mapping import MappedRecord, MappingContext, Raw
    from precedent.sources.incidentio import IncidentIoClient

__all__ = ["IncidentParts", "objects_of"]


def objects_of(page: Mapping[str, object], key: str) -> list[Raw]:
    """The JSON objects in ``page[key]`` (anything else is ignored)."""
    items = page.get(key)
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


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
        client, guard = self._client, self._gaps.guard
        lists = {
            "updates": await guard(
                "incident updates", fetch_all(client, "/v2/incident_updates", "incident_updates"), []
            ),
            "follow_ups": await guard("follow-ups", fetch_list(client, "/v2/follow_ups", "follow_ups"), []),
            "actions": await guard("actions", fetch_list(client, "/v2/actions", "actions"), []),
            "postmortems": await guard(
                "post-mortems", fetch_all(client, "/v1/postmortem_documents", "postmortem_documents"), []
            ),
        }
        for name, objects in lists.items():
            grouped: dict[str, list[Raw]] = defaultdict(list)
            for raw in objects:
                grouped[str(raw.get("incident_id"))].append(raw)
            self._all[name] = grouped

    async def _for_incident(self, incident_id: str) -> dict[str, list[Raw]]:
        client, guard = self._client, self._gaps.guard
        found: dict[str, list[Raw]] = {}
        if self._per_incident:
            by_incident = {"incident_id": incident_id}
            found["updates"] = await guard(
                "incident updates",
                fetch_all(client, "/v2/incident_updates", "incident_updates", by_incident),
                [],
            )
            found["follow_ups"] = await guard(
                "follow-ups", fetch_list(client, "/v2/follow_ups", "follow_ups", by_incident), []
            )
            found["actions"] = await guard(
                "actions", fetch_list(client, "/v2/actions", "actions", by_incident), []
            )
            found["postmortems"] = await guard(
                "post-mortems",
                fetch_all(client, "/v1/postmortem_documents", "postmortem_documents", by_incident),
                [],
            )
        else:
            found = {name: grouped.get(incident_id, []) for name, grouped in self._all.items()}
        found["relationships"] = await guard(
            "incident relationships",
            fetch_all(
                client, "/v1/incident_relationships", "incident_relationships", {"incident_id": incident_id}
            ),
            [],
        )
        contents: list[Raw] = []
        for document in found["postmortems"]:
            path = f"/v1/postmortem_documents/{document.get('id')}/content"
            body = await guard("post-mortem content", client.get(path), None)
            contents.append({"markdown": body.get("markdown")} if body else {})
        found["contents"] = contents
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
            record = map_incident(incident, ctx, parts["updates"])
            if record is None:
                continue
            head.append(record)
            tail.extend(map_incident_update(u, ctx) for u in parts["updates"])
            tail.append(map_relationships(str(incident.get("id")), parts["relationships"]))
            for document, content in zip(parts["postmortems"], parts["contents"], strict=True):
                markdown = content.get("markdown")
                tail.extend(map_postmortem(document, ctx, markdown if isinstance(markdown, str) else None))
            tail.extend(map_follow_up(f, ctx) for f in parts["follow_ups"])
            tail.extend(map_action(a, ctx) for a in parts["actions"])
        return head + tail
