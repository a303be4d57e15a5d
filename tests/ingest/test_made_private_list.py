"""The map's list of incidents made private stays as long as some Slack message may still name them.

It lists an incident made private so that a process with Slack edits the posted messages citing
it (``notify.CitationEdits``). On a deployment without Slack nothing works that list: an incident
whose citers have no message must not be left on it, or it grows with every incident made private.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.ingest.visibility import (
    any_made_private,
    forget_unmessaged,
    hide_parts_of_incidents_made_private,
    made_private,
    make_incident_private,
)
from precedent.investigation import save
from precedent.model import Node
from precedent.notify import MessageRecord, MessageRecords
from tests.investigation.test_persist import investigation

if TYPE_CHECKING:
    from precedent.store import GraphStore


async def _cited_by_inc_1(store: GraphStore) -> None:
    """``inc-old`` public, and ``inc-1``'s stored investigation citing it as a precedent."""
    await store.upsert_nodes([Node("inc-old", "Incident", {"reference": "INC-OLD"}, visibility="public")])
    await save(store, investigation("inc-1", 5))


async def _written_private(store: GraphStore) -> None:
    """What an import or sync does: hide the parts first, then write the incident private."""
    await hide_parts_of_incidents_made_private(store, {"inc-old": "private"})
    [old] = await store.get_nodes(["inc-old"])
    await store.upsert_nodes([replace(old, visibility="private")])


async def test_an_incident_still_public_stays_listed_for_the_builds_in_flight(store: GraphStore) -> None:
    # Between hiding the parts and writing the incident private, a build that read it while
    # public learns it is being hidden only from the list: taking it off there would store the
    # build public, citing it.
    await _cited_by_inc_1(store)

    await hide_parts_of_incidents_made_private(store, {"inc-old": "private"})
    await forget_unmessaged(store)

    assert await made_private(store) == ["inc-old"]
    assert await any_made_private(store, ["inc-old"])


async def test_an_incident_no_posted_message_cites_is_not_left_listed(store: GraphStore) -> None:
    await _cited_by_inc_1(store)
    await _written_private(store)

    await forget_unmessaged(store)

    assert await made_private(store) == []


async def test_an_incident_made_private_by_an_event_is_not_left_listed(store: GraphStore) -> None:
    await _cited_by_inc_1(store)

    assert await make_incident_private(store, "inc-old")
    await forget_unmessaged(store)  # what the event's handler and a sync run after it

    assert await made_private(store) == []


async def test_an_incident_a_posted_message_cites_stays_listed_for_the_edit(store: GraphStore) -> None:
    await _cited_by_inc_1(store)
    posted = MessageRecord("C0INCIDENT1", "1700000000.000100", investigation("inc-1", 5).built_at)
    await store.set_meta(MessageRecords.key("inc-1"), posted.dumps())
    await _written_private(store)

    await forget_unmessaged(store)

    assert await made_private(store) == ["inc-old"]
