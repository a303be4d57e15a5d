"""What a failed Slack call means for the message: tried again later, or refused, and what to do.

Slack refusing a call answers ``ok: false`` with HTTP 200 (``not_in_channel``, ``is_archived``,
``invalid_auth``…): trying again changes nothing until someone acts, so it is ``refused`` and given
up, with what to do in the log. A rate limit outlasting slack-sdk's retries, a 5xx, the network or
the map failing may pass: ``failed``, and tried again on the list worker's next turn.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError

from precedent.errors import StoreError

__all__ = ["INVITE_WAIT", "awaiting_invitation", "failure", "passing"]

INVITE_WAIT = timedelta(hours=1)
"""How long a post refused for want of an invitation is tried again (every minute): the log asks
the responder to invite the app, and they expect the message once they have."""

_WHAT_TO_DO = {
    "not_in_channel": "invite the Slack app to the channel (a post is tried again every minute for an hour)",
    "channel_not_found": (
        "the channel was deleted, or is private and the Slack app not in it: invite it (a post is "
        "tried again every minute for an hour)"
    ),
    "is_archived": "the channel is archived: nothing to do",
    "missing_scope": "add the scope Slack names to the Slack app and reinstall it (docs/slack.md)",
    "invalid_auth": "check PRECEDENT_SLACK_BOT_TOKEN",
    "not_authed": "check PRECEDENT_SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: reinstall the Slack app and set PRECEDENT_SLACK_BOT_TOKEN",
    "account_inactive": "the token was revoked: reinstall the Slack app and set PRECEDENT_SLACK_BOT_TOKEN",
}
_NOT_INVITED = frozenset({"not_in_channel", "channel_not_found"})
AGAIN = "tried again on the next turn of the list worker (within a minute)"


def _status(exc: SlackApiError) -> int | None:
    status = getattr(exc.response, "status_code", None)  # a plain dict from a fake client has none
    return status if isinstance(status, int) else None


def passing(exc: Exception) -> bool:
    """Whether ``exc`` may pass if the call is made again later."""
    if isinstance(exc, SlackApiError):
        status = _status(exc)
        return status is None or status == 429 or status >= 500
    return isinstance(exc, (StoreError, TimeoutError, OSError, aiohttp.ClientError))


def awaiting_invitation(exc: Exception) -> bool:
    """Whether Slack refused the call because the app is not in the channel (yet)."""
    return isinstance(exc, SlackApiError) and exc.response.get("error") in (
        "not_in_channel",
        "channel_not_found",
    )


def failure(exc: Exception) -> tuple[str, dict[str, object]]:
    """The outcome of a publish or redraw that raised ``exc``, and the fields its log line adds.

    Returns:
        ``refused`` (Slack said no: given up) or ``failed``, and ``error``, ``detail`` and, when
        known, ``then`` (what happens next, or what to do).
    """
    refused = isinstance(exc, SlackApiError) and _status(exc) == 200
    error = str(exc.response.get("error")) if isinstance(exc, SlackApiError) else type(exc).__name__
    fields: dict[str, object] = {"error": error, "detail": str(exc)[:300]}
    then = AGAIN if passing(exc) else _WHAT_TO_DO.get(error) if refused else None
    if then:
        fields["then"] = then
    return ("refused" if refused else "failed"), fields
