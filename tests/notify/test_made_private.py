"""A Slack message naming an incident later made private is edited to name it no more.

A public incident's message shows its investigation, which names its precedents with their root
cause and fix. When one of them is made private, by ``import``/``sync`` (a process without Slack)
or by a ``private_incident`` webhook, the map hides the investigation citing it; the message in
the channel must be edited too, as its channel may see it now.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.ingest.visibility import hide_parts_of_incidents_made_private, made_private
from precedent.investigation import Collaborators, channel_view, latest_for_incident
from precedent.links import Links
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.notify import CitationEdits, SlackNotifier, slack_client
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.webhooks import MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org
from tests.notify.test_end_to_end import _app, _deliver, _settings, _until
from tests.support.slack_server import SlackStandIn, blocks_text

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore

TOKEN = "xoxb-9999-8888-endtoendsecret"  # the one test_end_to_end's settings carry
CHANNEL = "C0INCIDENT40"
NAME = "Payments database connection pool exhausted once more"
PRIVATE_UPDATED = "private_incident.incident_updated_v2"


@dataclass(frozen=True)
class Posted:
    """A public incident's message in its channel, and a public incident it names."""

    collaborators: Collaborators
    cited: str
    reference: str
    ts: str


async def post_citing(store: GraphStore, slack: SlackStandIn) -> Posted:
    """Post INC-40's investigation to its channel as the webhook worker does; pick one incident it names."""
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    declared = DECLARED + timedelta(days=2)
    [vector] = await embedder.embed([NAME])
    props = {"reference": "INC-40", "name": NAME, "slack_channel_id": CHANNEL, "status_category": "live"}
    await store.upsert_nodes([Node("inc-40", "Incident", props, declared, "public", NAME, vector)])
    await store.upsert_edges([Edge("inc-40", "AFFECTS", "svc-paydb")])
    catalog = Catalog(store)
    finder = SimilarIncidentFinder(store, embedder, catalog=catalog)
    collaborators = Collaborators(store, finder, catalog, clock=lambda: declared)
    notifier = notifier_on(slack, collaborators)
    await MapInvestigationBuilder(collaborators, notifier)("inc-40")
    await notifier.drain()
    [(_, ts)] = slack.messages
    shown = await latest_for_incident(store, "inc-40", OWNER_VIEWER)
    assert shown is not None
    [cited, *_] = [p.incident_id for p in shown.similar]
    [node] = await store.get_nodes([cited])
    reference = str(node.properties["reference"])
    assert reference in blocks_text(slack.messages[(CHANNEL, ts)].body)
    return Posted(collaborators, cited, reference, ts)


def notifier_on(slack: SlackStandIn, collaborators: Collaborators) -> SlackNotifier:
    return SlackNotifier(
        slack_client(TOKEN, base_url=slack.url),
        collaborators.store,
        Links("https://precedent.example.com"),
        views=functools.partial(channel_view, collaborators),
    )


async def test_the_next_serve_edits_a_message_naming_an_incident_an_import_made_private(
    store: GraphStore,
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        posted = await post_citing(store, slack)
        # The next `serve`.
        edits = CitationEdits(notifier_on(slack, posted.collaborators), posted.collaborators)
        # What `import` and `sync` do to an incident incident.io made private: its citers are
        # hidden, then it is written private. Listed first, so a crash in between loses nothing.
        await hide_parts_of_incidents_made_private(store, {posted.cited: "private"})
        assert await made_private(store) == [posted.cited]
        assert await edits.work() == []  # not private yet: a redrawn message would still name it
        [node] = await store.get_nodes([posted.cited], with_embeddings=True)
        await store.upsert_nodes([replace(node, visibility="private")])

        # Slack down at first: the incident stays listed, and the next turn edits the message.
        slack.down(times=4)  # the first edit and slack-sdk's three retries
        assert await edits.work() == []
        assert await made_private(store) == [posted.cited]
        assert slack.updated() == []
        assert await edits.work() == [posted.cited]

        [edited] = slack.updated()
        assert edited.body["ts"] == posted.ts
        assert posted.reference not in blocks_text(edited.body)
        assert "INC-40" in blocks_text(edited.body)
        assert slack.messages[(CHANNEL, posted.ts)].edits == 1
        assert len(slack.posted()) == 1
        assert await made_private(store) == []


async def test_a_private_incident_webhook_edits_the_messages_naming_it(
    store: GraphStore, tmp_path: Path
) -> None:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        posted = await post_citing(store, slack)
        async for client in _app(store, _settings(tmp_path, slack)):
            # Made private in incident.io, it arrives with its id alone (no API key here).
            event = {"event_type": PRIVATE_UPDATED, PRIVATE_UPDATED: {"id": posted.cited}}
            await _deliver(client, event, "msg_private")
            await _until(slack.updated)
            # Forgotten just after the edit: wait for it before this process stops.
            deadline = asyncio.get_running_loop().time() + 120
            while await made_private(store):
                assert asyncio.get_running_loop().time() < deadline, "never taken off the list"
                await asyncio.sleep(0.05)
        [edited] = slack.updated()
        assert edited.body["ts"] == posted.ts
        assert posted.reference not in blocks_text(edited.body)


async def test_a_message_in_an_archived_channel_does_not_keep_its_citation_listed(
    embedded_store: GraphStore,
) -> None:
    # Slack refuses every edit in an archived channel (incident.io archives an incident's channel
    # some time after it closes). The refusal counted as a failure to try again: the incident
    # stayed listed, and every minute each message citing it was edited again, for ever.
    store = embedded_store
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as slack:
        posted = await post_citing(store, slack)
        edits = CitationEdits(notifier_on(slack, posted.collaborators), posted.collaborators)
        slack.archived.add(CHANNEL)
        await hide_parts_of_incidents_made_private(store, {posted.cited: "private"})
        [node] = await store.get_nodes([posted.cited], with_embeddings=True)
        await store.upsert_nodes([replace(node, visibility="private")])

        assert await edits.work() == [posted.cited]
        assert await made_private(store) == []
        assert [c.method for c in slack.calls].count("chat.update") == 1
        assert await edits.work() == []
        assert [c.method for c in slack.calls].count("chat.update") == 1
