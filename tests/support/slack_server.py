"""A local stand-in for Slack's Web API: ``chat.postMessage``, ``chat.update``, ``chat.delete`` and history.

A real HTTP server (aiohttp's, on 127.0.0.1 and a free port, in the test's event loop), so the
client under test is slack-sdk's own ``AsyncWebClient`` over real sockets. It records every call,
checks the bearer token, answers ``{"ok": false, "error": ...}`` with HTTP 200 for API errors
(``invalid_auth``, ``channel_not_found``, ``message_not_found``, ``missing_scope`` for a scope the
token lacks), keeps each message's metadata for the history, and can be scripted to answer
429 with ``Retry-After`` or 503, as Slack does when rate limited or down::

    async with SlackStandIn(token="xoxb-test", channels={"C1"}) as slack:
        slack.rate_limit(times=1, retry_after=1)
        ... client = slack_client("xoxb-test", base_url=slack.url) ...
        assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage"]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

__all__ = ["SlackCall", "SlackStandIn", "blocks_text"]


@dataclass(frozen=True)
class SlackCall:
    """One request the stand-in received."""

    method: str
    body: dict[str, Any]
    authorization: str | None
    status: int


@dataclass
class _Message:
    channel: str
    ts: str
    body: dict[str, Any]
    edits: int = 0


@dataclass
class SlackStandIn:
    """The stand-in. ``url`` is the Web API root to give the client (``http://127.0.0.1:N/api/``).

    Args:
        token: The bot token it accepts.
        channels: Channel ids that exist (others are ``channel_not_found``).
        scopes: The token's scopes (``conversations.history`` needs ``channels:history``, or
            ``groups:history`` in a private channel).
        private: The private channels among ``channels``.
        archived: Channels archived since (a post or an edit there is ``is_archived``).
    """

    token: str = "xoxb-standin-token"
    channels: set[str] = field(default_factory=lambda: {"C02AW36C1M5"})
    scopes: set[str] = field(default_factory=lambda: {"chat:write", "channels:history", "groups:history"})
    archived: set[str] = field(default_factory=set)
    private: set[str] = field(default_factory=set)
    calls: list[SlackCall] = field(default_factory=list)
    messages: dict[tuple[str, str], _Message] = field(default_factory=dict)
    _faults: list[tuple[int, dict[str, str], list[int]]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    clock: Callable[[], float] = time.time
    """Slack's clock: a message's ``ts`` is the time it was posted (plus a count, to keep each unique)."""
    port: int = 0
    latency: float = 0.0
    """Seconds each answer takes (a slow Slack widens the window two publishers could race in)."""
    _stalled: asyncio.Event | None = None
    _lost_answers: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def rate_limit(self, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls 429 with ``Retry-After`` (seconds)."""
        self._faults.append((429, {"Retry-After": str(retry_after)}, [times]))

    def down(self, *, times: int = 1_000_000) -> None:
        """Answer the next ``times`` calls 503, as Slack does in an outage."""
        self._faults.append((503, {}, [times]))

    def lose_answers(self, *, times: int = 1) -> None:
        """Carry out the next ``times`` posts but answer them 500 ``internal_error``, as Slack may
        ("it's possible some aspect of the operation succeeded")."""
        self._lost_answers = times

    def stall(self) -> None:
        """Answer no call until ``unstall``; those held then are answered 503 (their caller is gone)."""
        self._stalled = asyncio.Event()

    def unstall(self) -> None:
        if self._stalled is not None:
            self._stalled.set()
            self._stalled = None

    def posted(self) -> list[SlackCall]:
        return [c for c in self.calls if c.method == "chat.postMessage" and c.status == 200]

    def updated(self) -> list[SlackCall]:
        return [c for c in self.calls if c.method == "chat.update" and c.status == 200]

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)  # slack-sdk reads history with GET
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, known before the server starts
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.unstall()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            body: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        body = {**request.query, **body}  # slack-sdk sends some methods' arguments in the URL
        auth = request.headers.get("Authorization")
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._stalled is not None:
            await self._stalled.wait()
            self.calls.append(SlackCall(method, body, auth, 503))
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
        for status, headers, remaining in self._faults:
            if remaining[0] > 0:
                remaining[0] -= 1
                self.calls.append(SlackCall(method, body, auth, status))
                error = "ratelimited" if status == 429 else "service_unavailable"
                return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        answer = self._answer(method, body, auth)
        if method == "chat.postMessage" and answer.get("ok") and self._lost_answers > 0:
            self._lost_answers -= 1
            self.calls.append(SlackCall(method, body, auth, 500))
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        self.calls.append(SlackCall(method, body, auth, 200))
        return web.json_response(answer)

    def _answer(self, method: str, body: dict[str, Any], auth: str | None) -> dict[str, Any]:
        if auth != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        channel = str(body.get("channel", ""))
        if method in ("chat.postMessage", "chat.update") and channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        if method == "chat.postMessage":
            if channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            ts = f"{int(self.clock())}.{next(self._ts):06d}"
            self.messages[(channel, ts)] = _Message(channel, ts, body)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text"), "ts": ts}}
        if method == "chat.update":
            if channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            message = self.messages.get((channel, str(body.get("ts"))))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.body = body
            message.edits += 1
            return {"ok": True, "channel": channel, "ts": message.ts, "text": body.get("text")}
        if method == "chat.delete":
            if self.messages.pop((channel, str(body.get("ts"))), None) is None:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel, "ts": body.get("ts")}
        if method == "conversations.history":
            return self._history(channel, body)
        return {"ok": False, "error": "unknown_method"}

    def _history(self, channel: str, query: dict[str, Any]) -> dict[str, Any]:
        """Messages newest first from ``oldest`` to ``latest`` (ts), ``limit`` a page, as Slack pages them."""
        needed = "groups:history" if channel in self.private else "channels:history"
        if needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        oldest, latest = float(query.get("oldest") or 0), float(query.get("latest") or 1e12)
        within = sorted(
            (m for m in self.messages.values() if m.channel == channel and oldest <= float(m.ts) <= latest),
            key=lambda m: float(m.ts),
            reverse=True,
        )
        start, limit = int(query.get("cursor") or 0), int(query.get("limit") or 100)
        page = within[start : start + limit]
        more = start + limit < len(within)
        with_metadata = query.get("include_all_metadata") in ("true", "1", "True")
        messages = [
            {"type": "message", "ts": m.ts, "text": m.body.get("text")}
            | ({"metadata": m.body["metadata"]} if with_metadata and m.body.get("metadata") else {})
            for m in page
        ]
        cursor = str(start + limit) if more else ""
        page_info = {"next_cursor": cursor}
        return {"ok": True, "messages": messages, "has_more": more, "response_metadata": page_info}


def blocks_text(body: dict[str, Any]) -> str:
    """Every text in a recorded message's blocks, joined (for assertions)."""
    blocks = body.get("blocks")
    if isinstance(blocks, str):  # sent form-encoded, blocks arrive as a JSON string
        blocks = json.loads(blocks)
    return json.dumps(blocks)
