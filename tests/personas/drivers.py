"""How the persona sweep talks to each platform: the real HTTP routes, the fakes recording the rest.

A driver types a command, clicks a button or submits a form as a persona, checks the answer (no 5xx,
no apology) and returns what okrbot showed in return: the buttons and forms of every reply, message
and dialog that came back (`Shown`). The sweep decides what to do with them.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from adapters.slack.routes import BRIDGE
from bot.render import render_error
from storage.models import Person, SandboxMessage
from tests.fakes.bot_connector import THREAD_MARK
from tests.personas.conftest import Persona
from tests.teams.conftest import CHANNEL

APOLOGY = "something went wrong"
# What people write under a post okrbot started a thread with (the Friday wins post): a win and a cheer.
THREAD_REPLIES = ("win: the sweep shipped it", "thanks all, great week")
assert APOLOGY in render_error("internal").lower()  # the wording the sweep must never see


@dataclass(frozen=True)
class Shown:
    """A button or a form okrbot showed; `key` is what makes two of them the same thing to try."""

    kind: str  # "button" | "form" | "thread" (a post to reply under)
    key: tuple
    payload: Any = field(compare=False, hash=False)
    where: str = field(default="", compare=False, hash=False)


@dataclass
class Trace:
    """Everything the sweep did, for the failure message: the last steps say how it got there."""

    steps: list[str] = field(default_factory=list)

    def add(self, platform: str, persona: Persona, what: str) -> None:
        self.steps.append(f"{platform} {persona.key}: {what[:120]}")

    def tail(self) -> str:
        return "\n".join(self.steps[-8:])


@dataclass
class Speaking:
    """What the sweep in another language must not see (tests/personas/test_sweep_languages.py): the apology
    in that language, an unfilled placeholder, or an English sentence of a message the catalogs translate."""

    apology: str = ""
    english: tuple[str, ...] = ()


SPEAKING = Speaking()  # the English sweep: nothing more to look for
PLACEHOLDER_LEFT = re.compile(r"%\(\w+\)[sd]")


def check(trace: Trace, status: int, body: str) -> None:
    """No server error, and no apology in what okrbot wrote (HTML or JSON escapes undone first)."""
    assert status < 500, f"HTTP {status}\n{body[:500]}\nafter:\n{trace.tail()}"
    text = html_lib.unescape(body)
    words = text.lower()
    for apology in filter(None, (APOLOGY, SPEAKING.apology)):
        at = words.find(apology)
        assert at < 0, f"apology shown:\n...{words[max(0, at - 300):at + 300]}...\nafter:\n{trace.tail()}"
    left = PLACEHOLDER_LEFT.search(text)
    assert not left, f"placeholder unfilled: ...{text[max(0, left.start() - 200):left.end() + 100]}...\n{trace.tail()}"
    leaked = next((english for english in SPEAKING.english if english in text), None)
    assert leaked is None, f"English where a translation exists: {leaked!r} in ...{text[:600]}...\n{trace.tail()}"


def _button_key(action_id: str, value: str) -> tuple:
    return ("button", action_id.split("#", 1)[0], value)


# ------------------------------------------------------------------ the sandbox (HTML forms)


class SandboxDriver:
    platform = "sandbox"

    def __init__(self, client, sessions, org_id: int, trace: Trace) -> None:
        self.client, self.sessions, self.org_id, self.trace = client, sessions, org_id, trace
        self.current: str | None = None
        self.said = ""  # what okrbot wrote in answer to the last step (the scenario tests read it)
        with sessions() as s:
            self.ids = {p.email: p.id for p in s.scalars(select(Person).where(Person.org_id == org_id))}

    def channel(self, persona: Persona) -> str:
        return persona.team or "dm"

    async def _as(self, persona: Persona) -> None:
        if self.current != persona.email:
            response = await self.client.post("/sandbox/as", data={"person": str(self.ids[persona.email])},
                                              allow_redirects=False)
            assert response.status == 303, await response.text()
            self.current = persona.email

    def _mark(self) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.max(SandboxMessage.id))) or 0

    def _said_since(self, mark: int) -> None:
        with self.sessions() as s:
            rows = s.scalars(select(SandboxMessage).order_by(SandboxMessage.id).where(
                SandboxMessage.id > mark, SandboxMessage.author_person_id.is_(None)))
            self.said = "\n".join(f"{row.text}\n{json.dumps(row.card, ensure_ascii=False)}" for row in rows)

    async def _page(self, persona: Persona, response, mark: int | None = None) -> list[Shown]:
        text = await response.text()
        check(self.trace, response.status, text)
        if mark is not None:
            self._said_since(mark)
        return self.shown(text, self.channel(persona))

    @staticmethod
    def shown(page: str, channel: str, threads: bool = False) -> list[Shown]:
        """The page's buttons and open form; with `threads`, its messages to reply under (every message of a
        sandbox channel can have a thread, so only the ritual posts' are asked for)."""
        found: list[Shown] = []
        for form in re.finditer(r'<form method="post" action="([^"]+/actions)">(.*?)</form>', page, re.S):
            fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
            fields = {k: html_lib.unescape(v) for k, v in fields.items()}
            found.append(Shown("button", _button_key(fields["action_id"], fields["value"]), fields,
                               html_lib.unescape(form.group(1))))
        for thread in re.finditer(r'<form method="post" action="(/sandbox/c/[^"]+/threads/\d+)"', page):
            if threads:
                found.append(Shown("thread", ("thread", thread.group(1)), None, html_lib.unescape(thread.group(1))))
        dialog = re.search(r'<dialog.*?<form method="post" action="(/sandbox/forms/\d+)"(.*?)</form>', page, re.S)
        if dialog:
            values: dict[str, str] = {}
            body = dialog.group(2)
            for tag in re.finditer(r'<(input|select|textarea) ([^>]*)>(.*?)(?=<(?:input|select|textarea|/div))',
                                   body, re.S):
                name = re.search(r'name="([^"]+)"', tag.group(2))
                if not name:
                    continue
                value = re.search(r'value="([^"]*)"', tag.group(2)) if tag.group(1) == "input" else None
                if tag.group(1) == "select":
                    value = re.search(r'<option value="([^"]*)" selected', tag.group(3)) or re.search(
                        r'<option value="([^"]*)"', tag.group(3))
                if tag.group(1) == "textarea":
                    value = re.match(r"(.*?)</textarea>", tag.group(3), re.S)
                values[html_lib.unescape(name.group(1))] = html_lib.unescape(value.group(1)) if value else ""
            form_id = re.search(r'id="form-title">([^<]*)<', body)
            found.append(Shown("form", ("form", form_id.group(1) if form_id else dialog.group(1)), values,
                               dialog.group(1)))
        return found

    async def command(self, persona: Persona, text: str) -> list[Shown]:
        self.trace.add(self.platform, persona, f"/okr {text}")
        await self._as(persona)
        mark = self._mark()
        response = await self.client.post(f"/sandbox/c/{self.channel(persona)}/messages", data={"text": f"/okr {text}"})
        return await self._page(persona, response, mark)

    async def click(self, persona: Persona, item: Shown) -> list[Shown]:
        self.trace.add(self.platform, persona, f"click {item.key}")
        await self._as(persona)
        mark = self._mark()
        response = await self.client.post(item.where, data=item.payload)
        return await self._page(persona, response, mark)

    async def submit(self, persona: Persona, item: Shown, values: dict[str, str] | None = None) -> list[Shown]:
        """The form as shown, filled in (`values`: these answers, the rest as shown)."""
        self.trace.add(self.platform, persona, f"submit {item.key}")
        await self._as(persona)
        mark = self._mark()
        data = {**item.payload, **values} if values is not None else fill(item.payload)
        response = await self.client.post(item.where, data=data)
        return await self._page(persona, response, mark)

    def in_my_channel(self, persona: Persona, item: Shown) -> bool:
        return item.where.startswith(f"/sandbox/c/{self.channel(persona)}/")

    async def threads(self, persona: Persona, channel: str) -> list[Shown]:
        """The posts of a channel to reply under, as one of its people sees them."""
        await self._as(persona)
        response = await self.client.get(f"/sandbox/c/{channel}")
        text = await response.text()
        check(self.trace, response.status, text)
        return [item for item in self.shown(text, channel, threads=True) if item.kind == "thread"]

    async def reply(self, persona: Persona, item: Shown, texts: tuple[str, ...] = THREAD_REPLIES) -> list[Shown]:
        await self._as(persona)
        found: list[Shown] = []
        for text in texts:
            self.trace.add(self.platform, persona, f"replies {text!r} under {item.where}")
            found += await self._page(persona, await self.client.post(item.where, data={"text": text}))
        return found

    async def stranger(self, persona: Persona) -> None:
        """Nobody signed in: the sandbox asks who you are, whatever is posted."""
        self.trace.add(self.platform, persona, "not signed in")
        self.client.session.cookie_jar.clear()
        self.current = None
        for path, data in (("/sandbox/c/rd-efficiency/messages", {"text": "/okr mine"}),
                           ("/sandbox/c/rd-efficiency/actions", {"action_id": "checkin_open", "message_id": "1"}),
                           ("/sandbox/forms/1", {})):
            response = await self.client.post(path, data=data, allow_redirects=False)
            check(self.trace, response.status, await response.text())

    async def direct(self, persona: Persona) -> list[Shown]:
        """The person's direct messages (where the report and the nudge go), with their buttons."""
        await self._as(persona)
        self.trace.add(self.platform, persona, "opens direct messages")
        return await self._page(persona, await self.client.get("/sandbox/c/dm"))


