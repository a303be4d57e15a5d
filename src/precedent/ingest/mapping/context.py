"""What a mapper needs to know about *other* objects (catalog types, entries, custom fields) and
about the embedding model (how it measures text).

The context is built once per import or sync from the lookups and the catalog, before incidents
are mapped, so references resolve the same way in both paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from precedent.embedding import WORD_TOKENS, TokenCounter
from precedent.ingest.mapping.records import Raw, as_list, as_mapping, opt_str

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from precedent.model import Visibility

__all__ = ["DEFAULT_MODES", "CatalogIndex", "MappingContext", "entry_label_for_type"]

DEFAULT_MODES: frozenset[str] = frozenset({"standard", "retrospective"})
"""Incident modes imported unless asked otherwise (test and tutorial incidents are excluded)."""

_CHANGE_NAME = re.compile(r"\b(deploy\w*|changes?)\b", re.IGNORECASE)
_SERVICE_NAME = re.compile(r"\bservices?\b", re.IGNORECASE)


def entry_label_for_type(catalog_type: Raw) -> str:
    """Return the node label a catalog type's entries get (see docs/export-format.md)."""
    categories = {c for c in as_list(catalog_type.get("categories")) if isinstance(c, str)}
    type_name = opt_str(catalog_type, "type_name") or ""
    name = opt_str(catalog_type, "name") or ""
    if catalog_type.get("is_team_type") is True:
        return "Team"
    if type_name == 'Custom["Deployment"]' or _CHANGE_NAME.search(name) or _CHANGE_NAME.search(type_name):
        return "ChangeEvent"
    if "service" in categories:
        return "Service"
    if "team" in categories:
        return "Team"
    return "CatalogEntry"


@dataclass
class CatalogIndex:
    """Catalog types and entries, indexed for resolving attribute references."""

    types_by_id: dict[str, Raw] = field(default_factory=dict)
    type_id_by_name: dict[str, str] = field(default_factory=dict)
    label_by_type: dict[str, str] = field(default_factory=dict)
    label_by_entry: dict[str, str] = field(default_factory=dict)
    type_by_entry: dict[str, str] = field(default_factory=dict)
    # Per type: every identifier (id, external id, alias, name) -> entry id.
    identifiers: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_type(self, catalog_type: Raw) -> None:
        """Index one ``CatalogTypeV3``."""
        type_id = opt_str(catalog_type, "id")
        if type_id is None:
            return
        self.types_by_id[type_id] = catalog_type
        self.label_by_type[type_id] = entry_label_for_type(catalog_type)
        type_name = opt_str(catalog_type, "type_name")
        if type_name:
            self.type_id_by_name[type_name] = type_id
        self.identifiers.setdefault(type_id, {})

    def add_entries(self, entries: Iterable[Raw]) -> None:
        """Index ``CatalogEntryV3`` objects (their type should be added first)."""
        for entry in entries:
            entry_id = opt_str(entry, "id")
            type_id = opt_str(entry, "catalog_type_id")
            if entry_id is None or type_id is None:
                continue
            self.type_by_entry[entry_id] = type_id
            self.label_by_entry[entry_id] = self.label_by_type.get(type_id, "CatalogEntry")
            ids = self.identifiers.setdefault(type_id, {})
            use_name = self.types_by_id.get(type_id, {}).get("use_name_as_identifier") is True
            names = [opt_str(entry, "name")] if use_name else []
            aliases = [a for a in as_list(entry.get("aliases")) if isinstance(a, str)]
            # Lowest precedence first, so the id (then external id) wins a clash.
            for key in [*names, *aliases, opt_str(entry, "external_id"), entry_id]:
                if key:
                    ids[key] = entry_id

    def resolve(self, type_id: str, literal: str) -> str | None:
        """Resolve a reference to an entry of ``type_id`` by id, external id, alias (or name)."""
        return self.identifiers.get(type_id, {}).get(literal)


@dataclass
class MappingContext:
    """Cross-object knowledge shared by the mappers.

    Attributes:
        catalog: Catalog types and entries.
        field_catalog_type: Custom field id -> catalog type id (catalog-backed fields).
        team_entry: incident.io team id -> its catalog entry id (the Team node's id).
        incident_visibility: Incident id -> visibility, for updates, post-mortems and follow-ups.
        modes: Incident modes to import.
        tokens: The embedding model's measure of text, which post-mortem chunks are sized in;
            ``import_export`` and ``Syncer`` take it from the loader's embedder.
    """

    catalog: CatalogIndex = field(default_factory=CatalogIndex)
    field_catalog_type: dict[str, str] = field(default_factory=dict)
    team_entry: dict[str, str] = field(default_factory=dict)
    incident_visibility: dict[str, Visibility] = field(default_factory=dict)
    modes: frozenset[str] = DEFAULT_MODES
    tokens: TokenCounter = WORD_TOKENS

    def add_custom_fields(self, fields: Iterable[Raw]) -> None:
        """Remember which custom fields are backed by a catalog type."""
        for custom_field in fields:
            field_id = opt_str(custom_field, "id")
            type_id = opt_str(custom_field, "catalog_type_id")
            if field_id and type_id:
                self.field_catalog_type[field_id] = type_id

    def add_teams(self, teams: Iterable[Raw]) -> None:
        """Remember each team's catalog entry id."""
        for team in teams:
            team_id = opt_str(team, "id")
            entry = as_mapping(team.get("catalog_entry"))
            entry_id = opt_str(entry, "id") if entry else None
            if team_id and entry_id:
                self.team_entry[team_id] = entry_id

    def visibility(self, incident_id: str) -> Visibility:
        """Visibility of an incident's parts: the incident's, or private when it is unknown."""
        return self.incident_visibility.get(incident_id, "private")

    def entry_label(
        self, entry_id: str, custom_field: Mapping[str, object], field_entries: Iterable[str] = ()
    ) -> str:
        """The label of an entry a catalog-backed custom field names: its own type's, else (an entry
        this context was not told of, added to the catalog since the last sync) the field's.

        The field's is its catalog type's. A field this context was not told of (a webhook maps an
        incident without the custom field definitions) names entries of one catalog type, so the
        label of another entry it names (``field_entries``) that the context knows is the field's;
        if it knows none, the field is judged by its name, so "Suspected change" names changes,
        "Affected services" services, and "Affected Team" neither.
        """
        if (label := self.catalog.label_by_entry.get(entry_id)) is not None:
            return label
        type_id = self.field_catalog_type.get(opt_str(custom_field, "id") or "")
        if type_id is not None:
            return self.catalog.label_by_type.get(type_id, "CatalogEntry")
        for other in field_entries:
            if (label := self.catalog.label_by_entry.get(other)) is not None:
                return label
        name = opt_str(custom_field, "name") or ""
        if _CHANGE_NAME.search(name):
            return "ChangeEvent"
        return "Service" if _SERVICE_NAME.search(name) else "CatalogEntry"
