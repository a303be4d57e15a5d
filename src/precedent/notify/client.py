"""The Slack Web API client: slack-sdk's, retrying what is safe to retry, never a post blindly.

A 429 is retried after its ``Retry-After`` (Slack carried nothing out). A 5xx or a dropped
connection is retried with exponential back-off, except for ``chat.postMessage``: Slack may have
posted it before failing to answer ("it's possible some aspect of the operation succeeded"), and a
second post would show the message twice. The notifier looks for it in the channel instead
(``notify/history.py``). An edit is safe to send again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState

__all__ = ["SLACK_API_URL", "slack_client"]

SLACK_API_URL = "https://slack.com/api/"
_NOT_REPEATABLE = "chat.postMessage"


def _repeatable(request: HttpRequest) -> bool:
    return not request.url.rstrip("/").endswith(_NOT_REPEATABLE)


class _NeverAPost(AsyncRetryHandler):
    """Put before a retry handler: it retries as that handler does, except ``chat.postMessage``."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return _repeatable(request) and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _ServerErrors(_NeverAPost, AsyncServerErrorRetryHandler):
    pass


class _ConnectionErrors(_NeverAPost, AsyncConnectionErrorRetryHandler):
    pass


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
            _ServerErrors(max_retry_count=3),
            _ConnectionErrors(max_retry_count=3),
        ],
    )
