"""Reads an export directory (docs/export-format.md) into a validated, fully mapped dataset.

Which file holds which resource, under which key, comes from the endpoint registry
(``sources/incidentio/endpoints.py``). Everything is read, shape-checked and mapped before anything
is written, so an invalid file leaves the store untouched. Errors name the file, the object (index
and id) and the field.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.errors import ImportFileError
from precedent.ingest.changes import link_pending_changes
from precedent.ingest.dataset import Dataset, RecordError
from precedent.ingest.mapping import MappedRecord, MappingContext, Raw
from precedent.ingest.progress import NULL_PROGRESS, LoadStats, Progress
from precedent.ingest.sync import CHECKPOINT_KEY
from precedent.ingest.visibility import forget_unmessaged, hide_parts_of_incidents_made_private
from precedent.sources.incidentio import ENDPOINTS
from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.ingest.pipeline import Loader
    from precedent.sources.incidentio import Endpoint

__all__ = [
    "REQUIRED_FIELDS",
    "SCHEDULES_FILE_TIME_KEY",
    "import_export",
    "read_export",
    "require_export_directory",
]

SCHEDULES_FILE_TIME_KEY = "import:schedules:file_time"
"""The file time of the last imported schedule entries: the schedules checkpoint holding it came
from an export, which records no time of its own, not from a sync that read incident.io."""

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "severities": ("id", "name"),
    "incident_statuses": ("id", "name"),
    "incident_types": ("id", "name"),
    "custom_fields": ("id", "name"),
    "users": ("id", "name"),
    "catalog_types": ("id", "name"),
    "catalog_entries": ("id", "name", "catalog_type_id"),
    "teams": ("id", "name"),
    "schedules": ("id", "name"),
    "incidents": (
        "id",
        "name",
        "reference",
        "mode",
        "visibility",
        "created_at",
        "updated_at",
        "incident_status",
    ),
    "incident_updates": ("id", "incident_id", "created_at"),
    "postmortem_documents": ("id", "incident_id"),
    "follow_ups": ("id", "incident_id", "title"),
    "actions": ("id", "incident_id"),
}
"""Fields an object must carry to be imported, per resource; others need only an ``id``."""

_LISTS = tuple(e for e in ENDPOINTS.values() if e.export_file is not None and not e.export_keyed)
"""Export files holding response bodies, in the order they are read (types before entries)."""

_INCIDENTS = ENDPOINTS["incidents"]


def _file(endpoint: Endpoint) -> str:
    assert endpoint.export_file is not None
    return endpoint.export_file


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


def _objects(endpoint: Endpoint, pages: list[Mapping[str, object]], where: str = "") -> list[Raw]:
    """Return the objects under the endpoint's key in every page, checking their required fields."""
    name, key = _file(endpoint), endpoint.key
    required = REQUIRED_FIELDS.get(endpoint.name, ("id",)) if not endpoint.export_keyed else ()
    found: list[Raw] = []
    for page in pages:
        items = page.get(key)
        if not isinstance(items, list):
            raise ImportFileError(f"{name}:{where} top-level key {key!r} is missing or not a list")
        for item in items:
            index = len(found)
            if not isinstance(item, Mapping):
                raise ImportFileError(f"{name}:{where} {key}[{index}] is not a JSON object")
            for field in required:
                if item.get(field) in (None, ""):
                    ident = item.get("id")
                    label = f" (id {ident})" if isinstance(ident, str) and ident else ""
                    raise ImportFileError(
                        f"{name}:{where} {key}[{index}]{label}: required field {field!r} is missing"
                    )
            found.append(item)
    return found


def _keyed(endpoint: Endpoint, directory: Path) -> dict[str, object]:
    """The parent id -> value object of a keyed export file; empty when the file is absent."""
    path = directory / _file(endpoint)
    if not path.is_file():
        return {}
    data = _load_json(path)
    if not isinstance(data, Mapping):
        raise ImportFileError(f"{path.name}: must be a JSON object keyed by parent id")
    return dict(data)


