"""Posts each investigation the webhook worker builds to its incident's Slack channel, then keeps it current.

Runs after the investigation is stored, in a background task: Slack being slow, rate limited or
down never delays or fails the investigation, nor the webhook delivery that asked for it; a
failure is one structured log line and a count in ``precedent_slack_messages_total``.

The first build of an incident posts a message (``chat.postMessage``); its channel and ``ts`` are
kept in the map (``notify/records.py``), so every later build, in this process, after a restart or
in another worker on the same Neo4j map, edits that message (``chat.update``) instead of posting
again. Builds of one incident are published one at a time: in this process by a lock, across
processes by a lease on that record, renewed while held; an investigation older than the one the
message already shows is not published (``superseded``). Each message carries metadata naming
its incident and build, and the record says when a post was sent whose answer was never written:
the next poster then looks for that message in the channel and adopts it (``adopted``) rather than
posting a second one (``notify/history.py``).

``redraw`` edits the message to show the same build again, as its channel may see it now: once an
incident it names is made private (``notify/made_private.py``). The list worker there finds a
message by its record, so one posted or edited while an incident it names was being made private
may have been looked for before its record was written: the poster reads what it names again once
the record is written, and redraws it itself (``_recheck``). The incident may already be off the
list, so nothing else would ever redraw it: before posting, the poster lists the message in the
map (``notify/checks.py``) and takes it off once checked; if the map cannot answer that read, it
stays listed and the list worker of any process checks it again on its next turn (``recheck``),
also after this process stopped.

slack-sdk's retry handlers do the retrying (``notify/client.py``): a 429 waits its ``Retry-After``,
a 500/503 or a dropped connection is retried with exponential back-off, except a post's: Slack may
have carried it out, so the message is looked for in the channel before it is posted again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from precedent.errors import NotFound
from precedent.ingest.visibility import list_made_private, made_private_among
from precedent.metrics import SLACK_MESSAGES
from precedent.notify.blocks import investigation_message
from precedent.notify.checks import PendingChecks
from precedent.notify.client import SLACK_API_URL, slack_client
from precedent.notify.failures import INVITE_WAIT, awaiting_invitation, failure, passing
from precedent.notify.history import PostedMessages, message_metadata
from precedent.notify.records import MessageRecord, MessageRecords
from precedent.notify.turns import Turns
from precedent.notify.unpublished import Unpublished

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Collection
    from datetime import datetime

    from slack_sdk.web.async_client import AsyncWebClient

    from precedent.investigation import Investigation
    from precedent.links import Links
    from precedent.notify.records import Lease
    from precedent.store import GraphStore

__all__ = ["SLACK_API_URL", "SlackNotifier", "slack_client"]

log = logging.getLogger("precedent.notify")

# chat.update answers these when the stored message is gone or no longer ours: post a new one.
_REPOST = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
# Outcomes after which the channel shows what ``publish`` was given (or a newer build).
_SENT = frozenset({"posted", "updated", "adopted"})


class SlackNotifier:
    """Publishes investigations to Slack, one message per incident, updated on every rebuild.

    Args:
        client: The Slack Web API client (``slack_client``).
        store: Where each incident's message ``ts`` is kept (the store's meta).
        links: Where the investigation pages are, for the message's button.
        records: How the records are kept and leased (tests shorten the lease).
        views: An incident's build made at a moment, drawn again as its channel may see it now
            (``investigation.channel_view`` given the collaborators): for a message sent while
            an incident it names was made private.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        store: GraphStore,
        links: Links,
        records: MessageRecords | None = None,
        *,
        views: Callable[[str, datetime], Awaitable[Investigation]],
    ) -> None:
        self._client = client
        self._store = store
        self._records = records or MessageRecords(store)
        self._views = views
        self._links = links
        self._tasks: set[asyncio.Task[str]] = set()
        self._turns = Turns()
        self._checks = PendingChecks(store)
        self._unpublished = Unpublished(store)
        self._history = PostedMessages(client)
        self._publishing: dict[str, int] = {}  # incident id -> builds being published by this process
        self._takeover_at: datetime | None = None  # when the next build held by another process may be taken

    async def will_publish(self, investigation: Investigation) -> None:
        """List ``investigation`` in the map as to be published, before its delivery is done.

        Raises:
            StoreError: if the map cannot be written (the delivery fails, and its retry builds again).
        """
        incident_id = investigation.incident.id
        if incident_id is not None and investigation.incident.slack_channel_id:
            await self._unpublished.add(incident_id, investigation.built_at)

    def investigation_built(self, investigation: Investigation) -> None:
        """Publish ``investigation`` in the background; returns at once."""
        incident_id = investigation.incident.id or ""
        self._publishing[incident_id] = self._publishing.get(incident_id, 0) + 1
        task = asyncio.create_task(self.publish(investigation), name=f"precedent-slack-{investigation.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._published(incident_id))

    def _published(self, incident_id: str) -> None:
        left = self._publishing.pop(incident_id, 0) - 1
        if left > 0:
            self._publishing[incident_id] = left

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
            The outcome: ``posted``, ``updated``, ``superseded`` (a newer build is already shown),
            ``adopted`` (a stopped process had posted it: found in the channel, recorded, not posted
            again), ``no_channel``, ``failed`` (tried again within a minute if it may pass) or
            ``refused`` (Slack refused it: not tried again).
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
            if incident.id is not None:  # listed with a channel the incident has no more
                await self._unlist(incident.id, investigation.built_at)
            return self._done("no_channel", fields, logging.INFO)
        try:
            async with self._turns.of(incident.id):
                outcome, ts = await self._send(incident.id, channel, investigation)
        except Exception as exc:  # Slack, the network or the store: log and count, never propagate
            outcome, more = failure(exc)
            outcome, ts = self._done(outcome, fields | more, logging.WARNING), None
            waiting = self._records.now() - investigation.built_at < INVITE_WAIT
            again = passing(exc) or (awaiting_invitation(exc) and waiting)
        else:
            self._done(outcome, fields | {"ts": ts}, logging.INFO)
            again = False
        # Ended: taken off, unless it failed for a while only (rate limited past the retries, Slack
        # or the map down, the app not invited yet): then it stays listed and the list worker
        # tries it again. A publish cut
        # short by a stop or a crash never gets here, so the build stays listed for the next turn.
        if not again:
            await self._unlist(incident.id, investigation.built_at)
        if outcome in _SENT:
            await self._recheck(incident.id, investigation)
        return outcome

    async def _unlist(self, incident_id: str, built_at: datetime) -> None:
        try:
            await self._unpublished.done(incident_id, built_at)
        except Exception as exc:  # the store is down: still listed, so published again (superseded)
            log.warning(
                "could not take the Slack message of %s off the list to publish: %s", incident_id, exc
            )

    async def republish(self) -> list[str]:
        """Start publishing the builds still listed whose publishing no process has under way.

        Their process stopped before publishing had ended. Each is drawn again as its channel may
        see it, at the moment it was built; one already shown is ``superseded``, so a build is
        never posted twice.

        Returns:
            The incidents whose builds are being published again.

        Raises:
            StoreError: if the map cannot be read.
        """
        published: list[str] = []
        self._takeover_at = None
        for incident_id, built_at in sorted((await self._unpublished.pending()).items()):
            if self._publishing.get(incident_id):
                continue  # being published here
            held_until = await self._records.held_until(incident_id)
            if held_until is not None:
                # Held by another process, which renews the lease while it lives: taken once it
                # runs out unrenewed (the holder died), at most a lease after its last renewal.
                self._takeover_at = min(held_until, self._takeover_at or held_until)
                continue
            try:
                investigation = await self._views(incident_id, built_at)
            except NotFound:  # the incident left the map, or its channel may no longer see it
                await self._unlist(incident_id, built_at)
                continue
            log.info("publishing the Slack message of %s, left unpublished by a stopped process", incident_id)
            # In the background, as a build is: a stop gives it the same grace (``aclose``).
            self.investigation_built(investigation)
            published.append(incident_id)
        return published

    def republish_due(self) -> float | None:
        """Seconds until a build the last ``republish`` left to a holder may be taken, if it left one.

        The list worker looks again then rather than a whole ``poll`` later: a holder that died is
        taken over when its lease runs out.
        """
        if self._takeover_at is None:
            return None
        return max((self._takeover_at - self._records.now()).total_seconds(), 0.0)

    async def _recheck(self, incident_id: str, sent: Investigation) -> None:
        """Redraw the message just sent if an incident it names is made private, or being made so.

        The list worker takes an incident off the list once it is private and every message citing
        it was redrawn; one that looked for this message before its record was written found none.
        The incident was private then, so this read, after the record is written, finds it. If the
        redraw fails, the incidents go back on the list, for the list worker to redraw it. If the
        map fails, the message stays listed as unchecked (``_send`` listed it) for ``recheck``:
        never raised (see ``publish``).
        """
        cited = sent.cited_incidents
        if not cited:
            return
        try:
            await self._check(incident_id, cited)
            await self._checks.done(incident_id, cited)
        except Exception as exc:  # the store is down: the map keeps it listed until it answers
            log.warning(
                "could not check the Slack message of %s against incidents made private: %s; it is "
                "checked again on the next turn of the list worker",
                incident_id,
                exc,
            )

    async def recheck(self) -> list[str]:
        """Check again the messages listed as unchecked: their poster's check failed, or it stopped.

        Returns:
            The incidents whose messages were checked (and redrawn, or listed, if need be).

        Raises:
            StoreError: if the map fails again; the messages not checked stay listed.
        """
        checked: list[str] = []
        for incident_id, cited in sorted((await self._checks.pending()).items()):
            if await self._records.posting(incident_id):
                # Being posted: a check now finds no message to redraw, and its poster checks it
                # once posted; a poster that stopped holding it is taken over on a later turn.
                # A message already posted is checked even while held: its holder may be an edit
                # that checks nothing once done (a build republished but already shown is
                # ``superseded``), and the redraw waits for the lease.
                continue
            await self._check(incident_id, cited)
            await self._checks.done(incident_id, cited)
            checked.append(incident_id)
        return checked

    async def _check(self, incident_id: str, cited: Collection[str]) -> None:
        named = await made_private_among(self._store, cited)
        if named and await self.redraw(incident_id, functools.partial(self._views, incident_id)) == "failed":
            await list_made_private(self._store, named)

    async def redraw(self, incident_id: str, render: Callable[[datetime], Awaitable[Investigation]]) -> str:
        """Edit the incident's message to show ``render(when its build was made)``; never raises.

        Nothing is posted: an incident without a message, or whose message is gone, has nothing
        left to edit.

        Returns:
            The outcome: ``redrawn``, ``no_message``, ``failed`` (to be tried again) or
            ``refused`` (Slack will not take the edit: the channel is archived, say).
        """
        fields: dict[str, object] = {"event": "slack_message", "incident_id": incident_id}
        try:
            if (await self._records.read(incident_id)).ts is None:
                return self._done("no_message", fields, logging.INFO)  # no lease on a record never posted
            async with self._turns.of(incident_id), self._records.holding(incident_id) as lease:
                outcome, fields["ts"] = await self._redraw(lease.record, render)
        except Exception as exc:  # Slack, the network, the store or the build: log and count
            outcome, more = failure(exc)
            return self._done(outcome, fields | more, logging.WARNING)
        return self._done(outcome, fields, logging.INFO)

    async def _redraw(
        self, found: MessageRecord, render: Callable[[datetime], Awaitable[Investigation]]
    ) -> tuple[str, str | None]:
        if found.channel is None or found.ts is None or found.built_at is None:
            return "no_message", None
        shown = await render(found.built_at)
        message = investigation_message(shown, self._links)
        try:
            await self._client.chat_update(
                channel=found.channel,
                ts=found.ts,
                text=message.text,
                blocks=list(message.blocks),
                metadata=message_metadata(shown),
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in _REPOST:
                raise
            return "no_message", found.ts
        return "redrawn", found.ts

    async def _send(
        self, incident_id: str, channel: str, investigation: Investigation
    ) -> tuple[str, str | None]:
        async with self._records.holding(incident_id) as lease:
            outcome, ts = await self._send_held(lease, incident_id, channel, investigation)
        if lease.lost and outcome == "posted" and ts is not None:
            return await self._keep_one(incident_id, channel, ts, investigation)
        return outcome, ts

    async def _keep_one(
        self, incident_id: str, channel: str, ts: str, investigation: Investigation
    ) -> tuple[str, str | None]:
        """Our post ``ts`` landed after our lease lapsed (the map missed its renewals): another
        process may have posted the message meanwhile. Keep one: theirs if recorded, else ours."""
        async with self._records.holding(incident_id) as lease:
            found = lease.record
            if found.channel != channel or found.ts in (None, ts):
                if found.ts is None:
                    lease.result = MessageRecord(channel, ts, investigation.built_at)
                return "posted", ts
            await self._client.chat_delete(channel=channel, ts=ts)
            log.warning(
                "deleted a second Slack message of %s, posted after this process lost its lease", incident_id
            )
            if found.built_at is not None and found.built_at >= investigation.built_at:
                return "superseded", found.ts
            outcome, shown = await self._post_or_update(lease, channel, found.ts, investigation)
            return outcome, shown

    async def _send_held(
        self, lease: Lease, incident_id: str, channel: str, investigation: Investigation
    ) -> tuple[str, str | None]:
        found = lease.record
        same = found.channel == channel and found.ts is not None
        if same and found.built_at is not None and found.built_at >= investigation.built_at:
            return "superseded", found.ts
        if investigation.cited_incidents:
            # Before Slack shows it: the poster's check after sending may find the map down,
            # and this process may stop before it answers (``notify/checks.py``).
            await self._checks.add(incident_id, investigation.cited_incidents)
        ts = found.ts if same else None
        if ts is None and found.channel == channel and found.unanswered is not None:
            # A post was sent here whose answer was never recorded: its process died, or
            # the answer was lost. Slack may show it: adopt it rather than post again.
            posted = await self._history.find(channel, incident_id, found.unanswered)
            if posted is not None:
                lease.result = MessageRecord(channel, posted.ts, posted.built_at)
                if posted.built_at > investigation.built_at:
                    return "adopted", posted.ts
                # Drawn again even when it shows this build: it was drawn before the process
                # died, and an incident it names may have been made private since (the list
                # worker found no ts to redraw then).
                outcome, ts = await self._post_or_update(lease, channel, posted.ts, investigation)
                return ("adopted" if outcome == "updated" else outcome), ts
        return await self._post_or_update(lease, channel, ts, investigation)

    async def _post_or_update(
        self, lease: Lease, channel: str, ts: str | None, investigation: Investigation
    ) -> tuple[str, str]:
        """Edit the message ``ts``, or post one; ``lease.result`` records it for the release."""
        message = investigation_message(investigation, self._links)
        blocks, metadata = list(message.blocks), message_metadata(investigation)
        incident = investigation.incident.id or ""
        if ts is not None:
            try:
                await self._client.chat_update(
                    channel=channel, ts=ts, text=message.text, blocks=blocks, metadata=metadata
                )
                lease.result = MessageRecord(channel, ts, investigation.built_at)
                return "updated", ts
            except SlackApiError as exc:
                if exc.response.get("error") not in _REPOST:
                    raise
        before = lease.result
        # Written before Slack is asked: if this process dies before the answer is recorded, the
        # next poster knows to look in the channel first (``notify/history.py``).
        sending = MessageRecord(channel, None, before.built_at, unanswered=self._records.now())
        if not await self._records.write(lease, sending):
            # Our lease ran out unrenewed (the map did not answer) and another process holds the
            # record now: posting too would show the message twice.
            raise TimeoutError(f"the Slack message of {incident} was taken over")
        lease.result = sending
        try:
            response = await self._client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            if not passing(exc):  # Slack refused it (``ok: false``): nothing was posted
                lease.result = before
                raise
            # A 5xx, a dropped connection or a timeout: Slack may have posted it (a 429 it did not).
            unanswered = sending.unanswered or self._records.now()
            posted = None if _rate_limited(exc) else await self._history.find(channel, incident, unanswered)
            if posted is None or posted.built_at != investigation.built_at:
                raise  # still marked as sent: the next turn looks again before posting
            lease.result = MessageRecord(channel, posted.ts, investigation.built_at)
            return "posted", posted.ts
        ts = str(response["ts"])
        lease.result = MessageRecord(str(response.get("channel") or channel), ts, investigation.built_at)
        return "posted", ts

    @staticmethod
    def _done(outcome: str, fields: dict[str, object], level: int) -> str:
        SLACK_MESSAGES.labels(outcome).inc()
        fields = {**fields, "outcome": outcome}
        log.log(level, " ".join(f"{k}={v}" for k, v in fields.items()), extra={"fields": fields})
        return outcome


def _rate_limited(exc: Exception) -> bool:
    return isinstance(exc, SlackApiError) and getattr(exc.response, "status_code", None) == 429
