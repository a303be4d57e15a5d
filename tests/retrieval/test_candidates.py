"""Graph candidates on both stores: a busy service yields its newest incidents, not its oldest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.model import Edge, Node
from precedent.retrieval.candidates import Limits, graph_hits, service_neighbourhood
from precedent.retrieval.query import PosedQuery

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]

START = datetime(2025, 1, 1, tzinfo=UTC)
CUTOFF = START + timedelta(days=30)


def posed(exclude: frozenset[str] = frozenset()) -> PosedQuery:
    return PosedQuery(
        incident_id=None,
        reference=None,
        name="checkout is slow",
        text="checkout is slow",
        service_ids=("svc-busy",),
        service_names=("busy",),
        unknown_services=(),
        severity=None,
        incident_type=None,
        declared_at=CUTOFF,
        before=CUTOFF,
        visibilities=("public",),
        exclude=exclude,
    )


@pytest.fixture
async def busy(store: GraphStore) -> GraphStore:
    """One service with 12 incidents a day apart (ids in time order, as incident.io's are) and
    one after the cutoff, plus a quiet dependency with one incident."""
    incidents = [
        Node(f"inc-{day:02d}", "Incident", occurred_at=START + timedelta(days=day)) for day in range(12)
    ]
    later = Node("inc-later", "Incident", occurred_at=CUTOFF + timedelta(days=1))
    quiet = Node("inc-quiet", "Incident", occurred_at=START)
    await store.upsert_nodes(
        [
            Node("svc-busy", "Service", {"name": "busy"}),
            Node("svc-quiet", "Service", {"name": "quiet"}),
            *incidents,
            later,
            quiet,
        ]
    )
    await store.upsert_edges(
        [Edge(n.id, "AFFECTS", "svc-busy") for n in [*incidents, later]]
        + [Edge("inc-quiet", "AFFECTS", "svc-quiet"), Edge("svc-busy", "DEPENDS_ON", "svc-quiet")]
    )
    return store


async def test_a_busy_service_contributes_its_most_recent_incidents(busy: GraphStore) -> None:
    limits = Limits(same_service=5)
    query = posed()
    hood = await service_neighbourhood(busy, query, 2, limits)
    hits = await graph_hits(busy, query, hood, limits)
    # The newest five before the cutoff from the busy service, and the nearby service's one.
    assert hits.incidents == {"inc-11", "inc-10", "inc-09", "inc-08", "inc-07", "inc-quiet"}
    assert hits.per_service == {"svc-busy": 5, "svc-quiet": 1}


async def test_excluded_incidents_leave_room_for_the_next_newest(busy: GraphStore) -> None:
    limits = Limits(same_service=3, nearby=0)
    query = posed(exclude=frozenset({"inc-11"}))
    hood = await service_neighbourhood(busy, query, 2, limits)
    hits = await graph_hits(busy, query, hood, limits)
    assert hits.incidents == {"inc-10", "inc-09", "inc-08"}
