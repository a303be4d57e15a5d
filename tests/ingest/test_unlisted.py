"""``hide_unlisted`` compares the listing with the last one and with what the map holds public,
and holds back when most of it is gone at once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import pytest

from precedent.ingest.mapping import DEFAULT_MODES
from precedent.ingest.unlisted import LISTED_KEY, held_public, hide_unlisted
from precedent.model import Node
from precedent.sources.incidentio import RetryPolicy
from tests.support.incidentio_server import SERVER_NOW, FakeIncidentIo

if TYPE_CHECKING:
    from precedent.ingest.unlisted import Unlisted
    from precedent.store import GraphStore

IDS = [f"01INC{n:021d}" for n in range(40)]
# Where the map's incidents came from: a sync's listing, or only the map (an import, webhooks).
KNOWN_BY = ["last-listing", "map-only"]


def _incident(n: int, incident_id: str, mode: str = "standard") -> Node:
    props = {"reference": f"INC-{n}", "mode": mode}
    return Node(incident_id, "Incident", props, occurred_at=SERVER_NOW - timedelta(hours=n))


async def _hide_when_listed(
    store: GraphStore, listed: list[str], known_by: str
) -> tuple[Unlisted, FakeIncidentIo]:
    """The map holds ``IDS``, all public (and the last sync listed them, if ``known_by`` says so);
    this sync lists ``listed``."""
    await store.upsert_nodes([_incident(n, i) for n, i in enumerate(IDS)])
    if known_by == "last-listing":
        await store.set_meta(LISTED_KEY, json.dumps(IDS))
    held = await held_public(store, DEFAULT_MODES)
    fake = FakeIncidentIo(sees_private=False)
    async with fake.client(retry=RetryPolicy(max_attempts=1)) as client:
        return await hide_unlisted(client, store, listed, held=held, concurrency=2), fake


@pytest.mark.parametrize("known_by", KNOWN_BY)
async def test_a_listing_mostly_gone_at_once_hides_nothing_and_says_why(
    store: GraphStore, known_by: str
) -> None:
    # A key of another organisation (or one that lost a role) is shown none of these: making
    # the whole map private would hide everything responders need, for a configuration mistake.
    unlisted, fake = await _hide_when_listed(store, IDS[:5], known_by)

    assert unlisted.hidden == []
    assert unlisted.held_back is not None
    assert unlisted.held_back.startswith("35 of the 40 incidents the last sync listed")
    assert "PRECEDENT_INCIDENTIO_API_KEY" in unlisted.held_back
    assert fake.requests == []
    assert {n.visibility for n in await store.get_nodes(IDS)} == {"public"}
    # Not recorded: the next sync compares against the same listing, and says so again.
    saved = await store.get_meta(LISTED_KEY)
    assert (json.loads(saved) if saved else None) == (IDS if known_by == "last-listing" else None)


@pytest.mark.parametrize("known_by", KNOWN_BY)
async def test_a_few_gone_are_fetched_and_hidden_when_unreadable(store: GraphStore, known_by: str) -> None:
    # Map-only: imported, or written by a webhook, then made private before any sync listed them.
    unlisted, _ = await _hide_when_listed(store, IDS[3:], known_by)

    assert unlisted.hidden == IDS[:3]
    assert unlisted.held_back is None
    assert [n.visibility for n in await store.get_nodes(IDS[:4])] == ["private"] * 3 + ["public"]


async def test_the_map_s_incidents_of_modes_not_synced_are_not_compared(store: GraphStore) -> None:
    # The listing is filtered to the modes synced: a test incident would always seem gone from it.
    await store.upsert_nodes([_incident(0, IDS[0]), _incident(1, IDS[1], mode="test")])
    await store.upsert_nodes(
        [Node(IDS[2], "Incident", _incident(2, IDS[2]).properties, visibility="private")]
    )

    assert await held_public(store, DEFAULT_MODES) == {IDS[0]}


class _IdsOnly:
    """The store, refusing to list whole nodes: the comparison needs the incidents' ids only."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def list_nodes(self, *args: object, **kwargs: object) -> list[Node]:
        raise AssertionError("read every public incident whole, text and properties, for its id")


async def test_the_map_s_public_incidents_are_read_as_ids_only(store: GraphStore) -> None:
    await store.upsert_nodes([_incident(n, i) for n, i in enumerate(IDS)])
    assert await held_public(cast("GraphStore", _IdsOnly(store)), DEFAULT_MODES) == set(IDS)
