"""Reads an export directory (docs/export-format.md) into a validated, fully mapped dataset.

Everything is read, shape-checked and mapped before anything is written, so an invalid file
leaves the store untouched. Errors name the file, the object (index and id) and the field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.errors import ImportFileError
from precedent.ingest.changes import link_pending_changes
from precedent.ingest.dataset import Dataset, RecordError
from precedent.ingest.mapping import MappedRecord, MappingContext, Raw
from precedent.ingest.progress import NULL_PROGRESS, LoadStats, Progress

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.ingest.pipeline import Loader

__all__ = ["FILES", "ExportFile", "import_export", "read_export"]


@dataclass(frozen=True)
class ExportFile:
    """One export file: which resource it feeds and the key holding its objects."""

    name: str
    resource: str
    key: str
    required: tuple[str, ...] = ("id",)


FILES = (
    ExportFile("v1_severities.json", "severities", "severities", ("id", "name")),
    ExportFile("v1_incident_statuses.json", "incident_statuses", "incident_statuses", ("id", "name")),
    ExportFile("v1_incident_types.json", "incident_types", "incident_types", ("id", "name")),
    ExportFile("v2_incident_roles.json", "incident_roles", "incident_roles"),
    ExportFile("v2_incident_timestamps.json", "incident_timestamps", "incident_timestamps"),
    ExportFile("v2_custom_fields.json", "custom_fields", "custom_fields", ("id", "name")),
    ExportFile("v2_users.json", "users", "users", ("id", "name")),
    ExportFile("v3_catalog_types.json", "catalog_types", "catalog_types", ("id", "name")),
    ExportFile(
        "v3_catalog_entries.json", "catalog_entries", "catalog_entries", ("id", "name", "catalog_type_id")
    ),
    ExportFile("v3_teams.json", "teams", "teams", ("id", "name")),
    ExportFile("v2_schedules.json", "schedules", "schedules", ("id", "name")),
    ExportFile(
        "v2_incidents.json",
        "incidents",
        "incidents",
        ("id", "name", "reference", "mode", "visibility", "created_at", "updated_at", "incident_status"),
    ),
    ExportFile(
        "v2_incident_updates.json",
        "incident_updates",
        "incident_updates",
        ("id", "incident_id", "created_at"),
    ),
    ExportFile(
        "v1_postmortem_documents.json", "postmortem_documents", "postmortem_documents", ("id", "incident_id")
    ),
    ExportFile("v2_follow_ups.json", "follow_ups", "follow_ups", ("id", "incident_id", "title")),
    ExportFile("v2_actions.json", "actions", "actions", ("id", "incident_id")),
)
_KEYED = (
    ExportFile("v1_incident_relationships.json", "incident_relationships", "incident_relationships", ()),
    ExportFile("v2_schedule_entries.json", "schedule_entries", "schedule_entries", ()),
    ExportFile("v1_postmortem_documents_content.json", "postmortem_content", "markdown", ()),
)
_BY_RESOURCE = {f.resource: f for f in (*FILES, *_KEYED)}


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path.name}: not readable JSON: {exc}") from exc


def _pages(name: str, data: object, where: str = "") -> list[Mapping[str, object]]:
    pages = data if isinstance(data, list) else [data]
    for index, page in enumerate(pages):
        if not isinstance(page, Mapping):
            position = f" page {index}" if isinstance(data, list) else ""
            raise ImportFileError(f"{name}:{where}{position} must be a JSON object (a response body)")
    return [page for page in pages if isinstance(page, Mapping)]


def _objects(spec: ExportFile, data: object, where: str = "") -> list[Raw]:
    """Return the objects under ``spec.key`` in every page, checking their required fields."""
    found: list[Raw] = []
    for page in _pages(spec.name, data, where):
        items = page.get(spec.key)
        if not isinstance(items, list):
            raise ImportFileError(f"{spec.name}:{where} top-level key {spec.key!r} is missing or not a list")
        for item in items:
            index = len(found)
            if not isinstance(item, Mapping):
                raise ImportFileError(f"{spec.name}:{where} {spec.key}[{index}] is not a JSON object")
            for required in spec.required:
                if item.get(required) in (None, ""):
                    ident = item.get("id")
                    label = f" (id {ident})" if isinstance(ident, str) and ident else ""
                    where_item = f"{spec.name}:{where} {spec.key}[{index}]{label}"
                    raise ImportFileError(f"{where_item}: required field {required!r} is missing")
            found.append(item)
    return found


def _keyed(spec: ExportFile, data: object) -> dict[str, object]:
    if not isinstance(data, Mapping):
        raise ImportFileError(f"{spec.name}: must be a JSON object keyed by parent id")
    return dict(data)


def _read_into(dataset: Dataset, directory: Path) -> None:
    for spec in FILES:
        path = directory / spec.name
        if not path.is_file():
            continue
        objects = _objects(spec, _load_json(path))
        if spec.resource == "custom_fields":
            dataset.custom_fields.extend(objects)
        elif spec.resource == "catalog_entries":
            dataset.objects["catalog_entries"].extend(objects)
            known = {t.get("id") for t in dataset.objects["catalog_types"]}
            for page in _pages(spec.name, _load_json(path)):
                page_type = page.get("catalog_type")
                if isinstance(page_type, Mapping) and page_type.get("id") not in known:
                    known.add(page_type.get("id"))
                    dataset.objects["catalog_types"].append(page_type)
        else:
            dataset.objects[spec.resource].extend(objects)
    rel = _BY_RESOURCE["incident_relationships"]
    if (directory / rel.name).is_file():
        for parent, value in _keyed(rel, _load_json(directory / rel.name)).items():
            dataset.relationships[parent] = _objects(rel, value, f" [{parent!r}]")
    entries = _BY_RESOURCE["schedule_entries"]
    if (directory / entries.name).is_file():
        for parent, value in _keyed(entries, _load_json(directory / entries.name)).items():
            final: list[Raw] = []
            for page in _pages(entries.name, value, f" [{parent!r}]"):
                groups = page.get("schedule_entries")
                if not isinstance(groups, Mapping) or not isinstance(groups.get("final"), list):
                    raise ImportFileError(
                        f"{entries.name}: [{parent!r}] needs schedule_entries.final (a list)"
                    )
                final.extend(e for e in groups["final"] if isinstance(e, Mapping))
            dataset.schedule_entries[parent] = final
    content = _BY_RESOURCE["postmortem_content"]
    if (directory / content.name).is_file():
        for parent, value in _keyed(content, _load_json(directory / content.name)).items():
            markdown = value.get("markdown") if isinstance(value, Mapping) else None
            if not isinstance(markdown, str):
                raise ImportFileError(f"{content.name}: [{parent!r}]: required field 'markdown' is missing")
            dataset.postmortem_content[parent] = markdown


def read_export(directory: Path, ctx: MappingContext | None = None) -> dict[str, list[MappedRecord]]:
    """Read, validate and map an export directory. Blocking: call it in a worker thread.

    Args:
        directory: The export directory (``v2_incidents.json`` is required).
        ctx: Mapping context (incident modes); a fresh default one when omitted.

    Returns:
        Mapped records per resource, in load order.

    Raises:
        ImportFileError: naming the file, the object and the field, for the first problem found.
    """
    if not (directory / "v2_incidents.json").is_file():
        raise ImportFileError(f"{directory}: not an export directory (v2_incidents.json is missing)")
    dataset = Dataset()
    _read_into(dataset, directory)
    context = dataset.context(ctx or MappingContext())
    try:
        return dataset.map(context)
    except RecordError as exc:
        spec = _BY_RESOURCE[exc.resource]
        field = f" field {exc.field!r}:" if exc.field else ""
        raise ImportFileError(
            f"{spec.name}: {spec.key}[{exc.index}] (id {exc.record_id}):{field} {exc.reason}"
        ) from exc


async def import_export(
    directory: Path, loader: Loader, *, ctx: MappingContext | None = None, progress: Progress = NULL_PROGRESS
) -> dict[str, LoadStats]:
    """Validate and map the whole export first, then load it resource by resource.

    Returns:
        Load statistics per resource that had objects.

    Raises:
        ImportFileError: before anything is written, if any file is invalid.
    """
    mapped = await asyncio.to_thread(read_export, directory, ctx)
    results: dict[str, LoadStats] = {}
    for resource, records in mapped.items():
        if not records:
            continue
        progress.start(resource, len(records))
        results[resource] = await loader.load(records, resource)
        progress.finish(resource)
    # Changes recorded before their service was in the catalog get linked now that it may be.
    await link_pending_changes(loader.store)
    return results
