from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from precedent.errors import NotFound
from precedent.model import OWNER_VIEWER, Node
from precedent.retrieval.catalog import Catalog

if TYPE_CHECKING:
    from precedent.store import GraphStore


def _incident(incident_id: str, reference: str) -> Node:
    return Node(
        incident_id,
        "Incident",
        {"reference": reference, "name": reference},
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_long_lived_catalog_sees_incidents_added_later(embedded_store: GraphStore) -> None:
    clock = _Clock()
    catalog = Catalog(embedded_store, refresh_after=30, clock=clock)
    await embedded_store.upsert_nodes([_incident("inc-1", "INC-1")])
    assert (await catalog.incident("INC-1", OWNER_VIEWER)).id == "inc-1"

    await embedded_store.upsert_nodes([_incident("inc-2", "INC-2")])
    with pytest.raises(NotFound):
        await catalog.incident("INC-2", OWNER_VIEWER)  # the index is fresh: no rebuild on every miss

    clock.now = 31
    assert (await catalog.incident("INC-2", OWNER_VIEWER)).id == "inc-2"
