"""Paging a service's incidents when many started at one instant, and under a sparse status filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.browse import service_incidents
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.retrieval import Catalog

if TYPE_CHECKING:
    from precedent.store import GraphStore

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


async def test_pages_never_repeat_or_skip_incidents_that_started_together(embedded_store: GraphStore) -> None:
    store = embedded_store
    # 9 incidents at one instant, 6 spread before it; every third one still open.
    times = [T0] * 9 + [T0 - timedelta(hours=h) for h in range(1, 7)]
    incidents = [
        Node(
            f"inc-{i:02d}",
            "Incident",
            {"name": f"incident {i}", "status_category": "live" if i % 3 == 0 else "closed"},
            occurred_at=at,
        )
        for i, at in enumerate(times)
    ]
    await store.upsert_nodes([Node("svc", "Service", {"name": "api"}), *incidents])
    await store.upsert_edges([Edge(n.id, "AFFECTS", "svc") for n in incidents])
    expected = [n.id for n in sorted(incidents, key=lambda n: (-n.occurred_at.timestamp(), n.id))]  # type: ignore[union-attr]

    for status, wanted in ((None, expected), ("open", [i for i in expected if int(i[-2:]) % 3 == 0])):
        seen: list[str] = []
        cursor = None
        while True:
            page = await service_incidents(
                store,
                Catalog(store),
                OWNER_VIEWER,
                "api",
                status=status,
                limit=2,
                cursor=cursor,
                now=T0 + timedelta(days=1),
            )
            seen += [b.id for b in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == wanted
