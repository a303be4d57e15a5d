"""``import_export``: an export directory into both stores, idempotently, or not at all."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import CachedEmbedder, HashEmbedder
from precedent.errors import ImportFileError, NotFound
from precedent.ingest import Loader, import_export
from precedent.ingest.sync import CHECKPOINT_KEY
from precedent.investigation import get, people_of, save
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, GraphFilter
from precedent.retrieval import Catalog, NeighbourhoodQuery, find_neighbourhood
from tests.ingest.org import write_export
from tests.investigation.test_persist import investigation

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from precedent.ingest import LoadStats
    from precedent.store import GraphStore

EXPECTED_CREATED = {
    "Severity": 2,
    "IncidentStatus": 2,
    "IncidentType": 1,
    "User": 2,
    "CatalogType": 3,
    "Service": 3,
    "Team": 1,
    "ChangeEvent": 1,
    "Schedule": 1,
    "Incident": 2,
    "IncidentUpdate": 3,
    "Postmortem": 1,
    "PostmortemChunk": 4,
    "FollowUp": 2,
    "Action": 1,
}


def _created(results: Mapping[str, LoadStats]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for stats in results.values():
        for label, counts in stats.labels.items():
            totals[label] = totals.get(label, 0) + counts.created
    return {k: v for k, v in totals.items() if v}


async def test_import_builds_the_same_graph_in_every_store(store: GraphStore, tmp_path: Path) -> None:
    embedder = HashEmbedder()
    results = await import_export(write_export(tmp_path / "export"), Loader(store, embedder))
    assert _created(results) == EXPECTED_CREATED
    stats = await store.stats()
    assert stats.nodes_by_label["Incident"] == 2  # the test-mode incident is left out
    assert stats.edges_by_type["AFFECTS"] == 2
    assert stats.edges_by_type["CAUSED_BY"] == 1
    assert stats.edges_by_type["RELATED_TO"] == 1
    assert stats.edges_by_type["ON_CALL"] == 1
    assert stats.edges_by_type["MEMBER_OF"] == 1
    [incident] = await store.get_nodes(["inc-1"])
    assert incident.properties["reference"] == "INC-1"
    assert incident.properties["duration_seconds"] == 5400
    assert incident.properties["resolved_at"].startswith("2026-03-01T11:30")  # type: ignore[union-attr]
    assert "Rolling back deploy 42" in (incident.text or "")
    [private_update, follow_up] = await store.get_nodes(["upd-3", "fu-2"])
    assert private_update.visibility == "private"
    assert follow_up.visibility == "private"
    owners = await store.neighbours("svc-payments", GraphFilter(rel_types=("OWNED_BY",), direction="out"))
    assert [other.id for _, other in owners] == ["team-payments"]
    [archived] = await store.get_nodes(["svc-legacy"])
    assert archived.properties["archived"] is True


async def test_imported_on_call_is_as_of_when_the_schedule_entries_were_exported(
    store: GraphStore, tmp_path: Path
) -> None:
    # A reader judges who is on call by how fresh the answer is: only a sync said it, so after an
    # import the pages and investigations gave no "as of" at all.
    export = write_export(tmp_path / "export")
    exported = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    os.utime(export / "v2_schedule_entries.json", (exported.timestamp(), exported.timestamp()))
    await import_export(export, Loader(store, HashEmbedder()))
    at = datetime(2026, 3, 3, tzinfo=UTC)
    people = await people_of(store, ["svc-payments"], at=at, now=at)
    [on_call] = people.on_call["svc-payments"]
    # The export records no time of its own: its file's time, and the answer says it came from one.
    assert (on_call.person.id, on_call.source, on_call.fetched_at) == ("u-alice", "export", exported)
    # An older export loaded again later does not move the "as of" back.
    older = exported - timedelta(days=30)
    os.utime(export / "v2_schedule_entries.json", (older.timestamp(), older.timestamp()))
    await import_export(export, Loader(store, HashEmbedder()))
    [again] = (await people_of(store, ["svc-payments"], at=at, now=at)).on_call["svc-payments"]
    assert (again.source, again.fetched_at) == ("export", exported)
    # A sync after it read incident.io itself: no longer "as of the export's file time".
    synced = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).isoformat()
    await store.set_meta(CHECKPOINT_KEY.format(resource="schedules"), synced)
    [after_sync] = (await people_of(store, ["svc-payments"], at=at, now=at)).on_call["svc-payments"]
    assert after_sync.source == "synced"


async def test_reimport_reports_unchanged_and_embeds_nothing(store: GraphStore, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export")
    inner = HashEmbedder()
    embedder = CachedEmbedder(inner)
    await import_export(export, Loader(store, embedder))
    first_texts = inner.texts_embedded
    again = await import_export(export, Loader(store, embedder))
    assert inner.texts_embedded == first_texts
    assert sum(s.total("created") + s.total("updated") for s in again.values()) == 0
    assert sum(s.total("unchanged") for s in again.values()) == sum(EXPECTED_CREATED.values()) - 0


async def test_a_changed_incident_replaces_its_stale_edges(store: GraphStore, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export")
    await import_export(export, Loader(store, HashEmbedder()))
    body = json.loads((export / "v2_incidents.json").read_text())
    body["incidents"][0]["severity"] = body["incidents"][1]["severity"]
    (export / "v2_incidents.json").write_text(json.dumps(body))
    content = {"pm-1": {"markdown": "## Summary\n\nShorter now."}}
    (export / "v1_postmortem_documents_content.json").write_text(json.dumps(content))
    results = await import_export(export, Loader(store, HashEmbedder()))
    assert results["incidents"].labels["Incident"].updated == 1
    severities = await store.neighbours("inc-1", GraphFilter(rel_types=("HAS_SEVERITY",), direction="out"))
    assert [other.id for _, other in severities] == ["sev-minor"]
    chunks = await store.neighbours("pm-1", GraphFilter(rel_types=("HAS_CHUNK",), direction="out"))
    assert [other.id for _, other in chunks] == ["pm-1:0"]
    assert await store.get_nodes(["pm-1:3"]) == []


def _break(export: Path, name: str, edit: object) -> None:
    path = export / name
    body = json.loads(path.read_text())
    edit(body)  # type: ignore[operator]
    path.write_text(json.dumps(body))


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        (
            "v2_incidents.json",
            lambda b: b["incidents"][1].pop("name"),
            "v2_incidents.json: incidents[1] (id inc-2)",
        ),
        ("v2_follow_ups.json", lambda b: b.pop("follow_ups"), "top-level key 'follow_ups'"),
        ("v2_incidents.json", lambda b: b["incidents"][0].update(created_at="yesterday"), "'created_at'"),
        (
            "v3_catalog_entries.json",
            lambda b: b[0]["catalog_entries"][1].pop("catalog_type_id"),
            "catalog_entries[1]",
        ),
    ],
)
async def test_invalid_file_names_file_object_and_field_and_writes_nothing(
    embedded_store: GraphStore, tmp_path: Path, name: str, edit: object, expected: str
) -> None:
    export = write_export(tmp_path / "export")
    _break(export, name, edit)
    with pytest.raises(ImportFileError) as caught:
        await import_export(export, Loader(embedded_store, HashEmbedder()))
    assert expected in str(caught.value)
    assert name in str(caught.value)
    assert (await embedded_store.stats()).nodes == 0


async def test_missing_required_field_message_names_the_field(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "export")
    _break(export, "v2_incidents.json", lambda b: b["incidents"][0].pop("reference"))
    with pytest.raises(ImportFileError, match=r"incidents\[0\] \(id inc-1\): required field 'reference'"):
        await import_export(export, Loader(embedded_store, HashEmbedder()))


async def test_a_merge_into_a_private_incident_is_shown_only_to_who_may_see_it(
    store: GraphStore, tmp_path: Path
) -> None:
    # upd-2 (public inc-1) says inc-1 was merged into inc-2, which is private.
    export = write_export(tmp_path / "export")
    _break(
        export,
        "v2_incident_updates.json",
        lambda b: b["incident_updates"][1].update(merged_into_incident_id="inc-2"),
    )
    await import_export(export, Loader(store, HashEmbedder()))
    [update] = await store.get_nodes(["upd-2"])
    assert PUBLIC_VIEWER.can_see(update)
    assert "inc-2" not in json.dumps(update.properties, default=str)  # what a node page shows
    query = NeighbourhoodQuery(incident="inc-1", depth=2, max_nodes=500)
    public = await find_neighbourhood(store, Catalog(store), query, PUBLIC_VIEWER)
    assert "upd-2" in {n.id for n in public.nodes}
    shown = [n.id for n in public.nodes] + [x for e in public.edges for x in (e.source, e.target)]
    shown += [json.dumps(dict(n.properties), default=str) for n in public.nodes]
    assert not [s for s in shown if "inc-2" in s]
    owner = await find_neighbourhood(store, Catalog(store), query, OWNER_VIEWER)
    assert ("upd-2", "MERGED_INTO", "inc-2") in {(e.source, e.type, e.target) for e in owner.edges}


async def test_an_incident_made_private_in_a_later_export_hides_what_cited_it(
    store: GraphStore, tmp_path: Path
) -> None:
    # inc-2 was public in the first export: its investigation and another incident's that cites
    # it by name, cause and fix were stored readable to everyone. The next export says private.
    export = write_export(tmp_path / "export")
    _break(export, "v2_incidents.json", lambda b: b["incidents"][1].update(visibility="public"))
    await import_export(export, Loader(store, HashEmbedder()))
    own = investigation("inc-2", 0)
    base = investigation("inc-1", 5)
    cites = replace(base, similar=(replace(base.similar[0], incident_id="inc-2"),))
    await save(store, own)
    await save(store, cites)
    assert [n.visibility for n in await store.get_nodes([own.id, cites.id])] == ["public"] * 2

    await import_export(write_export(tmp_path / "export"), Loader(store, HashEmbedder()))

    assert [n.visibility for n in await store.get_nodes(["inc-2"])] == ["private"]
    assert [n.visibility for n in await store.get_nodes([own.id, cites.id])] == ["private"] * 2
    for hidden in (own, cites):
        with pytest.raises(NotFound):
            await get(store, hidden.id, PUBLIC_VIEWER)
        assert await get(store, hidden.id, OWNER_VIEWER) == hidden
