"""``Syncer`` against the spec-validated fake incident.io: full, incremental, interrupted, scoped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.embedding import CachedEmbedder, HashEmbedder
from precedent.errors import SourceError
from precedent.ingest import Loader, import_export
from precedent.ingest.mapping import MappingContext, map_follow_up, map_incident
from precedent.ingest.sync import Syncer, SyncOptions, SyncReport
from precedent.model import Edge, GraphFilter, Node
from precedent.sources.incidentio import RetryPolicy
from precedent.store.embedded import EmbeddedStore
from precedent.webhooks import IncidentWriter
from tests.support.incidentio_export import write_fixtures_export
from tests.support.incidentio_fixtures import ulid
from tests.support.incidentio_server import SERVER_NOW, FakeIncidentIo, Fault

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.ingest.mapping import Raw
    from precedent.store import GraphStore

OPTIONS = SyncOptions(now=lambda: SERVER_NOW)


async def _sync(
    fake: FakeIncidentIo,
    store: GraphStore,
    embedder: HashEmbedder | None = None,
    options: SyncOptions = OPTIONS,
) -> SyncReport:
    async with fake.client(retry=RetryPolicy(max_attempts=2)) as client:
        loader = Loader(store, CachedEmbedder(embedder or HashEmbedder()))
        return await Syncer(client, store, loader, options).run()


async def _graph(store: GraphStore) -> tuple[dict[str, tuple[str, str, str]], set[tuple[str, str, str]]]:
    nodes = {
        n.id: (n.label, str(sorted(n.properties.items())), n.text or "") async for n in store.scan_nodes()
    }
    edges = {(e.source, e.type, e.target) async for e in store.scan_edges()}
    return nodes, edges


async def test_full_then_incremental_sync(store: GraphStore) -> None:
    fake = FakeIncidentIo()
    first = await _sync(fake, store)
    assert not first.incremental
    assert first.resources["incidents"].labels["Incident"].created == len(
        [i for i in fake.fixtures.incidents if i["mode"] in {"standard", "retrospective"}]
    )
    assert first.calls > 0
    fake.requests.clear()
    embedder = HashEmbedder()
    second = await _sync(fake, store, embedder)
    assert second.incremental
    assert embedder.texts_embedded == 0
    assert all(s.total("created") + s.total("updated") == 0 for s in second.resources.values())
    incident_queries = [r.url.params for r in fake.requests if r.url.path == "/v2/incidents"]
    # The incidents mapped are read from the checkpoint on; the list is read whole once more (one
    # page here) only for the ids, to notice incidents that left it (``ingest.unlisted``).
    assert ["updated_at[gte]" in q for q in incident_queries] == [True, False]


async def test_killed_sync_resumes_to_the_same_graph(embedded_store: GraphStore, tmp_path: Path) -> None:
    reference = EmbeddedStore(tmp_path / "reference", dimensions=384)
    await reference.open()
    try:
        await _sync(FakeIncidentIo(), reference)
        fake = FakeIncidentIo()
        # One incident per page, one record per batch: the first incidents are durably written
        # before the relationships call for the third incident kills the sync.
        fake.add(Fault("/v1/incident_relationships", at=3, exception=lambda r: httpx.ConnectError("killed")))
        options = replace(OPTIONS, page_size=1, concurrency=1)
        async with fake.client(retry=RetryPolicy(max_attempts=1)) as client:
            loader = Loader(embedded_store, HashEmbedder(), batch_size=1)
            with pytest.raises(SourceError):
                await Syncer(client, embedded_store, loader, options).run()
        assert await embedded_store.get_meta("sync:incidents:checkpoint") is None
        written = (await embedded_store.stats()).nodes_by_label
        assert 0 < written["Incident"] < (await reference.stats()).nodes_by_label["Incident"]
        await _sync(fake, embedded_store)
        assert await _graph(embedded_store) == await _graph(reference)
        assert await embedded_store.get_meta("sync:incidents:checkpoint") is not None
    finally:
        await reference.close()


async def test_missing_schedules_scope_syncs_everything_else(embedded_store: GraphStore) -> None:
    fake = FakeIncidentIo().forbid("/v2/schedules")
    report = await _sync(fake, embedded_store)
    assert len(report.warnings) == 1
    assert "schedules.view" in report.warnings[0]
    stats = await embedded_store.stats()
    assert "Schedule" not in stats.nodes_by_label
    assert stats.nodes_by_label["Incident"] > 0
    assert stats.nodes_by_label["Service"] > 0


async def test_removed_catalog_entries_are_marked(embedded_store: GraphStore) -> None:
    fake = FakeIncidentIo()
    await _sync(fake, embedded_store)
    gone = fake.fixtures.catalog_entries.pop()
    await _sync(fake, embedded_store)
    [node] = await embedded_store.get_nodes([gone["id"]])
    assert node.properties["removed"] is True
    assert node.properties["archived"] is True


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
async def test_an_incident_made_private_is_hidden_although_the_key_cannot_see_private_ones(
    store: GraphStore, full: bool
) -> None:
    # Without the private-incident role the key is never shown the change: the incident just
    # leaves the listing. Mapped as it was, it would stay readable to every read token.
    fake = FakeIncidentIo(sees_private=False)
    await _sync(fake, store)
    raw = next(i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard")
    raw.update(visibility="private", updated_at=SERVER_NOW.isoformat().replace("+00:00", "Z"))

    report = await _sync(fake, store, options=replace(OPTIONS, full=full))

    [node] = await store.get_nodes([raw["id"]])
    assert node.visibility == "private"
    parts = await store.neighbours(raw["id"], GraphFilter(rel_types=("HAS_UPDATE", "HAS_FOLLOW_UP")))
    assert parts
    assert {n.visibility for _, n in parts} == {"private"}
    [warning] = [w for w in report.warnings if raw["id"] in w]
    assert "View all incident data, including private incidents" in warning
    assert "PRECEDENT_INCIDENTIO_API_KEY" in warning


async def _written_by(how: str, fake: FakeIncidentIo, store: GraphStore, tmp_path: Path) -> Raw:
    """Put a public incident in the map that no sync listed; return it (as incident.io serves it)."""
    if how == "import":
        window = (SERVER_NOW, SERVER_NOW + OPTIONS.schedule_window)
        export = write_fixtures_export(fake.fixtures, tmp_path / "export", schedule_window=window)
        await import_export(export, Loader(store, HashEmbedder()))
        return next(
            i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard"
        )
    await _sync(fake, store)
    first = next(
        i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard"
    )
    declared = {**first, "id": ulid("IN", 99), "reference": "INC-99"}
    fake.fixtures.incidents.append(declared)
    await IncidentWriter(store, HashEmbedder()).write(declared, None)
    return declared


@pytest.mark.parametrize("how", ["import", "webhook"])
async def test_an_incident_no_sync_listed_is_hidden_when_it_leaves_the_listing(
    store: GraphStore, tmp_path: Path, how: str
) -> None:
    # Imported before the first sync, or written by a webhook since the last one, then made
    # private (no private_incident webhook came): no listing ever showed it, the map holds it public.
    fake = FakeIncidentIo(sees_private=False)
    raw = await _written_by(how, fake, store, tmp_path)
    raw.update(visibility="private")

    report = await _sync(fake, store)

    [node] = await store.get_nodes([raw["id"]])
    assert node.visibility == "private"
    [warning] = [w for w in report.warnings if raw["id"] in w]
    assert "View all incident data, including private incidents" in warning
    others = [i["id"] for i in fake.fixtures.incidents if i["visibility"] == "public"]
    assert {n.visibility for n in await store.get_nodes(others)} == {"public"}


async def test_a_listing_that_cannot_be_read_whole_is_a_warning_not_a_failed_sync(store: GraphStore) -> None:
    # The incidents are loaded and the checkpoint moved: failing the sync for the check alone
    # would report an error (and no last success) for a sync that did its work.
    fake = FakeIncidentIo(sees_private=False)
    await _sync(fake, store)
    before = fake._counts["/v2/incidents"]
    # The second sync's incremental listing is one page; the whole listing after it fails twice.
    for at in (before + 2, before + 3):
        fake.respond("/v2/incidents", 500, {"type": "error", "status": 500}, at=at)

    report = await _sync(fake, store)

    [warning] = [w for w in report.warnings if "no longer shown" in w]
    assert "the next sync checks again" in warning
    assert report.resources["incidents"].total("unchanged") > 0


async def test_an_incremental_sync_hides_what_the_whole_listing_shows_private(store: GraphStore) -> None:
    # Made private without its updated_at moving past the checkpoint: the incremental listing
    # never maps it, but the whole listing read for the ids shows it private.
    fake = FakeIncidentIo()
    await _sync(fake, store)
    raw = next(i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard")
    raw.update(visibility="private")

    await _sync(fake, store)

    [node] = await store.get_nodes([raw["id"]])
    assert node.visibility == "private"
    parts = await store.neighbours(raw["id"], GraphFilter(rel_types=("HAS_UPDATE",)))
    assert parts
    assert {n.visibility for _, n in parts} == {"private"}


async def test_an_incident_made_private_takes_its_stored_investigation_along(store: GraphStore) -> None:
    fake = FakeIncidentIo()
    await _sync(fake, store)
    raw = next(i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard")
    investigation = Node(
        "inv-1", "Investigation", {"incident_id": raw["id"], "status": "open"}, text=f"{raw['name']} findings"
    )
    await store.upsert_nodes([investigation])
    await store.upsert_edges([Edge("inv-1", "INVESTIGATES", raw["id"])])
    raw.update(visibility="private", updated_at=SERVER_NOW.isoformat().replace("+00:00", "Z"))

    await _sync(fake, store)

    nodes = await store.get_nodes([raw["id"], "inv-1"])
    assert [(n.id, n.visibility) for n in nodes] == [(raw["id"], "private"), ("inv-1", "private")]
    parts = await store.neighbours(raw["id"], GraphFilter(rel_types=("HAS_UPDATE", "HAS_FOLLOW_UP")))
    assert parts
    assert {n.visibility for _, n in parts} == {"private"}


async def test_the_whole_listing_is_read_again_only_once_its_interval_has_passed(store: GraphStore) -> None:
    # At 10,000 incidents the whole listing is 40 of an incremental sync's calls: spaced out, an
    # incident that left it in between is still found, by the first sync after the interval.
    fake = FakeIncidentIo(sees_private=False)
    hourly = replace(OPTIONS, compare_every=timedelta(hours=1))
    await _sync(fake, store, options=hourly)
    raw = next(i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard")
    raw.update(visibility="private")
    fake.requests.clear()

    await _sync(fake, store, options=replace(hourly, now=lambda: SERVER_NOW + timedelta(minutes=59)))

    listings = [r.url.params for r in fake.requests if r.url.path == "/v2/incidents"]
    assert ["updated_at[gte]" in q for q in listings] == [True]
    assert [n.visibility for n in await store.get_nodes([raw["id"]])] == ["public"]

    report = await _sync(fake, store, options=replace(hourly, now=lambda: SERVER_NOW + timedelta(hours=1)))

    assert [n.visibility for n in await store.get_nodes([raw["id"]])] == ["private"]
    assert [w for w in report.warnings if raw["id"] in w]


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
async def test_parts_deleted_in_incident_io_leave_the_map(embedded_store: GraphStore, full: bool) -> None:
    # A deleted follow-up is just absent from its list: kept, it showed as open for good.
    fake = FakeIncidentIo()
    await _sync(fake, embedded_store)
    document = fake.fixtures.postmortem_documents[0]
    incident_id = document["incident_id"]
    chunks = await embedded_store.neighbours(document["id"], GraphFilter(rel_types=("HAS_CHUNK",)))
    assert chunks
    fake.fixtures.postmortem_documents.remove(document)
    gone = [document["id"], *(c.id for _, c in chunks)]  # a post-mortem's chunks go with it
    for kind in ("follow_ups", "incident_updates", "actions"):
        records = getattr(fake.fixtures, kind)
        raw = next(r for r in records if r["incident_id"] == incident_id)
        records.remove(raw)
        gone.append(raw["id"])
    incident = next(i for i in fake.fixtures.incidents if i["id"] == incident_id)
    incident["updated_at"] = SERVER_NOW.isoformat().replace("+00:00", "Z")

    report = await _sync(fake, embedded_store, options=replace(OPTIONS, full=full))

    assert await embedded_store.get_nodes(gone) == []
    assert report.resources["incidents"].nodes_deleted == len(gone)
    left = {n.id for _, n in await embedded_store.neighbours(incident_id, GraphFilter(direction="out"))}
    listed = fake.fixtures.follow_ups + fake.fixtures.incident_updates
    kept = [r["id"] for r in listed if r["incident_id"] == incident_id]
    assert kept
    assert set(kept) <= left


async def test_part_lists_the_key_may_not_read_delete_nothing(embedded_store: GraphStore) -> None:
    fake = FakeIncidentIo()
    await _sync(fake, embedded_store)
    before = {(e.source, e.type, e.target) async for e in embedded_store.scan_edges()}
    for path in ("/v2/follow_ups", "/v2/incident_updates", "/v1/incident_relationships"):
        fake.forbid(path)
    stamp = SERVER_NOW.isoformat().replace("+00:00", "Z")
    for incident in fake.fixtures.incidents:
        incident["updated_at"] = stamp

    report = await _sync(fake, embedded_store)

    assert "follow-ups" in report.warnings[0].lower()
    after = {(e.source, e.type, e.target) async for e in embedded_store.scan_edges()}
    assert before - after == set()
    assert any(t == "RELATED_TO" for _, t, _ in before)


async def test_an_incremental_sync_writes_a_follow_up_completed_on_an_old_incident(store: GraphStore) -> None:
    # Completing a follow-up leaves its incident's updated_at where it was (before the window).
    fake = FakeIncidentIo()
    await _sync(fake, store)
    follow_up = next(f for f in fake.fixtures.follow_ups if f["status"] == "outstanding")
    follow_up.update(status="completed", completed_at="2026-12-05T10:15:00.123456789+05:45")
    incident = next(i for i in fake.fixtures.incidents if i["id"] == follow_up["incident_id"])
    assert incident["updated_at"] < (SERVER_NOW - OPTIONS.overlap).isoformat()

    report = await _sync(fake, store)

    assert report.incremental
    [node] = await store.get_nodes([follow_up["id"]])
    assert node.properties["status"] == "completed"
    assert node.properties["completed_at"] == "2026-12-05T10:15:00.123456+05:45"
    [held] = await store.get_nodes([incident["id"]])
    assert node.visibility == held.visibility


async def test_a_schedule_deleted_in_incident_io_leaves_the_map(store: GraphStore) -> None:
    fake = FakeIncidentIo()
    on_call_at = replace(OPTIONS, now=lambda: SERVER_NOW - timedelta(days=7))  # inside the fixture's shifts
    await _sync(fake, store, options=on_call_at)
    gone = fake.fixtures.schedules.pop(0)
    kept = fake.fixtures.schedules[0]
    assert await store.neighbours(gone["id"], GraphFilter(rel_types=("ON_CALL",)))

    report = await _sync(fake, store, options=on_call_at)

    assert await store.get_nodes([gone["id"]]) == []
    assert [n.id for n in await store.get_nodes([kept["id"]])] == [kept["id"]]
    assert report.resources["schedules"].nodes_deleted == 1


async def test_schedules_the_key_may_not_read_are_kept(store: GraphStore) -> None:
    fake = FakeIncidentIo()
    await _sync(fake, store)
    fake.forbid("/v2/schedules")

    await _sync(fake, store)

    ids = [s["id"] for s in fake.fixtures.schedules]
    assert len(await store.get_nodes(ids)) == len(ids)


async def test_an_incremental_sync_reads_a_post_mortem_edited_on_an_old_incident(store: GraphStore) -> None:
    # Written or edited after its incident closed: the incident's updated_at stays before the window.
    fake = FakeIncidentIo()
    await _sync(fake, store)
    document = fake.fixtures.postmortem_documents[0]
    document["updated_at"] = "2026-03-10T17:29:59.5+05:30"  # 11:59:59.5Z, an hour and a bit ago
    fake.fixtures.postmortem_content[document["id"]] = (
        "# Root cause\n\nA **ŝtale** TLS certificate 🔐 on ledger-db."
    )
    incident = next(i for i in fake.fixtures.incidents if i["id"] == document["incident_id"])
    assert incident["updated_at"] < (SERVER_NOW - OPTIONS.overlap).isoformat()
    fake.requests.clear()

    report = await _sync(fake, store, options=replace(OPTIONS, now=lambda: SERVER_NOW + timedelta(hours=1)))

    assert report.incremental
    chunks = await store.neighbours(document["id"], GraphFilter(rel_types=("HAS_CHUNK",)))
    assert [c.text for _, c in chunks] == ["Root cause\n\nA **ŝtale** TLS certificate 🔐 on ledger-db."]
    [held] = await store.get_nodes([incident["id"]])
    assert {c.visibility for _, c in chunks} == {held.visibility}
    # Post-mortems not edited since the window are not read again.
    contents = [r.url.path for r in fake.requests if r.url.path.endswith("/content")]
    assert contents == [f"/v1/postmortem_documents/{document['id']}/content"]


async def test_a_sync_failing_on_the_late_parts_reads_them_again_from_the_same_window(
    embedded_store: GraphStore,
) -> None:
    fake = FakeIncidentIo()
    await _sync(fake, embedded_store)
    checkpoint = await embedded_store.get_meta("sync:incidents:checkpoint")
    document = fake.fixtures.postmortem_documents[0]
    document["updated_at"] = "2026-03-10T11:00:00Z"
    fake.fixtures.postmortem_content[document["id"]] = "# Root cause\n\nAn expired certificate."
    # The whole post-mortem list, read after the incidents in the window (one has its list read),
    # fails beyond retries (two attempts).
    before = fake._counts["/v1/postmortem_documents"]
    for at in (before + 2, before + 3):
        fake.server_error("/v1/postmortem_documents", at=at)
    two_days_on = replace(OPTIONS, now=lambda: SERVER_NOW + timedelta(days=2))

    with pytest.raises(SourceError):
        await _sync(fake, embedded_store, options=two_days_on)

    assert await embedded_store.get_meta("sync:incidents:checkpoint") == checkpoint
    await _sync(fake, embedded_store, options=two_days_on)
    chunks = await embedded_store.neighbours(document["id"], GraphFilter(rel_types=("HAS_CHUNK",)))
    assert [c.text for _, c in chunks] == ["Root cause\n\nAn expired certificate."]


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
async def test_an_incident_made_public_again_without_its_updated_at_moving_is_public_again(
    store: GraphStore, full: bool
) -> None:
    # Hidden by the whole listing (as by a key that lost the private role), then public again
    # with the very content the map wrote while it was public: nothing to tell it changed.
    fake = FakeIncidentIo()
    await _sync(fake, store)
    raw = next(i for i in fake.fixtures.incidents if i["visibility"] == "public" and i["mode"] == "standard")
    raw.update(visibility="private")
    await _sync(fake, store)
    assert [n.visibility for n in await store.get_nodes([raw["id"]])] == ["private"]
    raw.update(visibility="public")

    await _sync(fake, store, options=replace(OPTIONS, full=full))

    assert [n.visibility for n in await store.get_nodes([raw["id"]])] == ["public"]
    parts = await store.neighbours(raw["id"], GraphFilter(rel_types=("HAS_UPDATE", "HAS_FOLLOW_UP")))
    assert parts
    assert {n.visibility for _, n in parts} == {"public"}


async def test_a_sync_of_test_incidents_keeps_their_follow_ups(embedded_store: GraphStore) -> None:
    # Unless asked, the follow-up and action lists leave test incidents out: not there is not deleted.
    fake = FakeIncidentIo()
    with_tests = replace(OPTIONS, modes=frozenset({"standard", "retrospective", "test"}))
    test_incident = next(i for i in fake.fixtures.incidents if i["mode"] == "standard")
    test_incident["mode"] = "test"
    follow_up = next(f for f in fake.fixtures.follow_ups if f["incident_id"] == test_incident["id"])
    ctx = MappingContext(modes=with_tests.modes)
    records = [map_incident(test_incident, ctx), map_follow_up(follow_up, ctx)]
    await Loader(embedded_store, HashEmbedder()).load([r for r in records if r is not None], "incidents")

    await _sync(fake, embedded_store, options=with_tests)

    assert [n.id for n in await embedded_store.get_nodes([follow_up["id"]])] == [follow_up["id"]]
