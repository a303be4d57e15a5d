"""Stored investigations and recorded changes answer alike on both stores (a contract of the layer)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import pytest

from precedent.errors import NotFound
from precedent.ingest.changes import ChangeRecord, ChangeRecorder, link_pending_changes, pending_changes
from precedent.investigation import (
    InvestigatedIncident,
    Investigation,
    MapState,
    Precedent,
    Standing,
    get,
    investigation_id,
    latest_for_incident,
    latest_per_incident,
    list_recent,
    save,
    standing,
)
from precedent.investigation.changes import changes_for_service
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Edge, GraphFilter, Node
from tests.investigation.org import map_collaborators
from tests.support.counted_reads import CountedReads

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def investigation(incident_id: str, minutes: int, visibility: str = "public") -> Investigation:
    built = T0 + timedelta(minutes=minutes)
    incident = InvestigatedIncident(
        incident_id,
        incident_id.upper(),
        f"Incident {incident_id}",
        "",
        None,
        None,
        None,
        T0,
        visibility,  # type: ignore[arg-type]
        None,
        ("svc-a",),
        ("a",),
        (),
    )
    precedent = Precedent(
        "inc-old",
        "INC-OLD",
        "Old",
        0.5,
        T0 - timedelta(days=3),
        "A deploy",
        None,
        None,
        (),
        None,
        (),
        (),
        0,
        True,
    )
    return Investigation(
        id=investigation_id(incident_id, built),
        incident=incident,
        hypotheses=(),
        similar=(precedent,),
        services=(),
        changes=(),
        follow_ups=(),
        summary_markdown="*x*",
        built_at=built,
        build_ms=12.5,
        map_state=MapState(3, 0, 1, None),
        change_window_hours=24.0,
    )


async def _seed(store: GraphStore) -> None:
    await store.upsert_nodes(
        [
            Node("inc-a", "Incident", {"reference": "INC-A"}, T0),
            Node("inc-p", "Incident", {"reference": "INC-P"}, T0, "private"),
            Node("inc-old", "Incident", {"reference": "INC-OLD"}, T0 - timedelta(days=3)),
            Node("svc-a", "Service", {"name": "payments-api", "aliases": ["payments"]}),
        ]
    )


async def test_save_links_the_incident_and_precedents_and_reads_back(store: GraphStore) -> None:
    await _seed(store)
    first, second = investigation("inc-a", 0), investigation("inc-a", 5)
    await save(store, first)
    await save(store, second)
    assert await get(store, first.id, PUBLIC_VIEWER) == first
    assert await latest_for_incident(store, "inc-a", PUBLIC_VIEWER) == second
    links = await store.neighbours(second.id, GraphFilter(direction="out"))
    assert sorted((e.type, n.id) for e, n in links) == [("INVESTIGATES", "inc-a"), ("SUGGESTS", "inc-old")]
    node = (await store.get_nodes([second.id]))[0]
    assert node.occurred_at == second.built_at
    assert node.properties["build_ms"] == 12.5
    assert node.properties["map_incidents"] == 3


async def test_listing_pages_newest_first_and_hides_private_investigations(store: GraphStore) -> None:
    await _seed(store)
    for n, (incident, visibility) in enumerate(
        [("inc-a", "public"), ("inc-p", "private"), ("inc-a", "public")]
    ):
        await save(store, investigation(incident, n, visibility))
    public = await list_recent(map_collaborators(store), PUBLIC_VIEWER, limit=1)
    assert [i.built_at for i in public.items] == [T0 + timedelta(minutes=2)]
    rest = await list_recent(map_collaborators(store), PUBLIC_VIEWER, cursor=public.next_cursor, limit=5)
    assert [i.built_at for i in rest.items] == [T0]
    assert rest.next_cursor is None
    everything = await list_recent(map_collaborators(store), OWNER_VIEWER, limit=10)
    assert [i.incident.id for i in everything.items] == ["inc-a", "inc-p", "inc-a"]
    private_id = everything.items[1].id
    with pytest.raises(NotFound):
        await get(store, private_id, PUBLIC_VIEWER)
    assert await latest_for_incident(store, "inc-p", PUBLIC_VIEWER) is None
    assert await latest_for_incident(store, "inc-p", OWNER_VIEWER) == everything.items[1]


async def test_listing_pages_past_many_private_builds_with_a_few_reads(store: GraphStore) -> None:
    # A read token's listing passed over private builds for free; drawing hidden builds again
    # must not cost it a read for each private one it passes.
    await _seed(store)
    private = [
        Node(f"inc-p{n:03d}", "Incident", {"reference": f"INC-P{n}"}, T0, "private") for n in range(90)
    ]
    await store.upsert_nodes(private)
    for n, node in enumerate(private):
        await save(store, investigation(node.id, n + 1, "private"))
    public = [investigation("inc-a", 0), investigation("inc-a", 200)]
    for built in public:
        await save(store, built)
    counted = CountedReads(store)
    collaborators = map_collaborators(cast("GraphStore", counted))

    first = await list_recent(collaborators, PUBLIC_VIEWER, limit=1)
    rest = await list_recent(collaborators, PUBLIC_VIEWER, cursor=first.next_cursor, limit=1)

    assert [i.id for i in (*first.items, *rest.items)] == [public[1].id, public[0].id]
    assert (first.next_cursor is not None, rest.next_cursor) == (True, None)
    assert counted.reads <= 4  # two batches of builds, each page
    owner = await list_recent(collaborators, OWNER_VIEWER, limit=100)
    assert len(owner.items) == 92


async def test_each_incident_is_listed_once_by_its_latest_build_with_its_earlier_ones_counted(
    store: GraphStore,
) -> None:
    await _seed(store)
    for n, (incident, visibility) in enumerate(
        [("inc-a", "public"), ("inc-p", "private"), ("inc-a", "public"), ("inc-a", "public")]
    ):
        await save(store, investigation(incident, n, visibility))
    everyone = await latest_per_incident(map_collaborators(store), OWNER_VIEWER)
    assert [(b.investigation.incident.id, b.investigation.built_at, b.earlier) for b in everyone] == [
        ("inc-a", T0 + timedelta(minutes=3), 2),
        ("inc-p", T0 + timedelta(minutes=1), 0),
    ]
    assert [
        b.investigation.incident.id
        for b in await latest_per_incident(map_collaborators(store), PUBLIC_VIEWER)
    ] == ["inc-a"]
    assert len(await latest_per_incident(map_collaborators(store), OWNER_VIEWER, limit=1)) == 1


async def test_an_earlier_build_names_the_latest_and_one_built_on_the_spot_stands_alone(
    store: GraphStore,
) -> None:
    await _seed(store)
    first, second = investigation("inc-a", 0), investigation("inc-a", 5)
    assert await standing(store, first, PUBLIC_VIEWER) == Standing()
    await save(store, first)
    await save(store, second)
    assert await standing(store, first, PUBLIC_VIEWER) == Standing(second.id, second.built_at)
    assert await standing(store, second, PUBLIC_VIEWER) == Standing()


async def test_a_change_is_recorded_once_per_client_id_and_linked_to_its_service(store: GraphStore) -> None:
    await _seed(store)
    recorder = ChangeRecorder(store)
    record = ChangeRecord("payments", "deploy", T0, version="1.0", author="ci", id="run-1", labels=("prod",))
    first = await recorder.record(record)
    again = await recorder.record(replace(record, summary="Retried"))
    assert (first.id, first.service_id, first.created, again.created) == (
        "change:run-1",
        "svc-a",
        True,
        False,
    )
    (change,) = await changes_for_service(store, (await store.get_nodes(["svc-a"]))[0])
    assert (change.id, change.kind, change.version, change.summary, change.source) == (
        "change:run-1",
        "deploy",
        "1.0",
        "Retried",
        "api",
    )
    node = (await store.get_nodes([first.id], with_embeddings=True))[0]
    assert node.embedding is None  # nothing reads a change's vector
    assert node.properties["labels"] == ["prod"]


async def test_a_change_to_an_unknown_service_is_linked_when_the_service_appears(store: GraphStore) -> None:
    recorder = ChangeRecorder(store)
    recorded = await recorder.record(ChangeRecord("ledger", "config", T0))
    assert not recorded.linked
    assert [n.id for n in await pending_changes(store, "Ledger")] == [recorded.id]
    assert await link_pending_changes(store) == 0  # still unknown
    await store.upsert_nodes([Node("svc-ledger", "Service", {"name": "ledger"})])
    assert await link_pending_changes(store) == 1
    links = await store.neighbours(recorded.id, GraphFilter(rel_types=("CHANGED",)))
    assert [(e.target) for e, _ in links] == ["svc-ledger"]
    assert await pending_changes(store, "ledger") == []
    assert await link_pending_changes(store) == 0


async def test_changes_recorded_at_once_to_unknown_services_are_all_linked_later(store: GraphStore) -> None:
    # The API makes one recorder per request, and CI jobs (or `precedent changes record` beside
    # a Neo4j server) record at once: none may drop another's place in the pending list.
    names = [f"ledger-{i}" for i in range(6)]
    recorded = await asyncio.gather(
        *(ChangeRecorder(store).record(ChangeRecord(name, "deploy", T0)) for name in names)
    )
    await store.upsert_nodes([Node(f"svc-{name}", "Service", {"name": name}) for name in names])
    assert await link_pending_changes(store) == len(names)
    for change in recorded:
        links = await store.neighbours(change.id, GraphFilter(rel_types=("CHANGED",)))
        assert [e.target for e, _ in links] == [f"svc-{change.service_name}"]


async def test_changes_recorded_without_an_id_are_idempotent_on_their_content(store: GraphStore) -> None:
    await _seed(store)
    recorder = ChangeRecorder(store)
    record = ChangeRecord("svc-a", "feature_flag", T0, summary="Enable new checkout")
    assert (await recorder.record(record)).id == (await recorder.record(record)).id
    await store.upsert_edges([Edge("inc-a", "AFFECTS", "svc-a")])
    assert len(await changes_for_service(store, (await store.get_nodes(["svc-a"]))[0])) == 1
