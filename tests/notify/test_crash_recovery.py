"""A process that dies while posting leaves one message, posted at once by the next process.

The webhook worker lists a build in the map before it publishes it (``notify/unpublished.py``);
a process that died mid-publish leaves it listed, with the message record leased to it. The next
process posts it once the dead holder's lease runs out (it is renewed only while its holder
lives), and first looks in the channel for the message the dead process may have posted after
Slack answered but before its ``ts`` was written (``notify/history.py``). Clocks are injected:
the map's leases and Slack's timestamps read the same fake time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import StoreUnavailable
from precedent.investigation import Collaborators, investigation_id
from precedent.notify import CitationEdits, MessageRecord, MessageRecords, SlackNotifier, slack_client
from precedent.notify.unpublished import Unpublished
from precedent.retrieval import Catalog, SimilarIncidentFinder
from tests.notify.test_end_to_end import _until
from tests.notify.test_slack import CHANNEL, LINKS, TOKEN, investigation
from tests.support.slack_server import SlackStandIn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from slack_sdk.web.async_client import AsyncWebClient

    from precedent.investigation import Investigation
    from precedent.store import GraphStore

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)  # MessageRecords' default


class Clock:
    """The time every process and Slack read; the test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class ProcessMap:
    """The map as one process reaches it: once the process is dead, nothing it does lands."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.dead = False

    def __getattr__(self, name: str) -> object:
        target = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> object:
            if self.dead:
                raise StoreUnavailable("this process is dead")
            return await target(*args, **kwargs)

        return call


class DiesOnceSlackAnswers:
    """A process's Slack client: the post lands in Slack, then the process dies before recording it."""

    def __init__(self, client: AsyncWebClient, process: ProcessMap) -> None:
        self._client, self._process = client, process

    async def chat_postMessage(self, **kwargs: Any) -> object:
        answer = await self._client.chat_postMessage(**kwargs)
        self._process.dead = True
        return answer

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as stand_in:
        yield stand_in


def _views(*shown: Investigation) -> Any:
    async def view(incident_id: str, built_at: datetime) -> Investigation:
        return next(i for i in shown if i.incident.id == incident_id and i.built_at == built_at)

    return view


def _for(incident: str, minutes: int = 0) -> Investigation:
    built = investigation(minutes)
    return dataclasses.replace(
        built,
        id=investigation_id(incident, built.built_at),
        incident=dataclasses.replace(built.incident, id=incident),
    )


async def crash_while_posting(
    slack: SlackStandIn, store: GraphStore, clock: Clock, built: Investigation
) -> None:
    """A process lists ``built``, posts it, and dies once Slack answered: the ``ts`` is never written."""
    process = ProcessMap(store)
    client = DiesOnceSlackAnswers(slack_client(TOKEN, base_url=slack.url), process)
    map_ = cast("GraphStore", process)
    records = MessageRecords(map_, clock=clock)
    dying = SlackNotifier(cast("AsyncWebClient", client), map_, LINKS, records, views=_views(built))
    await dying.will_publish(built)
    assert await dying.publish(built) == "failed"  # what it tried after its death never landed
    assert process.dead


def next_process(
    slack: SlackStandIn, store: GraphStore, clock: Clock, *shown: Investigation
) -> SlackNotifier:
    records = MessageRecords(store, clock=clock)
    client = slack_client(TOKEN, base_url=slack.url)
    return SlackNotifier(client, store, LINKS, records, views=_views(*shown))


