"""A fake Slack Web API: a real aiohttp server on a random free port that answers like Slack.

Point the app at it with SLACK_API_URL=fake.api_url. It records every call (method, body, token) so a
test asserts on exactly what was posted; it fails or rate-limits a method on demand:

    fake.fail("chat.postMessage", "channel_not_found", times=1)
    fake.rate_limit("chat.postMessage", retry_after=0, times=1)
    fake.server_error("chat.postMessage", status=503, times=2)
    fake.always_fail("chat.postMessage", 429, retry_after=1)   # a workspace that never lets up
    fake.hold("users.info")     # calls wait (Slack is slow) until fake.release("users.info")

At random too (off by default): `FakeSlack(faults=Faults(server_errors=0.05, rate_limits=0.01,
dropped=0.005))` answers that share of Web API calls with 503, with 429 and Retry-After, and stores
that share of chat.postMessage/chat.update calls but cuts the connection before answering. A call's
`fault` says what was done to it.

Socket Mode too: apps.connections.open hands out a WebSocket here, and `await fake.socket_send(kind,
payload)` delivers an envelope and returns the app's acknowledgement. Response URLs (slash commands,
buttons) are served as well: `fake.response_url("c1")` makes one, and what the app sends there is
recorded as method "response_url".

What was posted stays readable as in Slack: conversations.history (a channel's messages, newest first,
thread replies left out) and conversations.replies (a thread's parent, then its replies, oldest first),
with oldest/latest/inclusive, limit and cursor pagination (has_more, response_metadata.next_cursor).
A message's ts is its time (`now`, the wall clock unless a test gives its own clock); messages of people
or other apps are added with `fake.add_message(...)`.

Use the `fake_slack` fixture (registered in tests/conftest.py), or `async with FakeSlack() as fake`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web

from tests.fakes.faults import DROPPED, Faults, drop_answer

JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
WRITES = frozenset({"chat.postMessage", "chat.update"})  # the calls whose answer a fault may drop


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None
    path: str = ""
    fault: str | None = None  # what Faults did to it: 5xx, 429 or dropped


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None = None


@dataclass
class FakeSlack:
    team_id: str = "T0TEAM"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    locales: dict[str, str] = field(default_factory=dict)  # user id -> Slack locale (users.info include_locale)
    # OAuth: what oauth.v2.access hands out for a code (team id -> installation)
    installs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # channel id -> {"name", "members": [user ids], "is_private"}: what conversations.info / .members answer
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    # channel -> its messages as Slack stores them, in the order they were posted (threads included)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    now: Callable[[], float] = time.time  # what a new message's ts says
    faults: Faults | None = None  # random 5xx, 429 and dropped answers (off by default)

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._always: dict[str, _Failure] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._ts = itertools.count(1)
        self._last_us = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes = itertools.count(1)
        self.url = ""

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)  # slack_sdk GETs some methods (users.info)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    # ------------------------------------------------------------ set-up

    def add_user(self, user_id: str, email: str | None, name: str = "", team_id: str | None = None,
                 tz: str = "America/Los_Angeles", is_bot: bool = False, locale: str = "en-US") -> None:
        """A person of the workspace; `locale` is their Slack language, which users.info reports (as `user.locale`)
        only when asked with include_locale, as Slack does."""
        profile = {"real_name": name or user_id, "display_name": name or user_id}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": team_id or self.team_id, "name": name or user_id,
                               "real_name": name or user_id, "is_bot": is_bot, "tz": tz,
                               "tz_label": tz, "tz_offset": 0, "profile": profile}
        self.locales[user_id] = locale

    def add_channel(self, channel_id: str, name: str, members: list[str], bot_in: bool = True,
                    private: bool = False) -> None:
        """A channel with these members (user ids); the bot is one of them unless `bot_in` is False."""
        self.channels[channel_id] = {"name": name, "is_private": private,
                                     "members": [*members, *([self.bot_user_id] if bot_in else [])]}

    def add_message(self, channel: str, text: str, *, user: str | None = None, bot_id: str | None = None,
                    blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> str:
        """A message someone else posted (a person: `user`; another app: `bot_id` and its `user`); its ts."""
        message: dict[str, Any] = {"type": "message", "text": text, "ts": self._next_ts(), "team": self.team_id}
        if user:
            message["user"] = user
        if bot_id:
            message["bot_id"] = bot_id
        if blocks:
            message["blocks"] = blocks
        self._store(channel, message, thread_ts)
        return message["ts"]

    def fail(self, method: str, error: str, times: int = 1, status: int = 200) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error}."""
        self._failures[method].extend(_Failure(status, error) for _ in range(times))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls answer HTTP 429 with Retry-After, as Slack does."""
        self._failures[method].extend(_Failure(429, "ratelimited", retry_after) for _ in range(times))

    def server_error(self, method: str, status: int = 500, times: int = 1) -> None:
        self._failures[method].extend(_Failure(status, None) for _ in range(times))

    def always_fail(self, method: str, status: int, retry_after: int | None = None) -> None:
        """Every call of `method` from now on answers HTTP `status` (429: "ratelimited", with Retry-After)."""
        self._always[method] = _Failure(status, "ratelimited" if status == 429 else None, retry_after)

    def recover(self, method: str) -> None:
        """`method` answers normally again (its queued and lasting failures forgotten)."""
        self._failures.pop(method, None)
        self._always.pop(method, None)

    def hold(self, method: str) -> None:
        """Calls of `method` are recorded, then answered only after `release(method)`: a stalled Slack."""
        self._held[method] = asyncio.Event()

    def release(self, method: str) -> None:
        held = self._held.pop(method, None)
        if held is not None:
            held.set()

    # ------------------------------------------------------------ assertions

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def bodies(self, method: str) -> list[dict[str, Any]]:
        return [call.body for call in self.calls_to(method)]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait (on an event, not a sleep) until `method` was called `count` times."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)

    async def socket_send(self, kind: str, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Socket Mode: hand the connected app an envelope and return its acknowledgement."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._sockets)), timeout)
        envelope_id = f"env-{next(self._envelopes)}"
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                           "accepts_response_payload": kind != "events_api", "retry_attempt": 0})
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: any(c.body.get("envelope_id") == envelope_id for c in self.calls_to("socket_ack"))), timeout)
        return next(c.body for c in self.calls_to("socket_ack") if c.body.get("envelope_id") == envelope_id)

    # ------------------------------------------------------------ the server

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {},
                                "connection_info": {"app_id": "A0APP"}})
        self._sockets.append(socket)
        async with self._changed:
            self._changed.notify_all()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self._record(Call("socket_ack", json.loads(message.data), None, request.path))
        self._sockets.remove(socket)
        return socket

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        for name in JSON_FIELDS:
            if isinstance(body.get(name), str) and body[name][:1] in "[{":
                body[name] = json.loads(body[name])
        return body

    async def _response_url(self, request: web.Request) -> web.Response:
        await self._record(Call("response_url", await self._body(request), None, request.path))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else body.get("token")
        call = Call(method, body, token, request.path)
        await self._record(call)
        if self.faults is not None:
            call.fault = self.faults.draw(method in WRITES)
            refused = self.faults.refusal(call.fault, {"ok": False, "error": "ratelimited"},
                                          {"ok": False, "error": "service_unavailable"})
            if refused is not None:
                return refused
        if method in self._held:
            await self._held[method].wait()
        if self._failures[method] or method in self._always:
            failure = self._failures[method].popleft() if self._failures[method] else self._always[method]
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            if failure.error is None:
                return web.Response(status=failure.status, text="upstream trouble", headers=headers)
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answered = web.json_response({"ok": True, **answer(body, token)})  # an answer may say "ok": False
        return drop_answer(request) if call.fault == DROPPED else answered

    def _next_ts(self) -> str:
        """Slack's ts: seconds.microseconds of the posting time, never the same twice."""
        self._last_us = max(int(self.now() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def _store(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> None:
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = next((m for m in self.messages[channel] if m["ts"] == thread_ts), None)
            if parent is not None:
                message["parent_user_id"] = parent.get("user")
                parent.update(thread_ts=thread_ts, reply_count=parent.get("reply_count", 0) + 1,
                              latest_reply=message["ts"])
        self.messages[channel].append(message)

    def _auth_test(self, body, token) -> dict[str, Any]:
        team = next((t for t, i in self.installs.items() if i["access_token"] == token), self.team_id)
        return {"url": "https://fake.slack.com/", "team": "Fake", "user": "okrbot", "team_id": team,
                "user_id": self.bot_user_id, "bot_id": self.bot_id, "is_enterprise_install": False}

    def _users_info(self, body, token) -> dict[str, Any]:
        user = self.users.get(body.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if str(body.get("include_locale", "")).lower() in ("1", "true"):
            return {"user": {**user, "locale": self.locales.get(user["id"], "en-US")}}
        return {"user": user}

    def _users_list(self, body, token) -> dict[str, Any]:
        """The workspace's people, `limit` a page, with Slack's cursor (as conversations.members)."""
        start = int(base64.b64decode(body["cursor"]).decode()) if body.get("cursor") else 0
        limit = int(body.get("limit") or 100)
        people = list(self.users.values())
        page, rest = people[start:start + limit], people[start + limit:]
        cursor = base64.b64encode(str(start + limit).encode()).decode() if rest else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_lookupByEmail(self, body, token) -> dict[str, Any]:
        email = str(body.get("email", "")).lower()
        user = next((u for u in self.users.values() if (u["profile"].get("email") or "").lower() == email), None)
        return {"user": user} if user else {"ok": False, "error": "users_not_found"}

    def _conversations_info(self, body, token) -> dict[str, Any]:
        """As Slack answers: a private channel the bot is not in is channel_not_found; `is_member` is the bot's."""
        channel_id = str(body.get("channel", ""))
        channel = self.channels.get(channel_id)
        if channel is None or (channel["is_private"] and self.bot_user_id not in channel["members"]):
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": {"id": channel_id, "name": channel["name"], "is_channel": not channel["is_private"],
                            "is_private": channel["is_private"], "is_member": self.bot_user_id in channel["members"],
                            "num_members": len(channel["members"])}}

    def _conversations_members(self, body, token) -> dict[str, Any]:
        """Member ids, `limit` a page, with Slack's cursor (the next member's offset, base64)."""
        channel = self.channels.get(str(body.get("channel", "")))
        if channel is None or self.bot_user_id not in channel["members"]:
            return {"ok": False, "error": "channel_not_found" if channel is None else "not_in_channel"}
        start = int(base64.b64decode(body["cursor"]).decode()) if body.get("cursor") else 0
        limit = int(body.get("limit") or 100)
        page, rest = channel["members"][start:start + limit], channel["members"][start + limit:]
        cursor = base64.b64encode(str(start + limit).encode()).decode() if rest else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _chat_postMessage(self, body, token) -> dict[str, Any]:
        ts = self._next_ts()
        message = {"type": "message", "text": body.get("text", ""), "ts": ts, "user": self.bot_user_id,
                   "bot_id": self.bot_id, "app_id": "A0APP", "team": self.team_id}
        if body.get("blocks"):  # Slack gives every block an id
            message["blocks"] = [{"block_id": f"b{n}", **block} for n, block in enumerate(body["blocks"])]
        self._store(str(body.get("channel")), message, body.get("thread_ts"))
        return {"channel": body.get("channel"), "ts": ts, "message": dict(message)}

    def _chat_postEphemeral(self, body, token) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _chat_update(self, body, token) -> dict[str, Any]:
        for message in self.messages.get(str(body.get("channel")), []):
            if message["ts"] == body.get("ts"):
                message["text"] = body.get("text", "")
                if body.get("blocks"):
                    message["blocks"] = body["blocks"]
        return {"channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text", "")}

    def _conversations_history(self, body, token) -> dict[str, Any]:
        """A channel's messages newest first: thread parents, not their replies."""
        top = [m for m in self.messages.get(str(body.get("channel")), []) if m.get("thread_ts") in (None, m["ts"])]
        return self._page(sorted(self._between(top, body), key=lambda m: float(m["ts"]), reverse=True), body)

    def _conversations_replies(self, body, token) -> dict[str, Any]:
        """A thread: its parent first (always), then the replies in the time window, oldest first."""
        channel, ts = str(body.get("channel")), body.get("ts")
        parent = next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        replies = [m for m in self.messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]
        page = self._page(sorted(self._between(replies, body), key=lambda m: float(m["ts"])), body)
        if not body.get("cursor"):
            page["messages"].insert(0, parent)
        return page

    @staticmethod
    def _between(messages: list[dict[str, Any]], body) -> list[dict[str, Any]]:
        inclusive = str(body.get("inclusive", "")).lower() in ("1", "true")
        oldest, latest = float(body.get("oldest") or 0), float(body.get("latest") or "inf")

        def inside(ts: float) -> bool:
            return (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)

        return [m for m in messages if inside(float(m["ts"]))]

    @staticmethod
    def _page(messages: list[dict[str, Any]], body) -> dict[str, Any]:
        """`limit` messages from the cursor on; the cursor names the next message's ts, as Slack's do."""
        start = 0
        if body.get("cursor"):
            next_ts = base64.b64decode(body["cursor"]).decode().removeprefix("next_ts:")
            start = next((n for n, m in enumerate(messages) if m["ts"] == next_ts), len(messages))
        limit = min(int(body.get("limit") or 100), 999)
        page, rest = messages[start:start + limit], messages[start + limit:]
        cursor = base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode() if rest else ""
        return {"messages": [dict(m) for m in page], "has_more": bool(rest),
                "response_metadata": {"next_cursor": cursor}}

    def _views_open(self, body, token) -> dict[str, Any]:
        n = next(self._ts)
        return {"view": {"id": f"V{n:08d}", "hash": f"{n}.hash", **(body.get("view") or {})}}

    _views_push = _views_update = _views_publish = _views_open

    def _conversations_open(self, body, token) -> dict[str, Any]:
        users = str(body.get("users", ""))
        return {"channel": {"id": "D" + users.split(",")[0].lstrip("U")}}

    def _apps_connections_open(self, body, token) -> dict[str, Any]:
        return {"url": self.url.replace("http://", "ws://") + "/socket"}

    def _oauth_v2_access(self, body, token) -> dict[str, Any]:
        team_id = body.get("code", "")
        install = self.installs.get(team_id)
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        return {
            "access_token": install["access_token"], "token_type": "bot", "scope": install.get("scope", ""),
            "bot_user_id": self.bot_user_id, "app_id": "A0APP", "team": {"id": team_id, "name": team_id},
            "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": install.get("user", "U0ADMIN")},
        }


