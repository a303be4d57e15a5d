"""A build that started before an incident it cites was made private is stored hidden, on both stores.

The hide pass (``ingest.visibility.make_parts_private``) hides the investigations stored when it
runs; one built from the map as it was before and stored after must not stay readable to a
``read`` viewer by citing the incident's name, cause and fix.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from precedent.errors import NotFound
from precedent.ingest.visibility import MADE_PRIVATE_KEY, forget_made_private, make_parts_private
from precedent.investigation import get, latest_for_incident, save
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.store.meta import update_ids
from tests.investigation.test_persist import _seed, investigation

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]


async def _make_private(store: GraphStore, incident_id: str) -> None:
    """What ``IncidentWriter.hide`` does: its parts and citers first, then the incident."""
    await make_parts_private(store, incident_id)
    node = (await store.get_nodes([incident_id], with_embeddings=True))[0]
    await store.upsert_nodes([replace(node, visibility="private")])


async def _hidden_from_readers(store: GraphStore, investigation_id: str) -> None:
    with pytest.raises(NotFound):
        await get(store, investigation_id, PUBLIC_VIEWER)
    assert await latest_for_incident(store, "inc-a", PUBLIC_VIEWER) is None
    assert [n.visibility for n in await store.get_nodes([investigation_id])] == ["private"]
    assert (await get(store, investigation_id, OWNER_VIEWER)).id == investigation_id


async def test_a_build_stored_after_the_incident_it_cites_was_made_private_is_hidden(
    store: GraphStore,
) -> None:
    await _seed(store)
    built = investigation("inc-a", 0)  # cites inc-old, public while it was built
    await _make_private(store, "inc-old")
    await forget_made_private(store, ["inc-old"])  # its Slack messages were edited already
    await save(store, built)
    await _hidden_from_readers(store, built.id)


async def test_a_build_stored_while_the_incident_it_cites_is_being_made_private_is_hidden(
    store: GraphStore,
) -> None:
    await _seed(store)
    built = investigation("inc-a", 0)
    # The hide pass listed inc-old and scanned the citers (this build was not stored yet), but
    # has not yet written inc-old private: the list is what the build sees.
    await update_ids(store, MADE_PRIVATE_KEY, ["inc-old"], ())
    await save(store, built)
    await _hidden_from_readers(store, built.id)


async def test_a_build_citing_only_public_incidents_stays_public(store: GraphStore) -> None:
    await _seed(store)
    await update_ids(store, MADE_PRIVATE_KEY, ["inc-other"], ())
    built = investigation("inc-a", 0)
    await save(store, built)
    assert await get(store, built.id, PUBLIC_VIEWER) == built
