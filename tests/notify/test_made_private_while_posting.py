"""A message posted while an incident it names is made private ends up not naming it, on both stores.

The worker posts in the background, after the build is stored. The hide pass may run in full,
and ``CitationEdits`` redraw the messages citing the incident, before that post lands: the redraw
finds no message yet, the incident leaves the list, and the post lands naming it. The Slack
client here is a fake that runs the hide pass and the redraw inside ``chat.postMessage``, after
the message is sent and before Slack answers with its ``ts``: that interleaving, every time.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import pytest
from slack_sdk.errors import SlackApiError

from precedent.embedding import HashEmbedder
from precedent.ingest.visibility import MADE_PRIVATE_KEY, made_private
from precedent.investigation import Collaborators, channel_view
from precedent.links import Links
from precedent.notify import CitationEdits, SlackNotifier
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.store.meta import update_ids
from precedent.webhooks import IncidentWriter, MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org
from tests.support.slack_server import blocks_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from slack_sdk.web.async_client import AsyncWebClient

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


def _notifier(slack: FakeSlack, collaborators: Collaborators) -> SlackNotifier:
    client = cast("AsyncWebClient", slack)
    views = functools.partial(channel_view, collaborators)
    return SlackNotifier(client, collaborators.store, Links("https://precedent.example.com"), views=views)


async def _post_while_made_private(store: GraphStore, *, listed: bool, failing_updates: int = 0) -> FakeSlack:
    """Build and publish INC-20's investigation, which cites INC-31; INC-31 is made private and
    its citers' messages redrawn while the post is in flight. ``listed``: the hide pass had
    listed INC-31 (and found no citer to hide) before the build was stored."""
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

    slack = FakeSlack(elsewhere, failing_updates)
    if listed:
        await update_ids(store, MADE_PRIVATE_KEY, [MADE_PRIVATE], ())
    notifier = _notifier(slack, collaborators)
    await MapInvestigationBuilder(collaborators, notifier)("inc-20")
    await notifier.drain()
    return slack


@pytest.mark.parametrize("listed", [True, False], ids=["listed-when-built", "made-private-after-stored"])
async def test_a_message_posted_while_an_incident_it_names_is_made_private_is_redrawn(
    store: GraphStore, listed: bool
) -> None:
    slack = await _post_while_made_private(store, listed=listed)

    [shown] = slack.shown.values()
    assert "INC-20" in shown
    assert "INC-31" not in shown
    assert MADE_PRIVATE not in shown
    assert slack.edits == 1
    assert await made_private(store) == []


async def test_a_message_the_poster_could_not_redraw_is_left_listed_for_the_list_worker(
    store: GraphStore,
) -> None:
    slack = await _post_while_made_private(store, listed=False, failing_updates=1)
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