@dataclass
class LimitedSlack(FakeSlack):
    """The fake with Slack's chat.postMessage limits: `channel_rate` per second per channel and `rate` per
    second per workspace (None: unlimited), answering HTTP 429 with an integer Retry-After above either.

    A post's workspace is `workspace_of(channel)` (default: the fake's one team). Every post that
    reached it is kept with its time (`now`) per workspace, accepted or not, so a test or the fan-out
    benchmark reads the busiest second; `record=False` keeps only those counters (thousands of posts).
    """

    rate: float | None = None
    channel_rate: float | None = 1.0
    workspace_of: Callable[[str], str] | None = None
    record: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self.window: dict[str, deque[float]] = defaultdict(deque)
        self.last_in_channel: dict[str, float] = {}
        self.accepted: Counter[str] = Counter()  # channel -> posts accepted
        self.arrivals: dict[str, list[float]] = defaultdict(list)  # workspace -> every post's time
        self.accepted_at: dict[str, list[float]] = defaultdict(list)
        self.refused = 0
        self.lookups = 0  # conversations.history calls: a restarted clock asking about a post in doubt
        self.found = 0  # ... for a channel whose post had arrived (the answer saves a double)

    async def _record(self, call: Call) -> None:
        if self.record:
            await super()._record(call)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "conversations.history":
            self.lookups += 1
            self.found += (await self._body(request)).get("channel") in self.accepted
        if method != "chat.postMessage":
            return await super()._api(request)
        channel = str((await self._body(request)).get("channel"))
        workspace = self.workspace_of(channel) if self.workspace_of else self.team_id
        now = self.now()
        self.arrivals[workspace].append(now)
        window = self.window[workspace]
        while window and window[0] <= now - 1.0:
            window.popleft()
        wait = window[0] + 1.0 - now if self.rate is not None and len(window) >= self.rate else 0.0
        if self.channel_rate and channel in self.last_in_channel:
            wait = max(wait, self.last_in_channel[channel] + 1.0 / self.channel_rate - now)
        if wait > 0:
            self.refused += 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(max(1, math.ceil(wait)))})
        window.append(now)
        self.last_in_channel[channel] = now
        self.accepted[channel] += 1
        self.accepted_at[workspace].append(now)
        return await super()._api(request)

    def busiest_second(self, workspace: str, accepted: bool = False) -> int:
        """The most posts that reached the fake (or that it accepted) for `workspace` within one second."""
        times = sorted((self.accepted_at if accepted else self.arrivals)[workspace])
        most, first = 0, 0
        for last, moment in enumerate(times):
            while times[first] <= moment - 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most


@pytest.fixture
async def fake_slack():
    """A running fake Slack Web API; `fake_slack.api_url` is what SLACK_API_URL should be."""
    async with FakeSlack() as fake:
        yield fake
