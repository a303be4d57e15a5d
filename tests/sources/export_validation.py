"""Validate an export directory (docs/export-format.md) against incident.io's OpenAPI spec.

Reuses the shared oracle in ``tests/support/spec.py`` for required fields, types, enums and
timestamps, and adds a closed-schema pass (no properties the spec doesn't define) because a generator
that invents or misspells a field should fail even though the real API may add fields.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from jsonschema import Draft4Validator

from tests.support.spec import SpecViolation, load_spec

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["ENDPOINTS", "load_objects", "validate_export"]

# file -> (a concrete GET path, whether the file is keyed by a parent id)
ENDPOINTS: dict[str, tuple[str, bool]] = {
    "v2_incidents.json": ("/v2/incidents", False),
    "v2_incident_updates.json": ("/v2/incident_updates", False),
    "v1_incident_relationships.json": ("/v1/incident_relationships", True),
    "v1_postmortem_documents.json": ("/v1/postmortem_documents", False),
    "v1_postmortem_documents_content.json": ("/v1/postmortem_documents/X/content", True),
    "v2_follow_ups.json": ("/v2/follow_ups", False),
    "v2_actions.json": ("/v2/actions", False),
    "v1_severities.json": ("/v1/severities", False),
    "v1_incident_statuses.json": ("/v1/incident_statuses", False),
    "v1_incident_types.json": ("/v1/incident_types", False),
    "v2_incident_roles.json": ("/v2/incident_roles", False),
    "v2_incident_timestamps.json": ("/v2/incident_timestamps", False),
    "v2_custom_fields.json": ("/v2/custom_fields", False),
    "v2_users.json": ("/v2/users", False),
    "v2_schedules.json": ("/v2/schedules", False),
    "v2_schedule_entries.json": ("/v2/schedule_entries", True),
    "v3_catalog_types.json": ("/v3/catalog_types", False),
    "v3_catalog_entries.json": ("/v3/catalog_entries", False),
    "v3_teams.json": ("/v3/teams", False),
}


def _responses(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        yield from value
    else:
        yield value


def load_objects(directory: Path, file: str) -> Iterator[Any]:
    """Yield every response object stored in one export file (pages and keyed values flattened)."""
    _, keyed = ENDPOINTS[file]
    document = json.loads((directory / file).read_text(encoding="utf-8"))
    if keyed:
        assert isinstance(document, dict), f"{file} must be an object keyed by parent id"
        for value in document.values():
            yield from _responses(value)
    else:
        yield from _responses(document)


@functools.cache
def _closed(schema_name: str) -> Draft4Validator:
    return Draft4Validator(load_spec().inline(schema_name, closed=True))


def validate_export(directory: Path) -> dict[str, int]:
    """Validate every export file present; return how many responses each held.

    Raises:
        SpecViolation: On the first response that breaks its endpoint's schema.
    """
    spec = load_spec()
    counts: dict[str, int] = {}
    for file, (path, _) in ENDPOINTS.items():
        if not (directory / file).exists():
            continue
        schema_name = spec.operation(path).schema_name
        counts[file] = 0
        for response in load_objects(directory, file):
            spec.validate_response(path, response)
            extra = [
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in _closed(schema_name).iter_errors(response)
            ]
            if extra:
                raise SpecViolation(f"{file} ({schema_name}) has fields the spec doesn't define: {extra[:5]}")
            counts[file] += 1
    return counts