def fill(values: dict[str, str]) -> dict[str, str]:
    """A form as a person fills it: what is shown is kept, an empty box gets a plausible answer."""
    filled = {}
    for name, value in values.items():
        if value:
            filled[name] = value
        elif name.startswith(("value", "number")):
            filled[name] = "42"
        else:
            filled[name] = "sweep answer"
    return filled


# ------------------------------------------------------------------ Slack (signed requests, the fake Web API)


def objects(node: Any) -> Iterator[dict]:
    """Every JSON object in a payload (Block Kit, Adaptive Card, an activity), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from objects(item)


def slack_buttons(payload: Any) -> list[tuple[str, str]]:
    return [(node["action_id"], node.get("value", "")) for node in objects(payload)
            if node.get("type") == "button" and "action_id" in node and "url" not in node]


class SlackDriver:
    platform = "slack"

    def __init__(self, sender, fake, app, trace: Trace) -> None:
        self.sender, self.fake, self.app, self.trace = sender, fake, app, trace
        self.users: dict[str, str] = {}
        self.replies = 0
        self.channels = {"rd-efficiency": "C0RDEFF", "ecology": "C0ECOLOGY"}  # the example file's bound channels
        self.said = ""  # what okrbot wrote in answer to the last step (the scenario tests read it)

    def user(self, persona: Persona) -> str:
        if persona.key not in self.users:
            self.users[persona.key] = f"U0{persona.key.upper()}"
            self.fake.add_user(self.users[persona.key], persona.email, persona.name)
        return self.users[persona.key]

    def channel(self, persona: Persona) -> str:
        return self.channels.get(persona.team or "", f"D0{persona.key.upper()}")

    async def _after(self, mark: int, status: int, body: Any, channel: str) -> list[Shown]:
        await self.app[BRIDGE].drain()
        text = json.dumps(body) if not isinstance(body, str) else body
        check(self.trace, status, text)
        found = [Shown("button", _button_key(a, v), (a, v), channel) for a, v in slack_buttons(body)]
        said = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        self.said = "\n".join([said, *(json.dumps(call.body, ensure_ascii=False) for call in self.fake.calls[mark:])])
        for call in self.fake.calls[mark:]:
            check(self.trace, 200, json.dumps(call.body, ensure_ascii=False))
            if call.method == "views.open":
                view = call.body["view"]
                found.append(Shown("form", ("form", view.get("callback_id")), view, channel))
            elif call.method == "views.publish":  # the App Home tab
                found += [Shown("button", _button_key(a, v), (a, v), "home") for a, v in slack_buttons(call.body)]
            else:
                where = call.body.get("channel") or channel
                found += [Shown("button", _button_key(a, v), (a, v), where) for a, v in slack_buttons(call.body)]
        return found

    async def command(self, persona: Persona, text: str) -> list[Shown]:
        self.trace.add(self.platform, persona, f"/okr {text}")
        mark, channel = len(self.fake.calls), self.channel(persona)
        status, body = await self.sender.command(text, user=self.user(persona), channel=channel)
        return await self._after(mark, status, body, channel)

    async def click(self, persona: Persona, item: Shown) -> list[Shown]:
        self.trace.add(self.platform, persona, f"click {item.key}")
        mark = len(self.fake.calls)
        action_id, value = item.payload
        if item.where == "home":
            status, body = await self.sender.click(action_id, value, user=self.user(persona), channel=None,
                                                   view={"id": "V0HOME", "type": "home"})
        else:
            status, body = await self.sender.click(action_id, value, user=self.user(persona), channel=item.where)
        return await self._after(mark, status, body, item.where)

    def in_my_channel(self, persona: Persona, item: Shown) -> bool:
        return item.where == self.channel(persona)

    async def reply(self, persona: Persona, item: Shown, texts: tuple[str, ...] = THREAD_REPLIES) -> list[Shown]:
        channel, root = item.payload
        found: list[Shown] = []
        for text in texts:
            self.trace.add(self.platform, persona, f"replies {text!r} under {channel} {root}")
            mark = len(self.fake.calls)
            self.replies += 1
            ts = f"1800000000.{self.replies:06d}"
            status, body = await self.sender.event({
                "type": "message", "channel": channel, "channel_type": "channel", "user": self.user(persona),
                "text": text, "ts": ts, "thread_ts": root, "event_ts": ts})
            found += await self._after(mark, status, body, channel)
        return found

    async def home(self, persona: Persona) -> list[Shown]:
        """The App Home tab, as Slack asks for it when the person opens it."""
        self.trace.add(self.platform, persona, "opens the App Home")
        mark = len(self.fake.calls)
        status, body = await self.sender.event({"type": "app_home_opened", "user": self.user(persona),
                                                "channel": f"D0{persona.key.upper()}", "tab": "home",
                                                "event_ts": "1700000000.000001"})
        return await self._after(mark, status, body, "home")

    async def submit(self, persona: Persona, item: Shown, values: dict[str, str] | None = None) -> list[Shown]:
        """The modal as opened, filled in (`values`: these answers, the rest as shown)."""
        self.trace.add(self.platform, persona, f"submit {item.key}")
        mark = len(self.fake.calls)
        view = item.payload
        shown = {}
        for block in view["blocks"]:
            if block["type"] == "input" and block["element"]["type"] == "plain_text_input":
                shown[block["block_id"]] = block["element"].get("initial_value", "")
        answers = values if values is not None else fill(shown)
        status, body = await self.sender.submit(view, answers, user=self.user(persona))
        return await self._after(mark, status, body, item.where)

    async def stranger(self, persona: Persona) -> None:
        await self.command(persona, "mine")
        await self.click(persona, Shown("button", (), ("checkin_open", ""), "C0RDEFF"))
        await self.home(persona)

    def posts(self, mark: int) -> list[Shown]:
        """The buttons of everything posted since `mark`, and every channel post of okrbot's to reply under."""
        found = []
        for call in self.fake.calls[mark:]:
            check(self.trace, 200, json.dumps(call.body, ensure_ascii=False))
            where = call.body.get("channel") or ""
            found += [Shown("button", _button_key(a, v), (a, v), where) for a, v in slack_buttons(call.body)]
        for channel, messages in self.fake.messages.items():
            found += [Shown("thread", ("thread", channel, m["ts"]), (channel, m["ts"]), channel) for m in messages
                      if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"] and channel.startswith("C")]
        return found


# ------------------------------------------------------------------ Teams (Bot Framework activities, fake connector)


def teams_actions(card: Any) -> list[dict]:
    return [node["data"] for node in objects(card)
            if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict)]


