"""SlackNotifier against a local stand-in of Slack's Web API: posted once, updated, failures contained."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.investigation import InvestigatedIncident, Investigation, MapState, investigation_id
from precedent.links import Links
from precedent.metrics import REGISTRY
from precedent.notify import MessageRecord, MessageRecords, SlackNotifier, slack_client
from tests.support.slack_server import SlackStandIn, blocks_text

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from precedent.store import GraphStore

TOKEN = "xoxb-1111-2222-secretsecretsecret"
CHANNEL = "C0INCIDENT1"
T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
LINKS = Links("https://precedent.example.com/")


def investigation(
    minutes: int = 0, *, channel: str | None = CHANNEL, name: str = "Checkout failing"
) -> Investigation:
    built = T0 + timedelta(minutes=minutes)
    incident = InvestigatedIncident(
        "inc-1", "INC-1", name, "", "Investigating", "Major", None, T0, "public", None, (), (), (), channel
    )
    summary = (
        f"**INC-1: {name}** (Major)\n\n**Likely causes**\n1. A deploy of checkout <v2> 5 min before (80%)"
    )
    return Investigation(
        id=investigation_id("inc-1", built),
        incident=incident,
        hypotheses=(),
        similar=(),
        services=(),
        changes=(),
        follow_ups=(),
        summary_markdown=summary,
        built_at=built,
        build_ms=42.0,
        map_state=MapState(1, 0, 0, None),
        change_window_hours=24.0,
    )


def count(outcome: str) -> float:
    return REGISTRY.get_sample_value("precedent_slack_messages_total", {"outcome": outcome}) or 0.0


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(token=TOKEN, channels={CHANNEL}) as stand_in:
        yield stand_in


async def unseen(incident_id: str, built_at: datetime) -> Investigation:
    raise AssertionError(f"{incident_id}'s investigations here name no other incident: none is redrawn")


def notifier(slack: SlackStandIn, store: GraphStore, records: MessageRecords | None = None) -> SlackNotifier:
    return SlackNotifier(slack_client(TOKEN, base_url=slack.url), store, LINKS, records, views=unseen)


async def test_posted_once_then_updated_in_place_on_every_rebuild(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    first = investigation(0)
    assert await notifier(slack, embedded_store).publish(first) == "posted"
    [posted] = slack.posted()
    assert posted.authorization == f"Bearer {TOKEN}"
    assert posted.body["channel"] == CHANNEL
    assert posted.body["text"] == "Precedent's first look at INC-1: Checkout failing"
    blocks = posted.body["blocks"]
    assert blocks[0] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*INC-1: Checkout failing* (Major)\n*Likely causes*\n"
            "1. A deploy of checkout &lt;v2&gt; 5 min before (80%)",
        },
    }
    button = blocks[1]["elements"][0]
    assert button["url"] == "https://precedent.example.com/ui/incidents/INC-1/investigation"
    [(_, ts)] = slack.messages

    # A new process (a restarted worker) finds the message through the store, and edits it.
    second = investigation(7, name="Checkout failing for everyone")
    assert await notifier(slack, embedded_store).publish(second) == "updated"
    [updated] = slack.updated()
    assert (updated.body["channel"], updated.body["ts"]) == (CHANNEL, ts)
    assert "Checkout failing for everyone" in blocks_text(updated.body)
    assert "built 2026-12-02 10:07 UTC" in blocks_text(updated.body)
    assert len(slack.posted()) == 1
    assert slack.messages[(CHANNEL, ts)].edits == 1


async def test_the_message_links_under_the_public_url_now_and_by_the_incidents_reference(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    built = investigation(0)
    # As stored: its links site-relative (``investigation.summary_links``), whoever built it.
    page = f"/ui/investigations/{built.id.replace(':', '%3A')}"
    cited = " (on it: [INC-9](/ui/incidents/INC-9))"
    summary = f"{built.summary_markdown}{cited}\n\n[Read the whole investigation]({page})"
    assert await notifier(slack, embedded_store).publish(replace(built, summary_markdown=summary)) == "posted"
    [posted] = slack.posted()
    shown = blocks_text(posted.body)

    assert "<https://precedent.example.com/ui/incidents/INC-9|INC-9>" in shown
    latest = "https://precedent.example.com/ui/incidents/INC-1/investigation"
    assert f"<{latest}|Read the whole investigation>" in shown
    assert f"<{latest}|details>" in shown
    assert posted.body["blocks"][-2]["elements"][0]["url"] == latest
    # Not the build's opaque id: the message is redrawn whenever a newer build supersedes it.
    assert "/ui/investigations/" not in shown


async def test_a_rate_limited_post_waits_its_retry_after_and_succeeds(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    slack.rate_limit(times=1, retry_after=1)
    started = time.monotonic()
    assert await notifier(slack, embedded_store).publish(investigation()) == "posted"
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in slack.calls] == [429, 200]
    assert len(slack.posted()) == 1


async def test_a_deleted_message_is_posted_again(slack: SlackStandIn, embedded_store: GraphStore) -> None:
    assert await notifier(slack, embedded_store).publish(investigation(0)) == "posted"
    slack.messages.clear()  # someone deleted it in Slack
    assert await notifier(slack, embedded_store).publish(investigation(5)) == "posted"
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.update", "chat.postMessage"]
    stored = json.loads(await embedded_store.get_meta("slack:message:inc-1") or "{}")
    [(_, reposted)] = slack.messages
    assert (stored["channel"], stored["ts"]) == (CHANNEL, reposted)


async def test_channel_not_found_is_logged_and_counted_never_raised(
    slack: SlackStandIn, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    before = count("refused")
    with caplog.at_level(logging.WARNING, logger="precedent.notify"):
        outcome = await notifier(slack, embedded_store).publish(investigation(channel="C0GONE"))
    assert outcome == "refused"
    assert count("refused") == before + 1
    [record] = [r for r in caplog.records if r.name == "precedent.notify"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["outcome"] == "refused"
    assert fields["error"] == "channel_not_found"
    assert fields["then"].startswith("the channel was deleted, or is private and the Slack app not in it")
    assert fields["incident_id"] == "inc-1"
    # Nothing was posted, and the lease taken for the attempt is released at once.
    assert MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1")) == MessageRecord()


async def test_slack_down_fails_after_its_retries_without_raising(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    assert await notifier(slack, embedded_store).publish(investigation(0)) == "posted"
    slack.down()
    # An edit is sent again: the first try and three retries.
    assert await notifier(slack, embedded_store).publish(investigation(1)) == "failed"
    assert [(c.method, c.status) for c in slack.calls[1:]] == [("chat.update", 503)] * 4
    # A post is not (Slack may have carried it out): the channel is read for it instead.
    slack.calls.clear()
    assert await notifier(slack, embedded_store).publish(investigation(2, channel="C0OTHER")) == "failed"
    assert [(c.method, c.status) for c in slack.calls] == [("chat.postMessage", 503)] + [
        ("conversations.history", 503)
    ] * 4


async def test_no_channel_yet_posts_nothing(slack: SlackStandIn, embedded_store: GraphStore) -> None:
    assert await notifier(slack, embedded_store).publish(investigation(channel=None)) == "no_channel"
    assert slack.calls == []


async def test_background_publishing_posts_once_for_a_quick_rebuild(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    notify = notifier(slack, embedded_store)
    notify.investigation_built(investigation(0))
    notify.investigation_built(investigation(1))
    await notify.drain()
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.update"]


async def test_no_lock_is_kept_once_an_incidents_message_is_published(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    # One lock per incident was kept for the process's life: a long-running server grew by one
    # per incident it ever published.
    notify = notifier(slack, embedded_store)
    for number in range(1, 6):
        built = investigation(number)
        incident = dataclasses.replace(built.incident, id=f"inc-{number}")
        notify.investigation_built(dataclasses.replace(built, incident=incident))
    notify.investigation_built(investigation(9))  # inc-1 again, while its first build is in flight
    await notify.drain()
    assert [c.method for c in slack.calls].count("chat.postMessage") == 5
    assert [c.method for c in slack.calls].count("chat.update") == 1
    assert len(notify._turns) == 0


async def test_the_token_is_never_logged(
    slack: SlackStandIn, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    slack.rate_limit(times=1, retry_after=1)
    with caplog.at_level(logging.DEBUG):
        notify = notifier(slack, embedded_store)
        await notify.publish(investigation(0))
        await notify.publish(investigation(1))
        await notify.publish(investigation(2, channel="C0GONE"))
        slack.down()
        await notify.publish(investigation(3))
    assert caplog.records
    assert any("chat.postMessage" in r.getMessage() for r in caplog.records)  # slack-sdk did log
    for record in caplog.records:
        assert "secretsecret" not in record.getMessage()
        assert "secretsecret" not in json.dumps(getattr(record, "fields", {}), default=str)


async def test_two_publishers_racing_on_one_map_post_one_message_showing_the_newest(
    slack: SlackStandIn, store: GraphStore
) -> None:
    # Two notifiers stand for two processes (each has its own in-process lock): only the lease
    # on the record in the map keeps them from both posting while Slack is slow to answer.
    slack.latency = 0.3
    older, newer = investigation(0, name="Checkout failing"), investigation(5, name="Checkout down")
    outcomes = await asyncio.gather(
        notifier(slack, store).publish(older), notifier(slack, store).publish(newer)
    )
    assert sorted(outcomes) in (["posted", "updated"], ["posted", "superseded"])
    assert len(slack.posted()) == 1
    [(_, ts)] = slack.messages
    shown = slack.messages[(CHANNEL, ts)].body
    assert "Checkout down" in blocks_text(shown)
    record = MessageRecord.loads(await store.get_meta("slack:message:inc-1"))
    assert (record.channel, record.ts, record.built_at, record.holder) == (CHANNEL, ts, newer.built_at, None)


async def test_an_older_build_never_replaces_the_newer_one_shown(
    slack: SlackStandIn, store: GraphStore
) -> None:
    assert await notifier(slack, store).publish(investigation(7, name="Checkout down")) == "posted"
    assert await notifier(slack, store).publish(investigation(2, name="Checkout slow")) == "superseded"
    assert slack.updated() == []
    [message] = slack.messages.values()
    assert "Checkout down" in blocks_text(message.body)


async def test_a_lease_left_by_a_dead_process_is_taken_over_when_it_runs_out(
    slack: SlackStandIn, store: GraphStore
) -> None:
    until = datetime.now(UTC) + timedelta(seconds=1)
    await store.set_meta("slack:message:inc-1", MessageRecord(holder="gone:1", until=until).dumps())
    records = MessageRecords(store, lease=timedelta(seconds=5), poll=0.05)
    assert await notifier(slack, store, records).publish(investigation()) == "posted"
    # Taken over only once the dead holder's lease ran out (not a speed check: load only delays it).
    assert datetime.now(UTC) >= until
    assert len(slack.posted()) == 1
    assert MessageRecord.loads(await store.get_meta("slack:message:inc-1")).holder is None


async def test_a_listed_build_already_shown_is_not_posted_again(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    shown = investigation(0)

    async def drawn_again(incident_id: str, built_at: datetime) -> Investigation:
        assert (incident_id, built_at) == ("inc-1", shown.built_at)
        return shown

    notify = SlackNotifier(slack_client(TOKEN, base_url=slack.url), embedded_store, LINKS, views=drawn_again)
    await notify.will_publish(shown)
    assert await notify.publish(shown) == "posted"
    assert await notify.republish() == []  # publishing took it off
    await notify.will_publish(shown)  # a process stopped after posting, before taking it off
    assert await notify.republish() == ["inc-1"]
    await notify.drain()
    assert await notify.republish() == []
    assert len(slack.posted()) == 1


async def test_a_listed_build_whose_incident_has_no_channel_now_is_taken_off_the_list(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    # Drawn again each turn of the list worker otherwise, a build a minute for nothing.
    async def without_channel(incident_id: str, built_at: datetime) -> Investigation:
        return investigation(0, channel=None)

    notify = SlackNotifier(
        slack_client(TOKEN, base_url=slack.url), embedded_store, LINKS, views=without_channel
    )
    await notify.will_publish(investigation(0))
    assert await notify.republish() == ["inc-1"]
    await notify.drain()
    assert await notify.republish() == []
    assert slack.calls == []


async def test_a_build_slack_would_not_take_yet_stays_listed_and_is_posted_on_the_next_turn(
    slack: SlackStandIn, embedded_store: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    # Rate limited past slack-sdk's three retries (or Slack down, or the network): the build was
    # taken off the list as if Slack had refused it, and the channel got no message until the
    # incident changed again.
    built = investigation(0)

    async def drawn_again(incident_id: str, built_at: datetime) -> Investigation:
        return built

    notify = SlackNotifier(slack_client(TOKEN, base_url=slack.url), embedded_store, LINKS, views=drawn_again)
    slack.rate_limit(times=4, retry_after=0)
    await notify.will_publish(built)
    with caplog.at_level(logging.WARNING, logger="precedent.notify"):
        assert await notify.publish(built) == "failed"
    [line] = [r.getMessage() for r in caplog.records if r.name == "precedent.notify"]
    assert "error=ratelimited" in line
    assert "tried again" in line
    assert [c.status for c in slack.calls] == [429] * 4
    assert await notify.republish() == ["inc-1"]  # the list worker's next turn
    await notify.drain()
    assert len(slack.posted()) == 1
    assert await notify.republish() == []


async def test_a_build_slack_refuses_is_not_tried_again(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    built = investigation(0)
    slack.archived.add(CHANNEL)

    async def drawn_again(incident_id: str, built_at: datetime) -> Investigation:
        return built

    records = MessageRecords(embedded_store, clock=lambda: built.built_at + timedelta(minutes=1))
    client = slack_client(TOKEN, base_url=slack.url)
    notify = SlackNotifier(client, embedded_store, LINKS, records, views=drawn_again)
    await notify.will_publish(built)
    assert await notify.publish(built) == "refused"  # is_archived: trying again changes nothing
    assert await notify.republish() == []


async def test_a_post_whose_answer_was_lost_is_found_in_the_channel_not_posted_again(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    # Slack answered 500 to a post it had carried out (its docs: "it's possible some aspect of
    # the operation succeeded"); slack-sdk retried it blindly, and the channel showed it twice.
    slack.lose_answers(times=1)
    assert await notifier(slack, embedded_store).publish(investigation()) == "posted"
    [(_, ts)] = slack.messages
    assert [(c.method, c.status) for c in slack.calls] == [
        ("chat.postMessage", 500),
        ("conversations.history", 200),
    ]
    record = MessageRecord.loads(await embedded_store.get_meta("slack:message:inc-1"))
    assert (record.channel, record.ts, record.unanswered) == (CHANNEL, ts, None)


async def test_a_post_refused_until_the_app_is_invited_is_posted_once_it_is(
    slack: SlackStandIn, embedded_store: GraphStore
) -> None:
    # The responder who reads "invite the Slack app to the channel" and does so expects the
    # message: it was given up at the first refusal, and came only with the incident's next change.
    built = investigation(0, channel="C0NEW")
    now = [built.built_at + timedelta(minutes=2)]

    async def drawn_again(incident_id: str, built_at: datetime) -> Investigation:
        return built

    records = MessageRecords(embedded_store, clock=lambda: now[0])
    client = slack_client(TOKEN, base_url=slack.url)
    notify = SlackNotifier(client, embedded_store, LINKS, records, views=drawn_again)
    await notify.will_publish(built)
    assert await notify.publish(built) == "refused"  # channel_not_found: a private channel, not invited
    slack.channels.add("C0NEW")  # invited
    assert await notify.republish() == ["inc-1"]
    await notify.drain()
    assert [channel for channel, _ in slack.messages] == ["C0NEW"]

    # Never invited: given up an hour after the build.
    later = investigation(1, channel="C0NEVER")
    now[0] = later.built_at + timedelta(minutes=61)
    await notify.will_publish(later)
    assert await notify.publish(later) == "refused"
    assert await notify.republish() == []
