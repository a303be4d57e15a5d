"""Writes the fake incident.io's organisation as an export directory, so a sync can be compared
with an import of the same data. File names and body keys come from the endpoint registry."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from precedent.sources.incidentio import ENDPOINTS

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.incidentio_fixtures import IncidentIoFixtures

__all__ = ["write_fixtures_export"]


def _overlaps(entry: dict[str, Any], start: datetime, end: datetime) -> bool:
    return datetime.fromisoformat(entry["end_at"]) > start and datetime.fromisoformat(entry["start_at"]) < end


def write_fixtures_export(
    fixtures: IncidentIoFixtures, directory: Path, *, schedule_window: tuple[datetime, datetime]
) -> Path:
    """Write every exported resource of ``fixtures`` under ``directory`` (docs/export-format.md).

    Args:
        fixtures: The organisation the fake serves.
        directory: Created if missing.
        schedule_window: Who is on call is exported for this window, as ``precedent sync`` reads it.

    Returns:
        ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    for endpoint in ENDPOINTS.values():
        if endpoint.export_file is not None and not endpoint.export_keyed:
            files[endpoint.export_file] = {endpoint.key: getattr(fixtures, endpoint.name)}
    relationships = ENDPOINTS["incident_relationships"]
    files[str(relationships.export_file)] = {
        incident_id: {relationships.key: related}
        for incident_id, related in fixtures.incident_relationships.items()
    }
    entries = ENDPOINTS["schedule_entries"]
    shown = {
        schedule_id: [e for e in listed if _overlaps(e, *schedule_window)]
        for schedule_id, listed in fixtures.schedule_entries.items()
    }
    files[str(entries.export_file)] = {
        schedule_id: {entries.key: {"scheduled": listed, "overrides": [], "final": listed}}
        for schedule_id, listed in shown.items()
    }
    content = ENDPOINTS["postmortem_content"]
    files[str(content.export_file)] = {
        document_id: {content.key: markdown} for document_id, markdown in fixtures.postmortem_content.items()
    }
    for name, body in files.items():
        (directory / name).write_text(json.dumps(body, indent=1), encoding="utf-8")
    return directory