def _read_into(dataset: Dataset, directory: Path) -> None:
    for endpoint in _LISTS:
        path = directory / _file(endpoint)
        if not path.is_file():
            continue
        pages = _pages(path.name, _load_json(path))
        dataset.objects[endpoint.name].extend(_objects(endpoint, pages))
        if endpoint.name == "catalog_entries":
            # Each page of entries names its type: a type missing from v3_catalog_types.json counts.
            known = {t.get("id") for t in dataset.objects["catalog_types"]}
            for page in pages:
                page_type = page.get("catalog_type")
                if isinstance(page_type, Mapping) and page_type.get("id") not in known:
                    known.add(page_type.get("id"))
                    dataset.objects["catalog_types"].append(page_type)
    relationships = ENDPOINTS["incident_relationships"]
    for parent, value in _keyed(relationships, directory).items():
        where = f" [{parent!r}]"
        dataset.relationships[parent] = _objects(
            relationships, _pages(_file(relationships), value, where), where
        )
    entries = ENDPOINTS["schedule_entries"]
    for parent, value in _keyed(entries, directory).items():
        final: list[Raw] = []
        for page in _pages(_file(entries), value, f" [{parent!r}]"):
            groups = page.get(entries.key)
            if not isinstance(groups, Mapping) or not isinstance(groups.get("final"), list):
                raise ImportFileError(f"{_file(entries)}: [{parent!r}] needs {entries.key}.final (a list)")
            final.extend(e for e in groups["final"] if isinstance(e, Mapping))
        dataset.schedule_entries[parent] = final
    content = ENDPOINTS["postmortem_content"]
    for parent, value in _keyed(content, directory).items():
        markdown = value.get(content.key) if isinstance(value, Mapping) else None
        if not isinstance(markdown, str):
            raise ImportFileError(
                f"{_file(content)}: [{parent!r}]: required field {content.key!r} is missing"
            )
        dataset.postmortem_content[parent] = markdown


def require_export_directory(directory: Path) -> None:
    """Refuse a path that is not an export directory, before anything slow (the model) is loaded.

    Raises:
        ImportFileError: if ``directory`` has no ``v2_incidents.json``.
    """
    if not (directory / _file(_INCIDENTS)).is_file():
        raise ImportFileError(
            f"{directory}: not an export directory ({_file(_INCIDENTS)} is missing); "
            "see docs/export-format.md, or write one with `precedent generate` or `precedent convert`"
        )


def read_export(directory: Path, ctx: MappingContext | None = None) -> dict[str, list[MappedRecord]]:
    """Read, validate and map an export directory. Blocking: call it in a worker thread.

    Args:
        directory: The export directory (``v2_incidents.json`` is required).
        ctx: Mapping context: incident modes, and the token counter post-mortem chunks are sized
            in (pass the embedding model's; a fresh default context counts words).

    Returns:
        Mapped records per resource, in load order.

    Raises:
        ImportFileError: naming the file, the object and the field, for the first problem found.
    """
    require_export_directory(directory)
    dataset = Dataset()
    _read_into(dataset, directory)
    context = dataset.context(ctx or MappingContext())
    try:
        return dataset.map(context)
    except RecordError as exc:
        endpoint = ENDPOINTS[exc.resource]
        field = f" field {exc.field!r}:" if exc.field else ""
        raise ImportFileError(
            f"{_file(endpoint)}: {endpoint.key}[{exc.index}] (id {exc.record_id}):{field} {exc.reason}"
        ) from exc


async def import_export(
    directory: Path, loader: Loader, *, ctx: MappingContext | None = None, progress: Progress = NULL_PROGRESS
) -> dict[str, LoadStats]:
    """Validate and map the whole export first, then load it resource by resource.

    Post-mortem chunks are sized in the tokens of the loader's embedding model.

    Args:
        directory: The export directory.
        loader: Writes the records (and embeds them).
        ctx: Mapping context (incident modes); its token counter is replaced by the loader's.
        progress: Progress sink.

    Returns:
        Load statistics per resource that had objects.

    Raises:
        ImportFileError: before anything is written, if any file is invalid.
    """
    ctx = dataclasses.replace(ctx or MappingContext(), tokens=await loader.token_counter())
    mapped = await asyncio.to_thread(read_export, directory, ctx)
    # An incident public in an earlier import may be private in this one: what cited it goes too.
    incidents = [r.node for r in mapped.get("incidents", []) if r.node is not None]
    await hide_parts_of_incidents_made_private(loader.store, {n.id: n.visibility for n in incidents})
    results: dict[str, LoadStats] = {}
    for resource, records in mapped.items():
        if not records:
            continue
        progress.start(resource, len(records))
        results[resource] = await loader.load(records, resource)
        progress.finish(resource)
    # The incidents made private are written private now: unmessaged ones leave the list.
    await forget_unmessaged(loader.store)
    entries = directory / _file(ENDPOINTS["schedule_entries"])
    if "schedules" in results and entries.is_file():
        # Who is on call is as fresh as the export that read it (a sync says when it read its own):
        # the export records no time, so the time its schedule entries file was written, said so.
        exported = datetime.fromtimestamp(entries.stat().st_mtime, UTC)

        async def newest(held: str | None) -> str:
            # An older export loaded after a sync must not make the sync's entries look staler.
            if held is not None and datetime.fromisoformat(held) >= exported:
                return held
            return exported.isoformat()

        key = CHECKPOINT_KEY.format(resource="schedules")
        await update_meta(loader.store, key, newest)
        if await loader.store.get_meta(key) == exported.isoformat():
            await loader.store.set_meta(SCHEDULES_FILE_TIME_KEY, exported.isoformat())
    # Changes recorded before their service was in the catalog get linked now that it may be.
    await link_pending_changes(loader.store)
    return results
