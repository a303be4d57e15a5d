"""Writes an incident from a webhook into the map through the same mapping and loader as ``sync``.

Out-of-order deliveries never regress it: an incoming ``updated_at`` older than the stored one
is ignored. What changed decides whether the investigation is built again: what it reads of the
incident (name, reference, summary, severity, type, link, Slack channel, declaration time,
visibility, its first updates' messages when they were fetched) or the affected services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from precedent.ingest.mapping import MappingContext, map_incident, map_incident_update
from precedent.ingest.mapping.records import as_list, as_mapping, opt_str, parse_time, visibility_of
from precedent.ingest.pipeline import Loader
from precedent.ingest.visibility import forget_unmessaged, make_incident_private, make_parts_private
from precedent.model import CLOSED_CATEGORIES, GraphFilter
from precedent.retrieval.posing import FIRST_UPDATES
from precedent.webhooks.investigations import newest_investigation

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from precedent.embedding import Embedder
    from precedent.ingest.mapping import Raw
    from precedent.store import GraphStore

__all__ = ["IncidentChange", "IncidentWriter"]

# What an investigation reads of the incident itself. The Slack channel counts: incident.io
# creates it after the incident, and the rebuild that follows is what gets the investigation
# posted there.
_MATERIAL = ("name", "reference", "summary", "severity", "incident_type", "url", "slack_channel_id")
_IMPACT = ("AFFECTS", "CAUSED_BY")


@dataclass(frozen=True)
class IncidentChange:
    """What writing an incident did.

    Attributes:
        incident_id: The incident.
        kind: ``created`` (new to the map), ``updated``, ``stale`` (the map has a newer state,
            nothing written) or ``excluded`` (a test or tutorial incident).
        material: Something its investigation reads changed: name, reference, summary,
            severity, type, link, Slack channel, declaration time, visibility, its first
            updates' messages or affected services (always for new ones).
        closed: The incident's status category says it is over.
        status: Its status name.
        investigated: The map already holds an investigation of it.
    """

    incident_id: str
    kind: Literal["created", "updated", "stale", "excluded"]
    material: bool = False
    closed: bool = False
    status: str | None = None
    investigated: bool = False


def _first_said(updates: Sequence[Raw]) -> tuple[str | None, ...]:
    """The first updates' messages: what a live incident is posed from (``posing.FIRST_UPDATES``).

    The first update usually says what is failing where the name does not, so its arrival changes
    which past incidents look similar; later ones do not change the query.
    """
    ordered = sorted(updates, key=lambda u: str(u.get("created_at", "")))
    return tuple(opt_str(u, "message") for u in ordered[:FIRST_UPDATES])


def _catalog_targets(raw: Raw) -> list[str]:
    ids: list[str] = []
    for entry in as_list(raw.get("custom_field_entries")):
        for value in as_list((as_mapping(entry) or {}).get("values")):
            catalog_entry = as_mapping((as_mapping(value) or {}).get("value_catalog_entry"))
            if catalog_entry and (entry_id := opt_str(catalog_entry, "id")):
                ids.append(entry_id)
    return ids


class IncidentWriter:
    """Upserts incidents (and their updates) into the map.

    Args:
        store: The map.
        embedder: Embeds changed text (wrap it in ``CachedEmbedder`` so unchanged text is free).
        made_private: Called once an incident the map held as public is written private, so the
            Slack messages naming it are edited now (``notify.CitationEdits.wake``).
    """

    def __init__(
        self, store: GraphStore, embedder: Embedder, *, made_private: Callable[[], None] | None = None
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._made_private = made_private or (lambda: None)

    async def write(self, raw: Raw, updates: Sequence[Raw] | None) -> IncidentChange:
        """Map and write ``raw`` (an ``IncidentV2``), unless the map already has a newer state.

        Args:
            raw: The incident, from the payload or fetched from incident.io.
            updates: Its updates when fetched; ``None`` keeps the messages already in the map.

        Raises:
            MappingError: if the incident lacks a required field.
        """
        incident_id = str(raw.get("id"))
        existing = {n.id: n for n in await self._store.get_nodes([incident_id])}.get(incident_id)
        incoming = parse_time(raw.get("updated_at"))
        stored = parse_time(existing.properties.get("updated_at")) if existing else None
        if existing is not None and stored is not None and incoming is not None and incoming < stored:
            return IncidentChange(incident_id, "stale", status=str(existing.properties.get("status")))
        ctx = MappingContext()
        ctx.incident_visibility[incident_id] = visibility_of(raw.get("visibility"))
        targets = _catalog_targets(raw)
        for node in await self._store.get_nodes(targets) if targets else []:
            ctx.catalog.label_by_entry[node.id] = node.label
        known_updates = updates if updates is not None else await self._stored_updates(incident_id)
        record = map_incident(raw, ctx, known_updates)
        if record is None or record.node is None:
            return IncidentChange(incident_id, "excluded")
        before = await self._impact(incident_id) if existing else set()
        # Only edges to catalog entries in the map get written; the others are not a change.
        present = ctx.catalog.label_by_entry
        after = {(e.type, e.target) for e in record.edges if e.type in _IMPACT and e.target in present}
        material = existing is None or before != after
        if existing is not None:
            material = (
                material
                or existing.occurred_at != record.node.occurred_at
                or existing.visibility != record.node.visibility
                or any(existing.properties.get(k) != record.node.properties.get(k) for k in _MATERIAL)
                or (
                    updates is not None
                    and _first_said(known_updates) != _first_said(await self._stored_updates(incident_id))
                )
            )
        hidden = (
            existing is not None and existing.visibility == "public" and record.node.visibility == "private"
        )
        if hidden:
            # Before the incident is written private, so a retried delivery still finds it public.
            await make_parts_private(self._store, incident_id)
        records = [record, *(map_incident_update(u, ctx) for u in updates or ())]
        await Loader(self._store, self._embedder).load(records, "webhook")
        if hidden:
            await forget_unmessaged(self._store)
            self._made_private()
        props = record.node.properties
        return IncidentChange(
            incident_id,
            "updated" if existing else "created",
            material=material,
            closed=props.get("status_category") in CLOSED_CATEGORIES,
            status=str(props.get("status")),
            investigated=existing is not None
            and await newest_investigation(self._store, incident_id) is not None,
        )

    async def hide(self, incident_id: str) -> bool:
        """Make private an incident the map holds as public, with its parts and what cites it.

        A ``private_incident`` event says the incident is private now even when it cannot be
        read (no API key, or one without the private scope): what the map wrote of it while it
        was public must not stay readable to a ``read`` token.

        Returns:
            Whether the map held it as public.
        """
        if not await make_incident_private(self._store, incident_id):
            return False
        await forget_unmessaged(self._store)
        self._made_private()
        return True

    async def _stored_updates(self, incident_id: str) -> list[Raw]:
        found = await self._store.neighbours(incident_id, GraphFilter(rel_types=("HAS_UPDATE",)))
        return [
            {
                "message": node.properties.get("message"),
                "created_at": node.occurred_at.isoformat() if node.occurred_at else "",
            }
            for _, node in found
            if node.label == "IncidentUpdate"
        ]

    async def _impact(self, incident_id: str) -> set[tuple[str, str]]:
        found = await self._store.neighbours(incident_id, GraphFilter(rel_types=_IMPACT, direction="out"))
        return {(edge.type, edge.target) for edge, _ in found}
