"""A message posted while an incident it names is made private ends up not naming it, on both stores.

The worker posts in the background, after the build is stored. The hide pass may run in full,
and ``CitationEdits`` redraw the messages citing the incident, before that post lands: the redraw
finds no message yet, the incident leaves the list, and the post lands naming it. The Slack
client here is a fake that runs the hide pass and the redraw inside ``chat.postMessage``, after
the message is sent and before Slack answers with its ``ts``: that interleaving, every time.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import pytest
from slack_sdk.errors import SlackApiError

from precedent.embedding import HashEmbedder
from precedent.errors import StoreUnavailable
from precedent.ingest.visibility import MADE_PRIVATE_KEY, made_private
from precedent.investigation import Collaborators, channel_view
from precedent.links import Links
from precedent.notify import CitationEdits, MessageRecords, SlackNotifier
from precedent.notify.checks import PENDING_CHECKS_KEY
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.store.meta import update_ids
from precedent.webhooks import IncidentWriter, MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org
from tests.support.slack_server import blocks_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from slack_sdk.web.async_client import AsyncWebClient

    from precedent.model import Node
    from precedent.store import GraphStore

CHANNEL = "C0INCIDENT20"
MADE_PRIVATE = "inc-31"  # a recent incident on checkout, cited by INC-20's investigation


class FakeSlack:
    """``chat.postMessage`` and ``chat.update`` in memory; ``while_posting`` runs inside the first post.

    Args:
        while_posting: What happens elsewhere once the message is sent, before Slack answers.
        failing_updates: How many ``chat.update`` calls answer ``service_unavailable`` first.
    """

    def __init__(self, while_posting: Callable[[], Awaitable[None]], failing_updates: int = 0) -> None:
        self.shown: dict[str, str] = {}  # ts: the message's blocks as text
        self.edits = 0
        self._while_posting: Callable[[], Awaitable[None]] | None = while_posting
        self._failing_updates = failing_updates

    async def chat_postMessage(self, *, channel: str, blocks: list[object], **_: object) -> dict[str, str]:
        ts = f"{len(self.shown) + 1}.000100"
        self.shown[ts] = blocks_text({"blocks": blocks})
        hook, self._while_posting = self._while_posting, None
        if hook is not None:
            await hook()
        return {"ok": "true", "channel": channel, "ts": ts}

    async def chat_update(self, *, ts: str, blocks: list[object], **_: object) -> dict[str, str]:
        if self._failing_updates:
            self._failing_updates -= 1
            raise SlackApiError("Slack is down", {"ok": False, "error": "service_unavailable"})
        self.shown[ts] = blocks_text({"blocks": blocks})
        self.edits += 1
        return {"ok": "true", "ts": ts}


@dataclass(frozen=True)
class Posting:
    """INC-20's message, posted: where it is shown, who posted it, and what it was built from."""

    slack: FakeSlack
    notifier: SlackNotifier
    collaborators: Collaborators


class MapDown:
    """The map as the poster's check sees it: every read and write of a value fails while ``down``.

    ``lease_first``: once up, the list of messages to check is read only after a process has
    leased INC-20's record (the list worker republishing the build the map failed to take off
    its list), as on a slow machine where that publish gets there first.
    """

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.down = False
        self.lease_first = False
        self.leased_first = False

    async def _wait_for_a_lease(self) -> None:
        records = MessageRecords(self._store)
        async with asyncio.timeout(60):  # a safety net only: the republish leases it at once
            while await records.held_until("inc-20") is None:
                await asyncio.sleep(0)  # a turn of the event loop, for the publish task to run
        self.leased_first = True

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def _answer(self) -> None:
        if self.down:
            raise StoreUnavailable("Neo4j at neo4j://db:7687 is unreachable")

    async def get_meta(self, key: str) -> str | None:
        self._answer()
        if key == PENDING_CHECKS_KEY and self.lease_first and not self.leased_first:
            await self._wait_for_a_lease()
        return await self._store.get_meta(key)

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        self._answer()
        return await self._store.replace_meta(key, value, expected=expected)

    async def get_nodes(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Node]:
        self._answer()
        return await self._store.get_nodes(ids, with_embeddings=with_embeddings)


def _notifier(
    slack: FakeSlack, collaborators: Collaborators, checked_on: GraphStore | None = None
) -> SlackNotifier:
    """A notifier on ``slack``; ``checked_on``: the map its check after sending reads, if not the same."""
    client = cast("AsyncWebClient", slack)
    views = functools.partial(channel_view, collaborators)
    store, links = collaborators.store, Links("https://precedent.example.com")
    records = MessageRecords(store)
    return SlackNotifier(client, checked_on or store, links, records, views=views)