def teams_inputs(card: dict) -> dict[str, str]:
    return {item["id"]: str(item.get("value", "")) for item in card.get("body", [])
            if str(item.get("type", "")).startswith("Input.")}


CHANNEL_TEAM = "rd-efficiency"  # the team the Teams channel of tests/teams/conftest.py is bound to


class TeamsDriver:
    platform = "teams"

    def __init__(self, harness, trace: Trace, channels: dict[str, str] | None = None) -> None:
        self.harness, self.trace = harness, trace
        self.channels = channels or {CHANNEL_TEAM: CHANNEL}  # team key -> the Teams channel its people type in
        self.said = ""  # what okrbot wrote in answer to the last step (the scenario tests read it)

    def _shown(self, card: dict, where: str, reply_to: str | None = None) -> list[Shown]:
        found = []
        for data in teams_actions(card):
            ours = data.get("okrbot") or {}
            if "form" in ours:
                form = ours["form"]
                found.append(Shown("form", ("form", form.get("form_id")),
                                   (data, teams_inputs(card), reply_to), where))
            elif "action" in ours:
                found.append(Shown("button", _button_key(str(ours["action"]), str(ours.get("value", ""))), data,
                                   where))
        return found

    async def _after(self, mark: int, response, dialog: bool) -> list[Shown]:
        """What the HTTP answer (a dialog, for invokes) and the activities sent since `mark` showed."""
        text = await response.text()
        check(self.trace, response.status, text)
        calls = self.harness.connector.calls[mark:]
        self.said = "\n".join([text, *(json.dumps(call.body, ensure_ascii=False) for call in calls)])
        found: list[Shown] = []
        if text and dialog:
            task = (json.loads(text) or {}).get("task") or {}
            if task.get("type") == "continue":
                found += self._shown(task["value"]["card"]["content"], "dialog")
        return found + self.posts(mark)

    async def command(self, persona: Persona, text: str) -> list[Shown]:
        """In their team's channel (mentioning okrbot), else in a personal chat."""
        channel = self.channels.get(persona.team or "")
        where = "channel" if channel else "personal"
        self.trace.add(self.platform, persona, f"@okrbot {text} ({where})")
        mark = len(self.harness.connector.calls)
        response = await self.harness.post(self.harness.message(text, persona.key, where=where,
                                                                channel=channel or CHANNEL))
        return await self._after(mark, response, False)

    async def click(self, persona: Persona, item: Shown) -> list[Shown]:
        self.trace.add(self.platform, persona, f"click {item.key}")
        mark = len(self.harness.connector.calls)
        where = "channel" if item.where == "channel" else "personal"
        response = await self.harness.post(self.harness.invoke("task/fetch", item.payload, persona.key, where))
        return await self._after(mark, response, True)

    async def submit(self, persona: Persona, item: Shown, answers: dict[str, str] | None = None) -> list[Shown]:
        """The card's form as shown, filled in (`answers`: these, the rest as shown)."""
        self.trace.add(self.platform, persona, f"submit {item.key}")
        data, inputs, reply_to = item.payload
        mark = len(self.harness.connector.calls)
        values = {**data, **inputs, **answers} if answers is not None else {**data, **fill(inputs)}
        if item.where == "dialog":
            response = await self.harness.post(self.harness.invoke("task/submit", values, persona.key))
            return await self._after(mark, response, True)
        activity = self.harness.activity(persona.key, value=values, replyToId=reply_to or "1")
        response = await self.harness.post(activity)
        return await self._after(mark, response, False)

    @staticmethod
    def in_my_channel(persona: Persona, item: Shown) -> bool:
        return persona.team == CHANNEL_TEAM

    async def reply(self, persona: Persona, root: Shown, texts: tuple[str, ...] = THREAD_REPLIES) -> list[Shown]:
        found: list[Shown] = []
        for text in texts:
            self.trace.add(self.platform, persona, f"replies {text!r} under {root.payload}")
            mark = len(self.harness.connector.calls)
            activity = self.harness.message(text, persona.key, where="channel", root=root.payload, mention=False)
            found += await self._after(mark, await self.harness.post(activity), False)
        return found

    async def stranger(self, persona: Persona) -> None:
        await self.command(persona, "mine")
        await self.click(persona, Shown("button", (), {"okrbot": {"action": "checkin_open", "value": ""}}, "personal"))

    def posts(self, mark: int) -> list[Shown]:
        """The buttons and forms of every activity okrbot sent since `mark`, in the channel or a personal chat."""
        found = []
        for call in self.harness.connector.calls[mark:]:
            check(self.trace, 200, json.dumps(call.body, ensure_ascii=False))
            if call.card is not None:
                where = "channel" if "thread.tacv2" in (call.conversation or "") else "personal"
                found += self._shown(call.card, where, call.activity_id)
            if call.kind == "create" and call.conversation and THREAD_MARK in call.conversation:
                found.append(Shown("thread", ("thread", call.activity_id), call.activity_id, "channel"))
        return found
