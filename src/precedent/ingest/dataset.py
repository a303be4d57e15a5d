"""A whole incident.io dataset (from export files or fetched) mapped into ordered resources.

Both ``precedent import`` and ``precedent sync`` go through ``Dataset`` so a given set of
objects always becomes the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from precedent.errors import MappingError
from precedent.ingest.mapping import (
    MappedRecord,
    MappingContext,
    Raw,
    map_action,
    map_catalog_entry,
    map_catalog_type,
    map_follow_up,
    map_incident,
    map_incident_type,
    map_incident_update,
    map_postmortem,
    map_relationships,
    map_schedule,
    map_severity,
    map_status,
    map_team,
    map_user,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["LOAD_ORDER", "Dataset", "RecordError"]

LOAD_ORDER = (
    "severities",
    "incident_statuses",
    "incident_types",
    "users",
    "catalog_types",
    "catalog_entries",
    "teams",
    "schedules",
    "incidents",
    "incident_updates",
    "incident_relationships",
    "postmortem_documents",
    "follow_ups",
    "actions",
)
"""Resources in the order they are written: referenced things before what references them."""


class RecordError(MappingError):
    """A mapping error located in its collection: which resource and which object (index)."""

    def __init__(self, resource: str, index: int | str, error: MappingError) -> None:
        super().__init__(error.record_id, error.reason)
        self.resource = resource
        self.index = index
        self.field = getattr(error, "field", None)


@dataclass
class Dataset:
    """Raw objects per resource (endpoint name); keyed resources hold objects per parent id.

    Lists that are read but not mapped themselves (custom fields, incident roles and timestamps)
    only inform the mapping context.
    """

    objects: dict[str, list[Raw]] = field(default_factory=lambda: defaultdict(list))
    relationships: dict[str, list[Raw]] = field(default_factory=dict)
    postmortem_content: dict[str, str] = field(default_factory=dict)
    schedule_entries: dict[str, list[Raw]] = field(default_factory=dict)

    def context(self, ctx: MappingContext) -> MappingContext:
        """Fill ``ctx`` with what this dataset tells about other objects; return it."""
        ctx.add_custom_fields(self.objects["custom_fields"])
        for catalog_type in self.objects["catalog_types"]:
            ctx.catalog.add_type(catalog_type)
        ctx.catalog.add_entries(self.objects["catalog_entries"])
        ctx.add_teams(self.objects["teams"])
        for incident in self.objects["incidents"]:
            incident_id = incident.get("id")
            if isinstance(incident_id, str):
                ctx.incident_visibility[incident_id] = (
                    "public" if incident.get("visibility") == "public" else "private"
                )
        return ctx

    def map(self, ctx: MappingContext) -> dict[str, list[MappedRecord]]:
        """Map every object, resource by resource, in ``LOAD_ORDER``.

        Raises:
            RecordError: for the first object that cannot be mapped.
        """
        excluded = {
            str(i.get("id"))
            for i in self.objects["incidents"]
            if i.get("mode") in {"test", "tutorial"} and i.get("mode") not in ctx.modes
        }
        updates: dict[str, list[Raw]] = defaultdict(list)
        for update in self.objects["incident_updates"]:
            updates[str(update.get("incident_id"))].append(update)

        def part_of_kept(raw: Raw) -> bool:
            return raw.get("incident_id") not in excluded

        simple: dict[str, Callable[[Raw], Iterable[MappedRecord | None]]] = {
            "severities": lambda r: [map_severity(r)],
            "incident_statuses": lambda r: [map_status(r)],
            "incident_types": lambda r: [map_incident_type(r)],
            "users": lambda r: [map_user(r)],
            "catalog_types": lambda r: [map_catalog_type(r)],
            "catalog_entries": lambda r: [map_catalog_entry(r, ctx)],
            "teams": lambda r: [map_team(r, ctx)],
            "schedules": lambda r: [map_schedule(r, ctx, self.schedule_entries.get(str(r.get("id"))))],
            "incidents": lambda r: [map_incident(r, ctx, updates.get(str(r.get("id")), []))],
            "incident_updates": lambda r: [map_incident_update(r, ctx)] if part_of_kept(r) else [],
            "postmortem_documents": lambda r: (
                map_postmortem(r, ctx, self.postmortem_content.get(str(r.get("id"))))
                if part_of_kept(r)
                else []
            ),
            "follow_ups": lambda r: [map_follow_up(r, ctx)] if part_of_kept(r) else [],
            "actions": lambda r: [map_action(r, ctx)] if part_of_kept(r) else [],
        }
        mapped: dict[str, list[MappedRecord]] = {}
        for resource in LOAD_ORDER:
            if resource == "incident_relationships":
                mapped[resource] = [
                    map_relationships(incident_id, rels)
                    for incident_id, rels in self.relationships.items()
                    if incident_id not in excluded
                ]
                continue
            mapped[resource] = _map_all(resource, self.objects[resource], simple[resource])
        return mapped


def _map_all(
    resource: str, objects: list[Raw], mapper: Callable[[Raw], Iterable[MappedRecord | None]]
) -> list[MappedRecord]:
    records: list[MappedRecord] = []
    for index, raw in enumerate(objects):
        try:
            records.extend(r for r in mapper(raw) if r is not None)
        except MappingError as exc:
            raise RecordError(resource, index, exc) from exc
    return records