async def _post_while_made_private(
    store: GraphStore, *, listed: bool, failing_updates: int = 0, map_down: MapDown | None = None
) -> Posting:
    """Build and publish INC-20's investigation, which cites INC-31; INC-31 is made private and
    its citers' messages redrawn while the post is in flight. ``listed``: the hide pass had
    listed INC-31 (and found no citer to hide) before the build was stored. ``map_down``: what
    the poster checks its message on, down from then until the caller brings it back."""
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    [incident] = await store.get_nodes(["inc-20"], with_embeddings=True)
    await store.upsert_nodes(
        [replace(incident, properties={**incident.properties, "slack_channel_id": CHANNEL})]
    )
    catalog = Catalog(store)
    finder = SimilarIncidentFinder(store, embedder, catalog=catalog)
    collaborators = Collaborators(store, finder, catalog, clock=lambda: DECLARED + timedelta(minutes=5))

    async def elsewhere() -> None:
        # Another process (or this one's own list worker): the hide pass runs to the end, then the
        # messages citing INC-31 are redrawn; INC-20's has no ts recorded yet.
        await IncidentWriter(store, embedder).hide(MADE_PRIVATE)
        assert await CitationEdits(_notifier(slack, collaborators), collaborators).work() == [MADE_PRIVATE]
        if map_down is not None:
            map_down.down = True

    slack = FakeSlack(elsewhere, failing_updates)
    if listed:
        await update_ids(store, MADE_PRIVATE_KEY, [MADE_PRIVATE], ())
    notifier = _notifier(slack, collaborators, cast("GraphStore", map_down))
    await MapInvestigationBuilder(collaborators, notifier)("inc-20")
    await notifier.drain()
    return Posting(slack, notifier, collaborators)


@pytest.mark.parametrize("listed", [True, False], ids=["listed-when-built", "made-private-after-stored"])
async def test_a_message_posted_while_an_incident_it_names_is_made_private_is_redrawn(
    store: GraphStore, listed: bool
) -> None:
    slack = (await _post_while_made_private(store, listed=listed)).slack

    [shown] = slack.shown.values()
    assert "INC-20" in shown
    assert "INC-31" not in shown
    assert MADE_PRIVATE not in shown
    assert slack.edits == 1
    assert await made_private(store) == []


async def test_a_message_the_poster_could_not_redraw_is_left_listed_for_the_list_worker(
    store: GraphStore,
) -> None:
    slack = (await _post_while_made_private(store, listed=False, failing_updates=1)).slack
    [(ts, shown)] = slack.shown.items()
    assert "INC-31" in shown  # Slack was down when the poster tried to redraw it
    assert await made_private(store) == [MADE_PRIVATE]

    embedder = HashEmbedder(dimensions=384)
    catalog = Catalog(store)
    finder = SimilarIncidentFinder(store, embedder, catalog=catalog)
    collaborators = Collaborators(store, finder, catalog)
    assert await CitationEdits(_notifier(slack, collaborators), collaborators).work() == [MADE_PRIVATE]
    assert "INC-31" not in slack.shown[ts]
    assert await made_private(store) == []


@pytest.mark.parametrize("lease_first", [False, True], ids=["checked-first", "republished-first"])
@pytest.mark.parametrize("restart", [False, True], ids=["same-process", "after-a-restart"])
async def test_a_message_the_map_failed_to_check_is_redrawn_once_the_map_answers(
    store: GraphStore, restart: bool, lease_first: bool
) -> None:
    # The list worker took INC-31 off the list before the message had a record; the poster's own
    # check is all that is left, and the map fails it: kept listed in the map, it is checked on
    # the list worker's turns until the map answers, edited once, and never posted again. After a
    # restart, the next process's list worker, which never saw the message, checks it all the same.
    map_down = MapDown(store)
    posting = await _post_while_made_private(store, listed=False, map_down=map_down)
    slack = posting.slack
    [(ts, shown)] = slack.shown.items()
    assert "INC-31" in shown
    assert await made_private(store) == []
    notifier = posting.notifier

    with pytest.raises(StoreUnavailable):
        await CitationEdits(notifier, posting.collaborators).work()  # still down: the message stays listed
    map_down.down = False
    # The map also failed to take the build off the list to publish: the list worker publishes
    # it again (``superseded``: it is shown), holding the record meanwhile. Whether that lease
    # or the check comes first, the message is checked, and redrawn.
    map_down.lease_first = lease_first
    if restart:
        notifier = _notifier(slack, posting.collaborators, cast("GraphStore", map_down))
    await CitationEdits(notifier, posting.collaborators).work()
    await notifier.drain()
    assert map_down.leased_first == lease_first

    assert list(slack.shown) == [ts]
    assert "INC-31" not in slack.shown[ts]
    assert "INC-20" in slack.shown[ts]
    assert slack.edits == 1
    assert await notifier.recheck() == []


async def test_a_message_checked_at_once_leaves_nothing_to_check(store: GraphStore) -> None:
    posting = await _post_while_made_private(store, listed=False)
    assert await _notifier(posting.slack, posting.collaborators).recheck() == []
    assert posting.slack.edits == 1
