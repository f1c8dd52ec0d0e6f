"""A fake Bot Connector (the Teams service side of /v3/conversations) on a random local port.

It speaks the wire format the SDK's ConnectorClient uses and records every call, so tests assert on
exactly what okrbot sent: new conversations (channel threads), sends, replies, updates, and member
look-ups. It answers like the service: a new channel thread gets the id "CHANNEL;messageid=ROOT"
and the root activity id; each sent activity gets a fresh id. `fail_next` makes the next calls
answer an error (429 with Retry-After, 412, 502, 403...) to exercise backoff and permanent failures;
`fail_always` makes every call of one kind fail from then on; `fail_next_lookups` does the same as
`fail_next` for member look-ups.

At random too (off by default): with `faults` (tests/fakes/faults.Faults) a share of the write calls
answers 503, a share 429 with Retry-After, and a share is carried out (recorded, with its ids) but
its answer dropped: the connection is cut, so okrbot cannot tell the activity arrived. A call's
`fault` says what was done to it.

It is Microsoft Graph's view of the same channels too (`graph_url`): with a team registered
(`graph_team`, the team's Azure AD group id and its channels; `consented=False` answers 403 as Graph
does without the RSC permission ChannelMessage.Read.Group), GET /v1.0/teams/{group}/channels/{channel}/
messages/delta?$filter=lastModifiedDateTime gt T lists the thread roots the service stored (answer
dropped or not), and .../messages/{root}/replies a thread's replies, as chatMessage resources: `id`,
`createdDateTime` (by `now`, the fake's clock), `from.application.id` (the bot's app id), `summary`,
the card as an attachment's JSON string. Reads draw `faults` too (never dropped).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.faults import DROPPED, Faults, drop_answer

THREAD_MARK = ";messageid="


@dataclass
class Call:
    kind: str  # create | send | reply | update | member
    conversation: str | None
    activity_id: str | None
    body: dict[str, Any]
    answer_status: int = 200
    authorization: str | None = None  # the bot's outbound token, as sent
    at: float = field(default_factory=time.monotonic)  # when it arrived (benchmarks check rates with it)
    reply_id: str | None = None  # the id a reply got (activity_id is the activity it answers)
    fault: str | None = None  # what Faults did to it: 5xx, 429 or dropped (carried out, answer lost)
    created: float = 0.0  # when it reached the service, by the fake's clock (`now`): Graph's createdDateTime

    @property
    def card(self) -> dict[str, Any] | None:
        """The Adaptive Card of the activity sent, if any."""
        activity = self.body.get("activity", self.body) if self.kind == "create" else self.body
        for attachment in activity.get("attachments") or ():
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None

    @property
    def text(self) -> str:
        """Every text of the card (or the activity's text), for assertions."""
        card = self.card
        if card is None:
            activity = self.body.get("activity", self.body)
            return activity.get("text") or ""
        return "\n".join(_texts(card))


def _texts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "value", "label") and isinstance(value, str):
                found.append(value)
            elif key != "data":
                found.extend(_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_texts(item))
    return found


