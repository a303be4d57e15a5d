"""``hide_unlisted`` holds back when most of the last listing is gone at once."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from precedent.ingest.unlisted import LISTED_KEY, hide_unlisted
from precedent.model import Node
from precedent.sources.incidentio import RetryPolicy
from tests.support.incidentio_server import FakeIncidentIo

if TYPE_CHECKING:
    from precedent.ingest.unlisted import Unlisted
    from precedent.store import GraphStore

IDS = [f"01INC{n:021d}" for n in range(40)]


async def _hide_when_listed(store: GraphStore, listed: list[str]) -> tuple[Unlisted, FakeIncidentIo]:
    """The last sync listed ``IDS``, all public in the map; this one lists ``listed``."""
    await store.upsert_nodes([Node(i, "Incident", {"reference": f"INC-{n}"}) for n, i in enumerate(IDS)])
    await store.set_meta(LISTED_KEY, json.dumps(IDS))
    fake = FakeIncidentIo(sees_private=False)
    async with fake.client(retry=RetryPolicy(max_attempts=1)) as client:
        return await hide_unlisted(client, store, listed, concurrency=2), fake


async def test_a_listing_mostly_gone_at_once_hides_nothing_and_says_why(store: GraphStore) -> None:
    # A key of another organisation (or one that lost a role) is shown none of these: making
    # the whole map private would hide everything responders need, for a configuration mistake.
    unlisted, fake = await _hide_when_listed(store, IDS[:5])

    assert unlisted.hidden == []
    assert unlisted.held_back is not None
    assert unlisted.held_back.startswith("35 of the 40 incidents the last sync listed")
    assert "PRECEDENT_INCIDENTIO_API_KEY" in unlisted.held_back
    assert fake.requests == []
    assert {n.visibility for n in await store.get_nodes(IDS)} == {"public"}
    # Not recorded: the next sync compares against the same listing, and says so again.
    assert json.loads(await store.get_meta(LISTED_KEY) or "[]") == IDS


async def test_a_few_gone_are_fetched_and_hidden_when_unreadable(store: GraphStore) -> None:
    unlisted, _ = await _hide_when_listed(store, IDS[3:])

    assert unlisted.hidden == IDS[:3]
    assert unlisted.held_back is None
    assert [n.visibility for n in await store.get_nodes(IDS[:4])] == ["private"] * 3 + ["public"]
