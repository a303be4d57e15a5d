"""Pure functions from raw incident.io objects (decoded JSON) to knowledge-map records.

Used alike by ``precedent import`` (export files) and ``precedent sync`` (the live API).
"""

from precedent.ingest.mapping.catalog import map_catalog_entry, map_catalog_type, map_team, mark_removed
from precedent.ingest.mapping.context import DEFAULT_MODES, CatalogIndex, MappingContext
from precedent.ingest.mapping.fitting import head_that_fits, split_to_fit
from precedent.ingest.mapping.incidents import (
    PART_EDGES,
    map_incident,
    map_incident_parts,
    map_incident_update,
    map_relationships,
)
from precedent.ingest.mapping.lookups import (
    map_incident_type,
    map_schedule,
    map_severity,
    map_status,
    map_user,
)
from precedent.ingest.mapping.postmortems import map_postmortem, split_sections
from precedent.ingest.mapping.records import EdgeScope, MappedRecord, MissingField, Raw
from precedent.ingest.mapping.work import map_action, map_follow_up

__all__ = [
    "DEFAULT_MODES",
    "PART_EDGES",
    "CatalogIndex",
    "EdgeScope",
    "MappedRecord",
    "MappingContext",
    "MissingField",
    "Raw",
    "map_action",
    "map_catalog_entry",
    "map_catalog_type",
    "map_follow_up",
    "map_incident",
    "map_incident_parts",
    "map_incident_type",
    "map_incident_update",
    "map_postmortem",
    "map_relationships",
    "map_schedule",
    "map_severity",
    "map_status",
    "map_team",
    "head_that_fits",
    "map_user",
    "mark_removed",
    "split_sections",
    "split_to_fit",
]