async def test_a_post_slack_answered_before_the_process_died_is_adopted_not_posted_again(
    slack: SlackStandIn, store: GraphStore
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    built = _for("inc-1")
    await crash_while_posting(slack, store, clock, built)
    [(_, ts)] = slack.messages
    left = MessageRecord.loads(await store.get_meta("slack:message:inc-1"))
    assert (left.ts, left.unanswered) == (None, T0)  # the dead process's mark that it sent one

    clock.now = T0 + LEASE
    # Drawn again as its channel may see it now (an incident it named may have been made private
    # since the dead process drew it): here its name changed.
    again = dataclasses.replace(built, incident=dataclasses.replace(built.incident, name="Checkout down"))
    restarted = next_process(slack, store, clock, again)
    assert await restarted.republish() == ["inc-1"]
    await restarted.drain()

    assert len(slack.posted()) == 1
    assert [c.method for c in slack.calls][1:] == ["conversations.history", "chat.update"]
    [edit] = slack.updated()
    assert edit.body["ts"] == ts
    assert "Checkout down" in edit.body["text"]
    record = MessageRecord.loads(await store.get_meta("slack:message:inc-1"))
    assert (record.channel, record.ts, record.built_at, record.holder, record.unanswered) == (
        CHANNEL,
        ts,
        built.built_at,
        None,
        None,
    )
    assert await Unpublished(store).pending() == {}
    # The next build edits the adopted message.
    newer = _for("inc-1", 5)
    assert await restarted.publish(newer) == "updated"
    assert len(slack.posted()) == 1


async def test_an_adopted_message_showing_an_older_build_is_edited_to_show_the_newer(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    await crash_while_posting(slack, embedded_store, clock, _for("inc-1"))
    [(_, ts)] = slack.messages
    clock.now = T0 + LEASE
    newer = _for("inc-1", 3)  # built meanwhile, by a delivery redone after the crash
    assert await next_process(slack, embedded_store, clock, newer).publish(newer) == "adopted"
    assert len(slack.posted()) == 1
    assert slack.updated()[0].body["ts"] == ts
    assert slack.updated()[0].body["metadata"]["event_payload"]["built_at"] == newer.built_at.isoformat()


async def test_without_the_history_scope_it_posts_again_and_says_so_once(
    slack: SlackStandIn, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    slack.scopes = {"chat:write"}
    first, second = _for("inc-1"), _for("inc-2")
    await crash_while_posting(slack, embedded_store, clock, first)
    await crash_while_posting(slack, embedded_store, clock, second)
    assert len(slack.posted()) == 2

    clock.now = T0 + LEASE
    restarted = next_process(slack, embedded_store, clock, first, second)
    with caplog.at_level(logging.WARNING, logger="precedent.notify"):
        assert await restarted.republish() == ["inc-1", "inc-2"]
        await restarted.drain()

    # Each build posted once more (at least once: never lost), and the missing scope said once.
    assert len(slack.posted()) == 4
    history = [c for c in slack.calls if c.method == "conversations.history"]
    assert len(history) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "missing_scope" in w]) == 1, warnings
    assert "channels:history" in next(w for w in warnings if "missing_scope" in w)
    for incident in ("inc-1", "inc-2"):
        record = MessageRecord.loads(await embedded_store.get_meta(f"slack:message:{incident}"))
        assert (record.ts is not None, record.unanswered, record.holder) == (True, None, None)


async def test_a_dead_holders_build_is_posted_once_its_lease_runs_out_not_minutes_later(
    slack: SlackStandIn, store: GraphStore
) -> None:
    # The lease was 120 s and never renewed, so a new process waited two minutes (and up to a
    # poll more) for a dead process's leftovers. Now it is renewed while its holder lives, so it
    # can be short: a dead holder's build is taken when the lease lapses, and the list worker
    # looks again then rather than a whole poll later.
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    built = _for("inc-1")
    await crash_while_posting(slack, store, clock, built)

    clock.now = T0 + timedelta(seconds=1)  # started at once: the holder may still be alive
    restarted = next_process(slack, store, clock, built)
    assert await restarted.republish() == []
    assert restarted.republish_due() == pytest.approx((LEASE - timedelta(seconds=1)).total_seconds())

    clock.now = T0 + LEASE
    assert await restarted.republish() == ["inc-1"]
    assert restarted.republish_due() is None
    await restarted.drain()
    assert len(slack.posted()) == 1
    assert MessageRecord.loads(await store.get_meta("slack:message:inc-1")).ts is not None


class Pauses:
    """A holder's waits between renewals: each lasts until the test ends it."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._ends: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await self._ends.get()

    def end_one(self) -> None:
        self._ends.put_nowait(None)


async def test_a_live_holder_keeps_its_lease_however_long_it_holds(embedded_store: GraphStore) -> None:
    # Two live processes never publish the same build: the holder renews, so its lease outlives
    # its first term. Time is the test's: the clock moves and each renewal's pause ends on cue.
    clock, pauses = Clock(), Pauses()
    holder = MessageRecords(embedded_store, clock=clock, pause=pauses)
    # Another process that gives up at once rather than waiting minutes for the record.
    other = MessageRecords(embedded_store, clock=clock, poll=0.01, wait=timedelta(0))
    async with holder.holding("inc-1"):
        first = MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).until
        assert first == T0 + LEASE
        await _until(lambda: pauses.seconds == [LEASE.total_seconds() / 3])
        clock.now = T0 + LEASE / 3
        pauses.end_one()
        await _until(lambda: len(pauses.seconds) == 2)  # renewed, and pausing until the next
        renewed = MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).until
        assert renewed == T0 + LEASE / 3 + LEASE
        clock.now = T0 + LEASE + timedelta(seconds=1)  # past the first term, within the renewed one
        with pytest.raises(TimeoutError, match="held by"):
            async with other.holding("inc-1"):
                pytest.fail("another process took the record its live holder renews")
    assert len(pauses.seconds) == 2  # letting go ended the pause: no renewal after the release
    async with other.holding("inc-1") as lease:  # released: the other takes it at once
        assert not lease.lost
    assert MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).holder is None


async def test_the_list_worker_posts_a_dead_holders_build_when_its_lease_lapses_not_a_poll_later(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    built = _for("inc-1")
    await crash_while_posting(slack, embedded_store, clock, built)
    clock.now = T0 + timedelta(seconds=1)
    restarted = next_process(slack, embedded_store, clock, built)
    embedder = HashEmbedder(dimensions=384)
    catalog = Catalog(embedded_store)
    finder = SimilarIncidentFinder(embedded_store, embedder, catalog=catalog)
    worker = CitationEdits(restarted, Collaborators(embedded_store, finder, catalog), poll=3600)
    worker.start()
    try:
        await _until(lambda: restarted.republish_due() is not None)  # its first turn left it
        assert slack.calls[-1].method == "chat.postMessage"  # only the dead process's post so far
        clock.now = T0 + LEASE  # the lease lapses, unrenewed
        await _until(lambda: len(slack.calls) > 1)  # history read: the post found and adopted
        await _until(lambda: restarted.republish_due() is None)
    finally:
        await worker.aclose()
        await restarted.drain()
    assert len(slack.posted()) == 1
    assert MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).ts is not None


class TakenOverOnceLeased:
    """The map as a holder sees it whose lease lapsed unrenewed: another process took the record."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._writes = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        if key == "slack:message:inc-1":
            self._writes += 1
            if self._writes == 2:  # after the lease was taken, before the post is marked as sent
                other = MessageRecord(holder="other:1", until=T0 + timedelta(hours=1))
                await self._store.set_meta(key, other.dumps())
        return await self._store.replace_meta(key, value, expected=expected)


async def test_a_holder_that_lost_its_lease_does_not_post(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    clock = Clock()
    built = _for("inc-1")
    map_ = cast("GraphStore", TakenOverOnceLeased(embedded_store))
    records = MessageRecords(map_, clock=clock)
    client = slack_client(TOKEN, base_url=slack.url)
    notifier = SlackNotifier(client, map_, LINKS, records, views=_views(built))
    assert await notifier.publish(built) == "failed"
    assert slack.calls == []  # the other holder posts it, not both
    assert MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).holder == "other:1"


async def test_a_private_channel_needs_groups_history_and_says_so(
    slack: SlackStandIn, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    slack.scopes = {"chat:write", "channels:history"}
    slack.private = {CHANNEL}  # a private incident's channel
    built = _for("inc-1")
    await crash_while_posting(slack, embedded_store, clock, built)
    clock.now = T0 + LEASE
    with caplog.at_level(logging.WARNING, logger="precedent.notify"):
        assert await next_process(slack, embedded_store, clock, built).publish(built) == "posted"
    [warning] = [r.getMessage() for r in caplog.records if "missing_scope" in r.getMessage()]
    assert "needs groups:history, has channels:history,chat:write" in warning


async def test_the_message_is_found_in_a_busy_channel(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    # History comes newest first, a few pages of 15 at most: a window reaching minutes past the
    # post filled them with the responders' later messages, and the post was made again.
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    built = _for("inc-1")
    await crash_while_posting(slack, embedded_store, clock, built)
    people = slack_client(TOKEN, base_url=slack.url)
    for second in range(150, 300, 2):  # 75 messages, from two and a half minutes on
        clock.now = T0 + timedelta(seconds=second)
        await people.chat_postMessage(channel=CHANNEL, text=f"still looking ({second})")
    restarted = next_process(slack, embedded_store, clock, built)
    assert await restarted.publish(built) == "adopted"
    assert len(slack.messages) == 76


class OtherPosterMeanwhile:
    """Slack as a holder sees it whose lease lapsed while its post was in flight (the map did not
    answer its renewals): another process took the record over and posted the message first."""

    def __init__(self, client: AsyncWebClient, store: GraphStore, clock: Clock) -> None:
        self._client, self._store, self._clock = client, store, clock

    async def chat_postMessage(self, **kwargs: Any) -> object:
        other = await self._client.chat_postMessage(**kwargs)
        record = MessageRecord(kwargs["channel"], str(other["ts"]), T0)
        await self._store.set_meta("slack:message:inc-1", record.dumps())
        self._clock.now = T0 + timedelta(seconds=1)
        return await self._client.chat_postMessage(**kwargs)

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)


async def test_a_holder_whose_lease_lapsed_mid_post_takes_its_duplicate_back(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    clock = Clock()
    slack.clock = lambda: clock.now.timestamp()
    built = _for("inc-1")
    client = OtherPosterMeanwhile(slack_client(TOKEN, base_url=slack.url), embedded_store, clock)
    records = MessageRecords(embedded_store, clock=clock)
    slow = SlackNotifier(cast("AsyncWebClient", client), embedded_store, LINKS, records, views=_views(built))
    assert await slow.publish(built) == "superseded"
    [(_, kept)] = slack.messages  # the other process's, recorded; this one's was deleted
    assert MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")).ts == kept
