"""An investigation's header says what was known at the declaration, never the final write-up or status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.cli.demo_scenario import declare_repeat
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.investigation import Collaborators, build_investigation
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.retrieval import DescribedQuery, IncidentQuery, SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog
from precedent.sources.synthetic import generate
from precedent.webhooks import IncidentWriter

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.investigation import Investigation
    from precedent.store import GraphStore

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
STARTED = NOW - timedelta(days=30)
RESOLVED = STARTED + timedelta(hours=2)
FIRST = "We are investigating reports of degraded performance for Git Operations."
WRITEUP = (
    "On May 2 a configuration change to our load balancers exhausted connection slots; we rolled "
    "it back and added a capacity check to the deploy pipeline."
)


async def _investigate(store: GraphStore, query: IncidentQuery | DescribedQuery) -> Investigation:
    embedder = HashEmbedder()
    collaborators = Collaborators(
        store, SimilarIncidentFinder(store, embedder), Catalog(store), clock=lambda: NOW
    )
    return await build_investigation(query, collaborators, OWNER_VIEWER)


async def _history(
    store: GraphStore,
    updates: list[tuple[str, datetime, str, str]],
    severities: dict[str, str] | None = None,
    **props: str,
) -> None:
    # A public status page's incident as the converter writes it: resolved, its last update the write-up.
    incident = Node(
        "inc-1",
        "Incident",
        {
            "reference": "INC-1",
            "name": "Disruption with Git Operations",
            "status": "Closed",
            "status_category": "closed",
            **props,
        },
        STARTED,
        text="Disruption with Git Operations",
    )
    nodes = [incident] + [
        Node(
            i,
            "IncidentUpdate",
            {"message": m, "new_status": status}
            | ({"new_severity": severities[i]} if severities and i in severities else {}),
            at,
            text=m,
        )
        for i, at, m, status in updates
    ]
    await store.upsert_nodes(nodes)
    await store.upsert_edges([Edge("inc-1", "HAS_UPDATE", i) for i, *_ in updates])


async def test_a_replayed_history_shows_its_first_update_not_its_write_up(embedded_store: GraphStore) -> None:
    resolved = RESOLVED.isoformat()
    updates = [("u-1", STARTED, FIRST, "Investigating"), ("u-2", RESOLVED, WRITEUP, "Resolved")]
    await _history(embedded_store, updates, resolved_at=resolved, summary=WRITEUP)
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.summary == FIRST
    # Its status then, not where it ended ("Closed") nor the resolving update's.
    assert header.status == "Investigating"


async def test_a_history_whose_only_update_is_the_write_up_shows_no_summary(
    embedded_store: GraphStore,
) -> None:
    # A retroactive status-page incident: one "resolved" update holding the whole write-up.
    await _history(
        embedded_store,
        [("u-1", RESOLVED, WRITEUP, "Resolved")],
        resolved_at=RESOLVED.isoformat(),
        summary=WRITEUP,
    )
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.summary == ""
    assert header.status is None  # unknown, rather than the outcome


async def test_without_a_resolution_time_a_closed_incident_never_shows_its_final_status(
    embedded_store: GraphStore,
) -> None:
    # Every update passes the "before it was resolved" test, the closing one included.
    updates = [("u-1", STARTED, "Monitoring a fix", "Monitoring"), ("u-2", RESOLVED, "Done", "Closed")]
    await _history(embedded_store, updates)
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.status == "Monitoring"
    await _history(embedded_store, [("u-1", STARTED, "All done", "Closed")])
    await embedded_store.delete_nodes(["u-2"])
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.status is None


async def test_a_replayed_history_shows_its_severity_at_the_declaration_not_a_later_escalation(
    embedded_store: GraphStore,
) -> None:
    escalated = STARTED + timedelta(hours=1)
    updates = [
        ("u-1", STARTED, FIRST, "Investigating"),
        ("u-2", escalated, "Worse than we thought", "Investigating"),
        ("u-3", RESOLVED, WRITEUP, "Resolved"),
    ]
    severities = {"u-1": "Minor", "u-2": "Critical", "u-3": "Critical"}
    await _history(embedded_store, updates, severities, resolved_at=RESOLVED.isoformat(), severity="Critical")
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.severity == "Minor"


async def test_a_resolved_incident_with_no_recorded_severity_hides_its_final_one(
    embedded_store: GraphStore,
) -> None:
    updates = [("u-1", STARTED, FIRST, "Investigating"), ("u-2", RESOLVED, WRITEUP, "Resolved")]
    await _history(embedded_store, updates, resolved_at=RESOLVED.isoformat(), severity="Critical")
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.severity is None  # unknown, rather than perhaps an escalation


async def test_an_open_incident_shows_its_severity_now_when_no_update_recorded_one(
    embedded_store: GraphStore,
) -> None:
    await _history(
        embedded_store,
        [("u-1", STARTED, FIRST, "Investigating")],
        status="Investigating",
        status_category="active",
        severity="Major",
    )
    header = (await _investigate(embedded_store, IncidentQuery("INC-1"))).incident
    assert header.severity == "Major"


async def test_the_demo_incident_shows_what_was_said_when_it_was_declared(
    embedded_store: GraphStore, tmp_path: Path
) -> None:
    # The demo's path: a generated history, then INC-61 declared by webhook (no update yet).
    export = tmp_path / "export"
    generate(export, incidents=60, seed=7, end_at=NOW)
    embedder = HashEmbedder()
    await import_export(export, Loader(embedded_store, embedder))
    declared = declare_repeat(export, now=NOW)
    await IncidentWriter(embedded_store, embedder).write(declared.payload, None)
    header = (await _investigate(embedded_store, IncidentQuery(declared.reference))).incident
    assert header.summary == declared.payload["summary"] == "Declared by the demo; responders are looking."
    # Still open, with no update yet: its status now is its status at the declaration.
    assert header.status == declared.payload["incident_status"]["name"]
    # The incident it repeats, replayed: its first update, whatever it says now.
    repeated = (await _investigate(embedded_store, IncidentQuery(declared.repeats))).incident
    [node] = await embedded_store.get_nodes([repeated.id or ""])
    assert repeated.summary
    assert repeated.summary != node.properties.get("summary")
    assert repeated.summary in (node.text or "")
    assert node.properties["status_category"] in {"learning", "closed"}  # over: where it ended
    assert repeated.status
    assert repeated.status != node.properties["status"]


async def test_a_described_incident_shows_the_summary_given(embedded_store: GraphStore) -> None:
    described = DescribedQuery(name="Checkout failing", summary="  500s on checkout since 11:50  ")
    header = (await _investigate(embedded_store, described)).incident
    assert header.summary == "500s on checkout since 11:50"
    assert header.status is None
