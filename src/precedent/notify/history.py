"""Finds the incident's message in its channel: one a stopped process posted but never recorded.

Every message Precedent posts carries Slack message metadata naming its incident and build
(``message_metadata``). A process that dies after Slack answered ``chat.postMessage`` but before the
``ts`` was written to the map leaves only a mark that it sent one (``MessageRecord.unanswered``);
the next poster reads the channel's history around that moment (``conversations.history`` with
``include_all_metadata``) and adopts the message it finds instead of posting a second one. A post
Slack failed to answer (a 5xx, a dropped connection, a timeout) is looked for the same way at once.

Reading history needs the bot scope ``channels:history`` (public channels) or ``groups:history``
(private ones). Without it Slack answers ``missing_scope``: that is said once per scope in the
log, and the message is posted (at least once, never lost). Any other failure to read is logged,
and the message posted too.
Non-Marketplace apps may be held to one history call a minute and 15 messages a call, so the
window is short and few pages are read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from precedent.investigation import Investigation

__all__ = ["EVENT_TYPE", "PostedMessage", "PostedMessages", "message_metadata"]

log = logging.getLogger("precedent.notify")

EVENT_TYPE = "precedent_investigation"
"""The metadata event type of Precedent's messages (the Slack app need not declare it to post it)."""

_BEFORE = timedelta(seconds=60)  # our clock against Slack's
# A post lands within its request's time: 10 s, or a few more after 429s (Retry-After is about a
# second for posts). History comes newest first, so a window reaching far past it would fill the
# few pages a non-Marketplace app may read with later messages before reaching it.
_AFTER = timedelta(minutes=2)
_PAGE = 15  # the most a non-Marketplace app may ask for in one call
_PAGES = 5


def message_metadata(investigation: Investigation) -> dict[str, object]:
    """The metadata ``chat.postMessage`` and ``chat.update`` attach: which incident and build it shows."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "incident_id": investigation.incident.id or "",
            "investigation_id": investigation.id,
            "built_at": investigation.built_at.isoformat(),
        },
    }


@dataclass(frozen=True)
class PostedMessage:
    """A message of Precedent's found in a channel: its ``ts`` and when the build it shows was made."""

    ts: str
    built_at: datetime


def _ours(message: object, incident_id: str) -> PostedMessage | None:
    if not isinstance(message, dict):
        return None
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict) or payload.get("incident_id") != incident_id:
        return None
    try:
        return PostedMessage(str(message["ts"]), datetime.fromisoformat(str(payload["built_at"])))
    except (KeyError, ValueError):
        return None


class PostedMessages:
    """Looks for an incident's message in its channel's recent history; warns once without the scope.

    Args:
        client: The Slack Web API client.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._warned: set[str] = set()  # the scopes Slack said were missing (each said once)

    async def find(self, channel: str, incident_id: str, sent_at: datetime) -> PostedMessage | None:
        """The newest message naming ``incident_id`` posted around ``sent_at``, or ``None``; never raises.

        Args:
            channel: Where the post was sent.
            incident_id: The incident it was for.
            sent_at: When it was sent (``MessageRecord.unanswered``).
        """
        found: list[PostedMessage] = []
        cursor: str | None = None
        try:
            for _ in range(_PAGES):
                response = await self._client.conversations_history(
                    channel=channel,
                    oldest=f"{(sent_at - _BEFORE).timestamp():.6f}",
                    latest=f"{(sent_at + _AFTER).timestamp():.6f}",
                    inclusive=True,
                    include_all_metadata=True,
                    limit=_PAGE,
                    cursor=cursor,
                )
                for message in response.get("messages") or []:
                    if (ours := _ours(message, incident_id)) is not None:
                        found.append(ours)
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if cursor is None:
                    break
        except SlackApiError as exc:
            self._cannot_read(channel, incident_id, exc)
            return None
        except Exception as exc:  # the network: post, as before, rather than lose the message
            log.warning(
                "could not read the history of Slack channel %s to find the message of %s (%s): "
                "it may be shown twice",
                channel,
                incident_id,
                exc,
            )
            return None
        return max(found, key=lambda m: (m.built_at, m.ts), default=None)

    def _cannot_read(self, channel: str, incident_id: str, exc: SlackApiError) -> None:
        error = exc.response.get("error")
        if error == "missing_scope":
            # A public channel needs channels:history, a private one groups:history: each said once.
            needed = str(exc.response.get("needed") or "channels:history or groups:history")
            if needed not in self._warned:
                self._warned.add(needed)
                log.warning(
                    "the Slack token cannot read channel history (missing_scope; needs %s, has %s): a "
                    "message a stopped process posted cannot be found, so it may be posted twice. Add "
                    "the bot scopes channels:history and groups:history to the Slack app and "
                    "reinstall it (docs/slack.md). Said once.",
                    needed,
                    exc.response.get("provided") or "?",
                )
            return
        log.warning(
            "could not read the history of Slack channel %s to find the message of %s (%s): it may "
            "be shown twice",
            channel,
            incident_id,
            error or exc,
        )
