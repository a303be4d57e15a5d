"""Posts each investigation the webhook worker builds to its incident's Slack channel, then keeps it current.

Runs after the investigation is stored, in a background task: Slack being slow, rate limited or
down never delays or fails the investigation, nor the webhook delivery that asked for it; a
failure is one structured log line and a count in ``precedent_slack_messages_total``.

The first build of an incident posts a message (``chat.postMessage``); its channel and ``ts`` are
kept in the store's meta under ``slack:message:<incident id>``, so every later build, in this
process or in another worker on the same store, edits that message (``chat.update``) instead of
posting again. Builds of one incident are published one at a time in this process; across the
processes of ``serve --workers N`` (or ``precedent worker``s) the build about to post first claims
the key (``GraphStore.replace_meta``, atomic in the shared store), and a build of another process
that finds the claim waits for the message and edits it, so two workers rebuilding one incident at
the same instant still make one message. A claim left by a worker that died mid-post is taken over
after ``claim_timeout``.

slack-sdk's retry handlers do the retrying: a 429 waits its ``Retry-After``, a 500/503 or a dropped
connection is retried with exponential back-off.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from precedent.metrics import SLACK_MESSAGES
from precedent.notify.blocks import investigation_message

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.investigation import Investigation
    from precedent.links import Links
    from precedent.store import GraphStore

__all__ = ["SLACK_API_URL", "SlackNotifier", "slack_client"]

log = logging.getLogger("precedent.notify")

SLACK_API_URL = "https://slack.com/api/"
# chat.update answers these when the stored message is gone or no longer ours: post a new one.
_REPOST = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def slack_client(token: str, *, base_url: str = SLACK_API_URL, timeout: int = 10) -> AsyncWebClient:
    """A Slack Web API client with retries on 429 (after ``Retry-After``), 5xx and dropped connections.

    Args:
        token: A bot token (``xoxb-…``) with ``chat:write``; slack-sdk redacts it from its logs.
        base_url: The Web API root (a local stand-in in tests).
        timeout: Seconds for each request.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
        ],
    )


def _meta_key(incident_id: str) -> str:
    return f"slack:message:{incident_id}"


def _record(stored: str | None) -> dict[str, object]:
    """The stored record: ``{channel, ts}`` once posted, ``{posting, since}`` while a build posts."""
    try:
        value = json.loads(stored) if stored else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class SlackNotifier:
    """Publishes investigations to Slack, one message per incident, updated on every rebuild.

    Args:
        client: The Slack Web API client (``slack_client``).
        store: Where each incident's message ``ts`` is kept (the store's meta).
        links: Where the investigation pages are, for the message's button.
        claim_timeout: How long another worker's claim to post is waited on before it is taken
            over (that worker died mid-post); longer than a post with its retries takes.
        claim_poll: Seconds between looks while another worker posts.
        clock: The time claims are stamped with and judged by.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        store: GraphStore,
        links: Links,
        *,
        claim_timeout: timedelta = timedelta(minutes=2),
        claim_poll: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._store = store
        self._links = links
        self._claim_timeout = claim_timeout
        self._claim_poll = claim_poll
        self._clock = clock
        self._name = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tasks: set[asyncio.Task[str]] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def investigation_built(self, investigation: Investigation) -> None:
        """Publish ``investigation`` in the background; returns at once."""
        task = asyncio.create_task(self.publish(investigation), name=f"precedent-slack-{investigation.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the messages being published (tests, and shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self, grace: float = 5.0) -> None:
        """Give messages in flight ``grace`` seconds, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def publish(self, investigation: Investigation) -> str:
        """Post or update the incident's message; never raises.

        Returns:
            The outcome: ``posted``, ``updated``, ``no_channel`` or ``failed``.
        """
        incident = investigation.incident
        channel = incident.slack_channel_id
        fields: dict[str, object] = {
            "event": "slack_message",
            "incident_id": incident.id,
            "investigation_id": investigation.id,
            "channel": channel,
        }
        if incident.id is None or not channel:
            # incident.io creates the channel asynchronously; the build that follows it posts.
            return self._done("no_channel", fields, logging.INFO)
        # One lock per incident seen by this process (a few bytes each), kept: dropping one while a
        # rebuild waits on it would let a third build post beside the second.
        lock = self._locks.setdefault(incident.id, asyncio.Lock())
        try:
            async with lock:
                outcome, ts = await self._send(incident.id, channel, investigation)
        except Exception as exc:  # Slack, the network or the store: log and count, never propagate
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            fields |= {"error": error or type(exc).__name__, "detail": str(exc)[:300]}
            return self._done("failed", fields, logging.WARNING)
        return self._done(outcome, fields | {"ts": ts}, logging.INFO)

    async def _send(self, incident_id: str, channel: str, investigation: Investigation) -> tuple[str, str]:
        message = investigation_message(investigation, self._links)
        blocks = list(message.blocks)
        key = _meta_key(incident_id)
        while True:
            stored = await self._store.get_meta(key)
            previous = _record(stored)
            if previous.get("channel") == channel and previous.get("ts"):
                try:
                    await self._client.chat_update(
                        channel=channel, ts=str(previous["ts"]), text=message.text, blocks=blocks
                    )
                    return "updated", str(previous["ts"])
                except SlackApiError as exc:
                    if exc.response.get("error") not in _REPOST:
                        raise
            elif self._posting_elsewhere(previous):
                # Another worker is posting this incident's message: edit it once it is there.
                await asyncio.sleep(self._claim_poll)
                continue
            claim = json.dumps({"posting": self._name, "since": self._clock().isoformat()})
            if not await self._store.replace_meta(key, stored, claim):
                continue  # another worker changed it first: look again
            try:
                response = await self._client.chat_postMessage(
                    channel=channel, text=message.text, blocks=blocks, unfurl_links=False, unfurl_media=False
                )
            except BaseException:
                # Let the next build (here or in another worker) post instead of waiting out the claim.
                await self._store.replace_meta(key, claim, stored or "")
                raise
            ts = str(response["ts"])
            posted_channel = str(response.get("channel") or channel)
            await self._store.replace_meta(key, claim, json.dumps({"channel": posted_channel, "ts": ts}))
            return "posted", ts

    def _posting_elsewhere(self, record: dict[str, object]) -> bool:
        """Whether ``record`` is another build's claim to post, recent enough to still be alive."""
        since = record.get("since")
        # Its own claim is one a failed release left: this process posts one build at a time.
        if record.get("posting") in (None, self._name) or not isinstance(since, str):
            return False
        try:
            claimed = datetime.fromisoformat(since)
        except ValueError:
            return False
        return self._clock() - claimed < self._claim_timeout

    @staticmethod
    def _done(outcome: str, fields: dict[str, object], level: int) -> str:
        SLACK_MESSAGES.labels(outcome).inc()
        fields = {**fields, "outcome": outcome}
        log.log(level, " ".join(f"{k}={v}" for k, v in fields.items()), extra={"fields": fields})
        return outcome
