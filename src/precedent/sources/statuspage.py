"""Convert a Statuspage incident history (JSON Lines) into the export format.

Two line shapes are understood: Atlassian Statuspage's own ``incident.json`` documents
(``{"page": ..., "incident": {...}}``, as mirrored by GitHub-Incident-History) and the flat records of
the mrshu/github-statuses mirror (``{"id", "url", "title", "updates": [{"at", "status", "message"}]}``).

De-duplication: records are the same incident when they share the Statuspage incident code (the
``incident.id`` of the first shape, the last path segment of ``url`` in the second); a record without
either falls back to its name and start minute. Of two records for one code we keep the one with more
updates; on a tie, the one with more update text (GitHub edits final updates afterwards, for example
to add the root-cause write-up, so the later crawl can be longer); then the one read first. Affected
components are unioned.

Scheduled maintenance is skipped (it is not an incident), as are placeholder components such as
"Visit www.githubstatus.com for more information". From 2023 GitHub ends each incident with a long
root-cause write-up: a final resolved update of 250+ characters on an incident that started in 2023 or
later becomes a post-mortem document. It stays as the last update too, but never in the summary or the
early updates a "similar incident" query is built from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.sources.synthetic.ids import iso
from precedent.sources.synthetic.writer import KeyedWriter, PagedWriter, write_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

__all__ = ["ConversionReport", "StatusIncident", "StatusUpdate", "convert_statuspage", "read_statuspage"]

Json = dict[str, object]


WRITEUP_MIN_CHARS = 250
WRITEUP_FROM = datetime(2023, 1, 1, tzinfo=UTC)
_STATUS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Closed",
    "postmortem": "Closed",
}


@dataclass(frozen=True)
class StatusUpdate:
    """One public status update."""

    id: str
    at: datetime
    status: str
    body: str


@dataclass
class StatusIncident:
    """One Statuspage incident, whichever mirror it came from."""

    code: str
    name: str
    impact: str
    started_at: datetime
    resolved_at: datetime | None
    monitoring_at: datetime | None
    permalink: str
    updates: list[StatusUpdate]
    components: list[str] = field(default_factory=list)

    @property
    def writeup(self) -> str | None:
        """The final root-cause write-up, if this incident has one."""
        last = self.updates[-1] if self.updates else None
        if (
            last is None
            or last.status != "resolved"
            or len(last.body) < WRITEUP_MIN_CHARS
            or self.started_at < WRITEUP_FROM
        ):
            return None
        return last.body


@dataclass(frozen=True)
class ConversionReport:
    """What a conversion read and wrote."""

    records: int
    maintenance_skipped: int
    duplicates_merged: int
    incidents: int
    updates: int
    components: int
    postmortems: int


def _text(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def _time(record: Mapping[str, object], key: str) -> datetime | None:
    value = _text(record, key)
    return datetime.fromisoformat(value) if value else None


def _records(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _from_statuspage(incident: Mapping[str, object], descriptions: dict[str, str]) -> StatusIncident | None:
    code, name, started = _text(incident, "id"), _text(incident, "name"), _time(incident, "started_at")
    started = started or _time(incident, "created_at")
    if code is None or name is None or started is None:
        raise ValueError("incident needs id, name and created_at")
    if _text(incident, "impact") == "maintenance" or _text(incident, "scheduled_for"):
        return None
    updates: list[StatusUpdate] = []
    for raw in _records(incident.get("incident_updates")):
        at, status = _time(raw, "created_at"), _text(raw, "status") or "investigating"
        if at is not None:
            updates.append(
                StatusUpdate(
                    _text(raw, "id") or f"{code}-{len(updates)}", at, status, _text(raw, "body") or ""
                )
            )
    # Statuspage lists updates newest first; a stable sort keeps same-second updates in posting order.
    updates.sort(key=lambda update: update.at)
    components = []
    for component in _records(incident.get("components")):
        component_name = _text(component, "name")
        if component_name:
            components.append(component_name)
            descriptions.setdefault(component_name, _text(component, "description") or "")
    return StatusIncident(
        code,
        name,
        _text(incident, "impact") or "none",
        started,
        _time(incident, "resolved_at"),
        _time(incident, "monitoring_at"),
        _text(incident, "shortlink") or "",
        updates,
        components,
    )


def _from_mirror(record: Mapping[str, object]) -> StatusIncident | None:
    url, name, started = _text(record, "url"), _text(record, "title"), _time(record, "started_at")
    started = started or _time(record, "published_at")
    if name is None or started is None:
        raise ValueError("record needs title and started_at")
    if _text(record, "impact") == "maintenance":
        return None
    code = url.rstrip("/").rsplit("/", 1)[-1] if url else f"{name.strip().lower()}@{started:%Y-%m-%dT%H:%M}"
    updates: list[StatusUpdate] = []
    status = "investigating"
    for raw in _records(record.get("updates")):
        at = _time(raw, "at")
        label = (_text(raw, "status") or "").lower()
        # The mirror's "Update" is a message without a status change: keep the current status.
        status = label if label in _STATUS else status
        if at is not None:
            updates.append(
                StatusUpdate(f"{code}-{len(updates) + 1}", at, status, _text(raw, "message") or "")
            )
    listed = record.get("components")
    components = [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []
    return StatusIncident(
        code,
        name,
        _text(record, "impact") or "none",
        started,
        _time(record, "resolved_at"),
        None,
        url or "",
        updates,
        components,
    )


def _is_placeholder(component: str) -> bool:
    # Statuspage's "Visit www.githubstatus.com for more information" row (truncated to "Visit www" by
    # one mirror) is a link, not a service.
    return component.startswith("Visit ")


def _richness(incident: StatusIncident) -> tuple[int, int]:
    return len(incident.updates), sum(len(update.body) for update in incident.updates)


def _named_in(title: str, components: list[str]) -> list[str]:
    """Components a title names ("Incident with Actions and Git Operations"), longest names first."""
    # Only for records with no component list: GitHub's titles name the components they affect.
    found: list[str] = []
    rest = f" {title.lower()} "
    for component in sorted(components, key=len, reverse=True):
        needle = component.lower()
        for boundary in (" ", ","):
            if f" {needle}{boundary}" in rest or f" github {needle}{boundary}" in rest:
                found.append(component)
                rest = rest.replace(needle, " ")
                break
    return sorted(found, key=components.index)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}; pass Statuspage JSON Lines files") from exc


def read_statuspage(paths: Iterable[Path]) -> tuple[list[StatusIncident], dict[str, str], ConversionReport]:
    """Read, normalise and de-duplicate Statuspage histories.

    Args:
        paths: JSON Lines files, earlier ones preferred on ties.

    Returns:
        Incidents in start order, component descriptions by name, and the counts so far.

    Raises:
        SourceError: If a file can't be read, or a line is not JSON or lacks the fields every incident needs.
    """
    descriptions: dict[str, str] = {}
    by_code: dict[str, StatusIncident] = {}
    records = skipped = merged = 0
    for path in paths:
        for number, line in _lines(path):
            if not line.strip():
                continue
            records += 1
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("line is not a JSON object")
                inner = raw.get("incident")
                incident = (
                    _from_statuspage(inner, descriptions) if isinstance(inner, dict) else _from_mirror(raw)
                )
            except ValueError as exc:
                raise SourceError(f"{path}:{number}: not a Statuspage incident ({exc})") from exc
            if incident is None:
                skipped += 1
                continue
            incident.components = [c for c in dict.fromkeys(incident.components) if not _is_placeholder(c)]
            kept = by_code.get(incident.code)
            if kept is None:
                by_code[incident.code] = incident
                continue
            merged += 1
            union = list(dict.fromkeys([*kept.components, *incident.components]))
            if _richness(incident) > _richness(kept):
                by_code[incident.code] = kept = incident
            kept.components = union
    incidents = sorted(by_code.values(), key=lambda incident: (incident.started_at, incident.code))
    for incident in incidents:
        for component in incident.components:
            descriptions.setdefault(component, "")
    names = sorted(c for c in descriptions if not _is_placeholder(c))
    for incident in incidents:
        if not incident.components:
            incident.components = _named_in(incident.name, names)
    report = ConversionReport(
        records,
        skipped,
        merged,
        len(incidents),
        sum(len(i.updates) for i in incidents),
        len(names),
        sum(i.writeup is not None for i in incidents),
    )
    return incidents, {name: descriptions[name] for name in names}, report


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
        _STATUS.get(incident.updates[-1].status, "Investigating") if incident.updates else "Investigating"
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
    status = _STATUS.get(update.status, "Investigating")
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
        f"* [{u.at:%Y-%m-%d %H:%M}] **{_STATUS.get(u.status, u.status)}**: {u.body}"
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
            for update in incident.updates:
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
    return report
