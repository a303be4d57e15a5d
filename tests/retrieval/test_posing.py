"""A replay ranks on what was known at the declaration, on both stores: the updates posted before
the resolution and the severity as declared, never the resolution update or a later escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.model import Edge, Node
from precedent.responses import SimilarResponse
from precedent.retrieval import IncidentQuery, SimilarIncidentFinder, SimilarOptions

if TYPE_CHECKING:
    from precedent.retrieval import PosedQuery
    from precedent.store import GraphStore

STARTED = datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
RESOLVED = STARTED + timedelta(hours=2)
NAME = "Disruption with Git Operations"
SYMPTOM = "We are investigating reports of degraded performance for Git Operations."
WRITEUP = "A load balancer change exhausted connection slots; we rolled it back."

Update = tuple[datetime, str, str, str | None]
"""When, message, status it set, severity it recorded."""


async def _incident(store: GraphStore, updates: list[Update], **props: str) -> None:
    incident = Node("inc-1", "Incident", {"reference": "INC-1", "name": NAME, **props}, STARTED, text=NAME)
    nodes = [incident] + [
        Node(
            f"u-{i}",
            "IncidentUpdate",
            {"incident_id": "inc-1", "message": message, "new_status": status}
            | ({"new_severity": severity} if severity else {}),
            at,
            text=message,
        )
        for i, (at, message, status, severity) in enumerate(updates)
    ]
    await store.upsert_nodes(nodes)
    await store.upsert_edges([Edge("inc-1", "HAS_UPDATE", f"u-{i}") for i in range(len(updates))])


def _resolved(severity: str = "Critical") -> dict[str, str]:
    return {
        "status": "Closed",
        "status_category": "closed",
        "resolved_at": RESOLVED.isoformat(),
        "severity": severity,
    }


async def _pose(store: GraphStore) -> PosedQuery:
    return await SimilarIncidentFinder(store, HashEmbedder()).pose(IncidentQuery("INC-1"), SimilarOptions())


async def test_a_replay_is_posed_from_the_updates_before_its_resolution(store: GraphStore) -> None:
    updates: list[Update] = [
        (STARTED, SYMPTOM, "Investigating", None),
        (RESOLVED, WRITEUP, "Resolved", None),
    ]
    await _incident(store, updates, **_resolved())
    assert (await _pose(store)).text == f"{NAME}\n{SYMPTOM}"


async def test_a_replay_whose_only_update_is_its_resolution_is_posed_from_its_name(store: GraphStore) -> None:
    # A public status page's retroactive incident: one "resolved" update, the whole write-up.
    await _incident(store, [(RESOLVED, WRITEUP, "Resolved", None)], **_resolved())
    assert (await _pose(store)).text == NAME


async def test_a_merged_duplicate_without_a_resolution_time_hides_its_merge(store: GraphStore) -> None:
    # The update that ended it ("merging into INC-…") names the answer.
    updates: list[Update] = [
        (STARTED, SYMPTOM, "Investigating", None),
        (STARTED + timedelta(minutes=5), "Duplicate of INC-0; merging.", "Merged", None),
    ]
    await _incident(store, updates, status="Merged", status_category="merged")
    assert (await _pose(store)).text == f"{NAME}\n{SYMPTOM}"


async def test_a_replay_ranks_on_the_severity_declared_not_a_later_escalation(store: GraphStore) -> None:
    updates: list[Update] = [
        (STARTED, SYMPTOM, "Investigating", "Minor"),
        (STARTED + timedelta(hours=1), "Worse than we thought", "Investigating", "Critical"),
        (RESOLVED, WRITEUP, "Resolved", "Critical"),
    ]
    await _incident(store, updates, **_resolved("Critical"))
    finder = SimilarIncidentFinder(store, HashEmbedder())
    # What ranking reads, and what the similar-incidents API shows as the query ranking saw.
    answer = await finder.find(IncidentQuery("INC-1"), SimilarOptions())
    assert answer.query.severity == "Minor"
    assert SimilarResponse.from_results(answer).query.severity == "Minor"


async def test_a_replay_without_a_recorded_severity_ranks_without_one(store: GraphStore) -> None:
    # Its severity now may be an escalation nobody recorded: unknown, not perhaps the outcome.
    updates: list[Update] = [
        (STARTED, SYMPTOM, "Investigating", None),
        (RESOLVED, WRITEUP, "Resolved", None),
    ]
    await _incident(store, updates, **_resolved("Critical"))
    assert (await _pose(store)).severity is None


async def test_a_live_incident_is_posed_from_its_first_updates_and_severity_now(store: GraphStore) -> None:
    updates: list[Update] = [
        (STARTED, SYMPTOM, "Investigating", None),
        (STARTED + timedelta(minutes=20), "Still looking", "Investigating", None),
        (STARTED + timedelta(minutes=40), "Found it", "Identified", None),
    ]
    await _incident(store, updates, status="Identified", status_category="active", severity="Major")
    posed = await _pose(store)
    assert posed.text == f"{NAME}\n{SYMPTOM}\nStill looking"
    assert posed.severity == "Major"
