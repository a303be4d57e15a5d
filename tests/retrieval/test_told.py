"""What responders told in status updates, read for many incidents at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.model import Edge, Node
from precedent.retrieval.told import told_in_updates

if TYPE_CHECKING:
    from precedent.store import GraphStore

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _incident(incident_id: str, updates: list[Node]) -> tuple[list[Node], list[Edge]]:
    stamps = {
        "identified_at": (START + timedelta(minutes=30)).isoformat(),
        "fixed_at": (START + timedelta(minutes=50)).isoformat(),
    }
    nodes = [Node(incident_id, "Incident", {"name": "auth-api slow", **stamps}, START), *updates]
    return nodes, [Edge(incident_id, "HAS_UPDATE", u.id) for u in updates]


async def test_an_incident_with_many_updates_does_not_crowd_out_another_s(embedded_store: GraphStore) -> None:
    # The updates were read through one walk capped at 201 nodes per incident in all: an incident
    # with hundreds of updates filled it, and another's, sorting after them by id, were left out.
    chatty = [
        Node(f"a-{n:03}", "IncidentUpdate", {"message": "Still looking."}, START + timedelta(minutes=1))
        for n in range(450)
    ]
    told = [
        Node(
            "z-1",
            "IncidentUpdate",
            {"message": "Identified: the node pool max was too low."},
            START + timedelta(minutes=30),
        ),
        Node("z-2", "IncidentUpdate", {"message": "We added nodes manually."}, START + timedelta(minutes=50)),
    ]
    for nodes, edges in (_incident("inc-a", chatty), _incident("inc-b", told)):
        await embedded_store.upsert_nodes(nodes)
        await embedded_store.upsert_edges(edges)
    said = await told_in_updates(embedded_store, ["inc-a", "inc-b"], ("public",))
    assert said["inc-b"] == ("the node pool max was too low.", "We added nodes manually.")
    assert said["inc-a"] == (None, None)
