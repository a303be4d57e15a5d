"""Writes merged Statuspage incidents as an incident.io export directory (docs/export-format.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.sources.statuspage.reader import STATUS_NAMES, read_statuspage
from precedent.sources.synthetic.ids import iso
from precedent.sources.synthetic.writer import KeyedWriter, PagedWriter, write_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from precedent.sources.statuspage.reader import ConversionReport, StatusIncident, StatusUpdate

__all__ = ["convert_statuspage", "write_export"]

Json = dict[str, object]

_IMPACT_TO_SEVERITY = {"none": "No impact", "minor": "Minor", "major": "Major", "critical": "Critical"}
_STATUS_CATEGORY = {"Investigating": "live", "Identified": "live", "Monitoring": "live", "Closed": "closed"}
_ACTOR: Json = {"api_key": {"id": "statuspage-import", "name": "Statuspage import"}}


@dataclass(frozen=True)
class _Config:
    """The organisation-level objects every converted incident embeds."""

    severities: dict[str, Json]
    statuses: dict[str, Json]
    timestamps: dict[str, Json]
    service_type: Json
    affected_field: Json
    description_attribute: str


def _config(at: datetime) -> _Config:
    created = iso(at)
    severities: dict[str, Json] = {
        name: {
            "created_at": created,
            "description": f"Statuspage impact '{impact}'",
            "id": f"sp-severity-{impact}",
            "name": name,
            "rank": rank,
            "updated_at": created,
        }
        for rank, (impact, name) in enumerate(_IMPACT_TO_SEVERITY.items(), start=1)
    }
    statuses: dict[str, Json] = {
        name: {
            "category": category,
            "created_at": created,
            "description": f"Statuspage status: {name}",
            "id": f"sp-status-{name.lower()}",
            "name": name,
            "rank": rank,
            "updated_at": created,
        }
        for rank, (name, category) in enumerate(_STATUS_CATEGORY.items(), start=1)
    }
    timestamps: dict[str, Json] = {
        name: {"id": f"sp-timestamp-{rank}", "name": name, "rank": rank}
        for rank, name in enumerate(("Reported at", "Impact started", "Fixed at", "Resolved at"), start=1)
    }
    attribute = "sp-attribute-description"
    service_type: Json = {
        "annotations": {},
        "categories": ["service"],
        "color": "blue",
        "created_at": created,
        "description": "Components listed on the status page",
        "engine_resource_type": 'CatalogEntry["Service"]',
        "icon": "server",
        "id": "sp-type-service",
        "is_editable": False,
        "is_team_type": False,
        "name": "Service",
        "ranked": False,
        "schema": {
            "attributes": [
                {"array": False, "id": attribute, "mode": "api", "name": "description", "type": "Text"}
            ],
            "version": 1,
        },
        "type_name": 'Custom["Service"]',
        "updated_at": created,
        "use_name_as_identifier": True,
    }
    affected: Json = {
        "catalog_type_id": "sp-type-service",
        "created_at": created,
        "description": "Status page components affected by this incident",
        "field_type": "multi_select",
        "id": "sp-field-affected-services",
        "name": "Affected services",
        "updated_at": created,
    }
    return _Config(severities, statuses, timestamps, service_type, affected, attribute)


def _component_id(name: str) -> str:
    return "sp-component-" + "-".join(name.lower().split())


def _incident(incident: StatusIncident, number: int, config: _Config) -> Json:
    status = (
        STATUS_NAMES.get(incident.updates[-1].status, "Investigating")
        if incident.updates
        else "Investigating"
    )
    if incident.resolved_at is not None:
        status = "Closed"
    stamps = {
        "Reported at": incident.started_at,
        "Impact started": incident.started_at,
        "Fixed at": incident.monitoring_at,
        "Resolved at": incident.resolved_at,
    }
    values: list[Json] = []
    for name, definition in config.timestamps.items():
        value = stamps[name]
        values.append(
            {"incident_timestamp": definition, **({"value": {"value": iso(value)}} if value else {})}
        )
    field_info: Json = {
        key: config.affected_field[key] for key in ("description", "field_type", "id", "name")
    }
    field_info["options"] = []
    updated = max([incident.started_at, *(u.at for u in incident.updates)])
    body: Json = {
        "created_at": iso(incident.started_at),
        "creator": _ACTOR,
        "custom_field_entries": [
            {
                "custom_field": field_info,
                "values": [
                    {
                        "value_catalog_entry": {
                            "external_id": _component_id(c),
                            "id": _component_id(c),
                            "name": c,
                        }
                    }
                    for c in incident.components
                ],
            }
        ],
        "id": incident.code,
        "incident_role_assignments": [],
        "incident_status": config.statuses[status],
        "incident_timestamp_values": values,
        "mode": "standard",
        "name": incident.name,
        "reference": f"INC-{number}",
        "severity": config.severities[_IMPACT_TO_SEVERITY.get(incident.impact, "Minor")],
        "slack_channel_id": "",
        "slack_team_id": "",
        "updated_at": iso(updated),
        "visibility": "public",
    }
    if incident.permalink:
        body["permalink"] = incident.permalink
    # The summary is what was said when the incident was declared, never the final write-up.
    if incident.updates and incident.updates[0].body and incident.updates[0].body != incident.writeup:
        body["summary"] = incident.updates[0].body
    if incident.resolved_at is not None:
        seconds = int((incident.resolved_at - incident.started_at).total_seconds())
        body["duration_metrics"] = [
            {
                "duration_metric": {"id": "sp-duration-lasted", "name": "Lasted"},
                "status": "success",
                "value_seconds": max(seconds, 0),
            }
        ]
    if incident.writeup is not None:
        body["postmortem_document_ids"] = [f"pm-{incident.code}"]
    return body


def _update(incident: StatusIncident, update: StatusUpdate, config: _Config) -> Json:
    status = STATUS_NAMES.get(update.status, "Investigating")
    body: Json = {
        "created_at": iso(update.at),
        "id": update.id,
        "incident_id": incident.code,
        "new_incident_status": config.statuses[status],
        "updater": _ACTOR,
    }
    if update.body:
        body["message"] = update.body
    return body


def _postmortem(incident: StatusIncident, writeup: str) -> tuple[Json, str]:
    at = iso(incident.updates[-1].at)
    document: Json = {
        "created_at": at,
        "document_url": incident.permalink,
        "editors": [],
        "exported_urls": [],
        "id": f"pm-{incident.code}",
        "incident_id": incident.code,
        "status": "completed",
        "title": incident.name,
        "type": "external",
        "updated_at": at,
    }
    timeline = "\n".join(
        f"* [{u.at:%Y-%m-%d %H:%M}] **{STATUS_NAMES.get(u.status, u.status)}**: {u.body}"
        for u in incident.updates[:-1]
    )
    markdown = f"# {incident.name}\n\n## Summary\n\n{writeup}\n\n## Timeline\n\n{timeline}\n"
    return document, markdown


def _catalog_page(descriptions: dict[str, str], config: _Config, at: datetime) -> Json:
    entries = [
        {
            "aliases": [name],
            "attribute_values": {
                config.description_attribute: {"value": {"label": description, "literal": description}}
            }
            if description
            else {},
            "catalog_type_id": config.service_type["id"],
            "created_at": iso(at),
            "external_id": _component_id(name),
            "id": _component_id(name),
            "name": name,
            "rank": rank,
            "updated_at": iso(at),
        }
        for rank, (name, description) in enumerate(descriptions.items())
    ]
    return {
        "catalog_entries": entries,
        "catalog_type": config.service_type,
        "pagination_meta": {"page_size": 250, "total_record_count": len(entries)},
    }


def convert_statuspage(paths: Iterable[Path], out: Path) -> ConversionReport:
    """Convert Statuspage histories into an export directory.

    Args:
        paths: JSON Lines inputs (see the module docstring for the shapes and the de-duplication rule).
        out: the export directory, created if missing.

    Returns:
        Counts of what was read, merged and written.

    Raises:
        SourceError: If an input line is not a Statuspage incident.
    """
    incidents, descriptions, report = read_statuspage(paths)
    write_export(incidents, descriptions, out)
    return report


def write_export(incidents: Sequence[StatusIncident], descriptions: dict[str, str], out: Path) -> None:
    """Write status-page-shaped incidents as an export directory.

    Other public histories (cloud providers' incident reports) are read into ``StatusIncident``
    and written here too, so every converted history has the same shape.

    Args:
        incidents: Incidents in start order (their ``writeup`` becomes a post-mortem).
        descriptions: Component name -> description, the "Service" catalog.
        out: the export directory, created if missing.
    """
    out.mkdir(parents=True, exist_ok=True)
    origin = incidents[0].started_at if incidents else datetime(2000, 1, 1, tzinfo=UTC)
    config = _config(origin)
    with (
        PagedWriter(out / "v2_incidents.json", "incidents", total=len(incidents)) as incident_out,
        PagedWriter(out / "v2_incident_updates.json", "incident_updates") as update_out,
        PagedWriter(out / "v1_postmortem_documents.json", "postmortem_documents") as postmortem_out,
        KeyedWriter(out / "v1_postmortem_documents_content.json") as content_out,
    ):
        for number, incident in enumerate(incidents, start=1):
            incident_out.add(_incident(incident, number, config))
            for update in incident.published_updates:
                update_out.add(_update(incident, update, config))
            writeup = incident.writeup
            if writeup is not None:
                document, markdown = _postmortem(incident, writeup)
                postmortem_out.add(document)
                content_out.add(str(document["id"]), {"markdown": markdown})
    write_json(out / "v1_severities.json", {"severities": list(config.severities.values())})
    write_json(out / "v1_incident_statuses.json", {"incident_statuses": list(config.statuses.values())})
    write_json(out / "v2_incident_timestamps.json", {"incident_timestamps": list(config.timestamps.values())})
    write_json(out / "v2_custom_fields.json", {"custom_fields": [config.affected_field]})
    write_json(out / "v3_catalog_types.json", {"catalog_types": [config.service_type]})
    write_json(out / "v3_catalog_entries.json", [_catalog_page(descriptions, config, origin)])
