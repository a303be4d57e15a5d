"""What counts as a change to an incident that its investigation must be built again for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from precedent.embedding import HashEmbedder
from precedent.webhooks import IncidentWriter
from tests.webhooks.payloads import INCIDENT_ID, incident

if TYPE_CHECKING:
    from precedent.store import GraphStore


def update(n: int, message: str) -> dict[str, Any]:
    """An ``IncidentUpdateV2`` as incident.io lists it, ``n`` minutes after 10:00."""
    return {
        "id": f"upd-{n}",
        "incident_id": INCIDENT_ID,
        "message": message,
        "created_at": f"2026-12-02T10:{n:02d}:00Z",
        "new_incident_status": {"name": "Investigating", "category": "live"},
    }


async def test_the_first_updates_arriving_rebuild_the_investigation_and_later_ones_do_not(
    store: GraphStore,
) -> None:
    # A live incident is posed from its name and first updates: the first update usually says what
    # is failing ("checkout 500s: payments-db connections exhausted") where the name did not, so
    # the precedents found at the declaration, from the name alone, were never looked for again.
    writer = IncidentWriter(store, HashEmbedder(dimensions=384))
    declared = await writer.write(incident(), updates=[])
    assert declared.material
    first = update(5, "payments-db connections exhausted; checkout answers 500")
    said = await writer.write(incident(updated_at="2026-12-02T10:05:00Z"), updates=[first])
    assert said.material
    second = update(9, "failing over payments-db to the replica")
    assert (await writer.write(incident(updated_at="2026-12-02T10:09:00Z"), updates=[first, second])).material
    # A third update changes nothing the query reads, nor does a delivery without fetched updates.
    third = update(14, "the replica is serving; monitoring")
    later = await writer.write(incident(updated_at="2026-12-02T10:14:00Z"), updates=[first, second, third])
    assert not later.material
    assert not (await writer.write(incident(updated_at="2026-12-02T10:15:00Z"), updates=None)).material