@dataclass
class FakeBotConnector:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount JSON
    # team id -> its channels ({"id", "name"}; the General channel's id is the team's and has no name)
    team_channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _lookup_failures: list[int] = field(default_factory=list)
    _always: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1_700_000_000_001))
    faults: Faults | None = None
    now: Callable[[], float] = time.time  # the service's clock (epoch seconds), for Graph's timestamps
    graph: dict[str, tuple[set[str], bool]] = field(default_factory=dict)  # group id -> (channels, consented)
    _drops: int = 0
    _graph_failures: list[int] = field(default_factory=list)

    def drop_next(self, count: int = 1) -> None:
        """The next `count` write calls are carried out but their answer is lost (the connection cut)."""
        self._drops += count

    def fail_next_graph(self, count: int, status: int = 503) -> None:
        """The next `count` Graph reads answer `status`."""
        self._graph_failures.extend([status] * count)

    def graph_team(self, group: str, channels: list[str], consented: bool = True) -> None:
        """Graph knows this team (its Azure AD group id) and its channels; `consented`: RSC granted."""
        self.graph[group] = (set(channels), consented)

    def fail_next(self, count: int, status: int = 429, retry_after: str | None = "0") -> None:
        """The next `count` write calls answer `status` (with Retry-After when given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._failures.extend([(status, headers)] * count)

    def fail_always(self, kind: str, status: int = 429, retry_after: str | None = "0") -> None:
        """Every `kind` call (create, send, reply, update) from now on answers `status`."""
        self._always[kind] = (status, {"Retry-After": retry_after} if retry_after is not None else {})

    def fail_next_lookups(self, count: int, status: int = 503) -> None:
        """The next `count` member look-ups answer `status` (the write calls are not affected)."""
        self._lookup_failures.extend([status] * count)

    def add_member(self, user_id: str, aad_object_id: str, email: str, name: str) -> None:
        self.members[user_id] = {"id": user_id, "aadObjectId": aad_object_id, "email": email,
                                 "userPrincipalName": email, "name": name, "givenName": name.split()[0]}

    def of(self, kind: str) -> list[Call]:
        return [call for call in self.calls if call.kind == kind and call.answer_status < 300]

    def delivered(self) -> list[Call]:
        """Every activity that reached the 'service' (created, sent, replied or updated), in order."""
        return [call for call in self.calls if call.kind != "member" and call.answer_status < 300]

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _failure(self, call: Call) -> web.Response | None:
        self.calls.append(call)
        call.created = self.now()
        if not self._failures and call.kind not in self._always:
            return self._fault(call)
        status, headers = self._failures.pop(0) if self._failures else self._always[call.kind]
        call.answer_status = status
        error = {"error": {"code": "Throttled" if status == 429 else "Failed", "message": f"fake {status}"}}
        return web.json_response(error, status=status, headers=headers)

    def _fault(self, call: Call, write: bool = True) -> web.Response | None:
        """A random refusal, when `faults` says so (a dropped answer is applied once the call is done);
        a Graph read (`write=False`) is never dropped and answers with Graph's error codes."""
        if self._drops and write:
            self._drops -= 1
            call.fault = DROPPED
            return None
        if self.faults is None:
            return None
        call.fault = self.faults.draw(write=write)
        codes = ("Throttled", "ServiceError") if write else ("TooManyRequests", "ServiceNotAvailable")
        refused = self.faults.refusal(call.fault, {"error": {"code": codes[0], "message": "fake 429"}},
                                      {"error": {"code": codes[1], "message": "fake 503"}})
        if refused is not None:
            call.answer_status = refused.status
        return refused

    @staticmethod
    def _answer(request: web.Request, call: Call, body: dict[str, Any]) -> web.Response:
        return drop_answer(request) if call.fault == DROPPED else web.json_response(body)

    # ------------------------------------------------------------ routes

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("create", None, None, body,
                    authorization=request.headers.get("Authorization"))
        if (failed := self._failure(call)) is not None:
            return failed
        root = self._next_id()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        conversation = f"{channel}{THREAD_MARK}{root}" if channel else f"a:{root}"
        call.conversation, call.activity_id = conversation, root
        return self._answer(request, call, {"id": conversation, "activityId": root, "serviceUrl": self.url})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("send", request.match_info["conversation"], None, body,
                    authorization=request.headers.get("Authorization"))
        if (failed := self._failure(call)) is not None:
            return failed
        call.activity_id = self._next_id()
        return self._answer(request, call, {"id": call.activity_id})

    async def reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("reply", request.match_info["conversation"], request.match_info["activity"], body,
                    authorization=request.headers.get("Authorization"))
        if (failed := self._failure(call)) is not None:
            return failed
        call.reply_id = self._next_id()
        return self._answer(request, call, {"id": call.reply_id})

    async def update(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("update", request.match_info["conversation"], request.match_info["activity"], body,
                    authorization=request.headers.get("Authorization"))
        if (failed := self._failure(call)) is not None:
            return failed
        return self._answer(request, call, {"id": request.match_info["activity"]})

    async def member(self, request: web.Request) -> web.Response:
        user = request.match_info["member"]
        call = Call("member", request.match_info["conversation"], None, {"member": user},
                    authorization=request.headers.get("Authorization"))
        self.calls.append(call)
        if self._lookup_failures:
            call.answer_status = self._lookup_failures.pop(0)
            return web.json_response({"error": {"code": "ServiceError", "message": "fake"}}, status=call.answer_status)
        found = self.members.get(user) or next((m for m in self.members.values() if m["aadObjectId"] == user), None)
        if found is None:
            return web.json_response({"error": {"code": "NotFound", "message": "member not found"}}, status=404)
        return web.json_response(found)

    async def roster(self, request: web.Request) -> web.Response:
        """GET /v3/conversations/{id}/members: everyone the fake knows (a team's roster), as Teams lists them."""
        self.calls.append(Call("roster", request.match_info["conversation"], None, {}))
        return web.json_response(list(self.members.values()))

    async def channels(self, request: web.Request) -> web.Response:
        team = request.match_info["team"]
        self.calls.append(Call("channels", team, None, {}))
        if team not in self.team_channels:
            return web.json_response({"error": {"code": "NotFound", "message": "team not found"}}, status=404)
        return web.json_response({"conversations": self.team_channels[team]})

    # ------------------------------------------------------------ Microsoft Graph

    @property
    def graph_url(self) -> str:
        return f"{self.url}v1.0"

    def _graph_refusal(self, request: web.Request) -> web.Response | None:
        group, channel = request.match_info["group"], request.match_info["channel"]
        self.calls.append(call := Call("graph", channel, request.match_info.get("root"), dict(request.query),
                                       authorization=request.headers.get("Authorization")))
        known = self.graph.get(group)
        status = 404 if known is None or channel not in known[0] else 403 if not known[1] else None
        if status is None and self._graph_failures:
            status = self._graph_failures.pop(0)
        if status is None and (refused := self._fault(call, write=False)) is not None:
            return refused
        if status is not None:
            call.answer_status = status
            code = {403: "Forbidden", 404: "NotFound"}.get(status, "ServiceNotAvailable")
            return web.json_response({"error": {"code": code, "message": "fake"}}, status=status)
        return None

    def _stored(self) -> list[tuple[Call, str, str | None]]:
        """(call, message id, thread root or None) of every message the service stored, in order."""
        stored = []
        for call in self.calls:
            if call.answer_status >= 300 or call.kind not in ("create", "send", "reply"):
                continue
            if call.kind == "create":
                stored.append((call, call.activity_id, None))
            elif THREAD_MARK in (call.conversation or ""):
                stored.append((call, call.reply_id or call.activity_id, call.conversation.split(THREAD_MARK)[1]))
        return stored

    def _message(self, call: Call, message_id: str, updates: dict[str, Call]) -> dict[str, Any]:
        """A stored activity as Graph's chatMessage (its last update's card and time, if any)."""
        latest = updates.get(message_id, call)
        activity = latest.body.get("activity", latest.body) if latest.kind == "create" else latest.body
        sender = (call.body.get("bot") if call.kind == "create" else call.body.get("from")) or {}
        return {"id": message_id, "messageType": "message", "createdDateTime": _stamp(call.created),
                "lastModifiedDateTime": _stamp(latest.created), "deletedDateTime": None,
                "summary": activity.get("summary"),
                "from": {"application": {"id": (sender.get("id") or "").removeprefix("28:"),
                                         "displayName": sender.get("name"), "applicationIdentityType": "bot"},
                         "user": None},
                "body": {"contentType": "html", "content": "".join(
                    f'<attachment id="{message_id}-{n}"></attachment>'
                    for n, _ in enumerate(activity.get("attachments") or ()))},
                "attachments": [{"id": f"{message_id}-{n}", "contentType": a.get("contentType"),
                                 "content": json.dumps(a.get("content"))}
                                for n, a in enumerate(activity.get("attachments") or ())]}

    def _graph_messages(self, channel: str, root: str | None) -> list[dict[str, Any]]:
        updates = {c.activity_id: c for c in self.calls if c.kind == "update" and c.answer_status < 300}
        chain = f"{channel}{THREAD_MARK}"
        return [self._message(call, message_id, updates) for call, message_id, parent in self._stored()
                if parent == root and (call.conversation or "").startswith(chain)]

    async def graph_delta(self, request: web.Request) -> web.Response:
        if (refused := self._graph_refusal(request)) is not None:
            return refused
        wanted = request.query.get("$filter", "")
        try:
            since = _parse(wanted.removeprefix("lastModifiedDateTime gt ").strip())
        except ValueError:
            since = None
        if since is None or not wanted.startswith("lastModifiedDateTime gt "):
            return web.json_response({"error": {"code": "BadRequest", "message": "unsupported $filter"}}, status=400)
        messages = [m for m in self._graph_messages(request.match_info["channel"], None)
                    if _parse(m["lastModifiedDateTime"]) > since]
        return web.json_response({"value": messages, "@odata.deltaLink": f"{request.url}&$deltatoken=fake"})

    async def graph_replies(self, request: web.Request) -> web.Response:
        if (refused := self._graph_refusal(request)) is not None:
            return refused
        return web.json_response({"value": self._graph_messages(request.match_info["channel"],
                                                                request.match_info["root"])})

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self.reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self.update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self.member)
        app.router.add_get("/v3/conversations/{conversation}/members", self.roster)
        app.router.add_get("/v3/teams/{team}/conversations", self.channels)
        app.router.add_get("/v1.0/teams/{group}/channels/{channel}/messages/delta", self.graph_delta)
        app.router.add_get("/v1.0/teams/{group}/channels/{channel}/messages/{root}/replies", self.graph_replies)
        return app


def _stamp(at: float) -> str:
    """Graph's timestamps: ISO 8601 in UTC with milliseconds."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def start_bot_connector() -> tuple[FakeBotConnector, web.AppRunner]:
    fake = FakeBotConnector()
    runner = web.AppRunner(fake.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}/"
    return fake, runner


@pytest.fixture
async def bot_connector() -> AsyncIterator[FakeBotConnector]:
    """A fresh fake Bot Connector per test; activities point their serviceUrl at `bot_connector.url`."""
    fake, runner = await start_bot_connector()
    yield fake
    await runner.cleanup()
