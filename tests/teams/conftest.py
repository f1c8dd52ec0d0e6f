"""The real okrbot web app with Teams on, driven with real Activity JSON against the fake Bot Connector."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft6Validator

from adapters.teams.delivery import Delivery, Limiter
from okrbot.app import AppContext, build_context
from okrbot.server import build_app
from okrbot.settings import Settings
from tests.fakes.bot_connector import FakeBotConnector

HERE = Path(__file__).parent
# The element definitions okrbot uses, as published in Adaptive Cards' schemas/1.5.0/adaptive-card.json.
VALIDATOR = Draft6Validator(json.loads((HERE / "schema" / "adaptive-card-1.5-subset.json").read_text()))


def assert_valid(card: dict) -> None:
    """The card is valid Adaptive Card 1.5, and says so."""
    errors = sorted(VALIDATOR.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors)
    assert card["version"] == "1.5"

TENANT = "tenant-jd"
TEAM = "19:team-general@thread.tacv2"
GROUP = "5b0e7f1c-0d6a-4c3e-9a51-2f8d6c1b7e42"  # the team's Azure AD group id: how Microsoft Graph knows it
CHANNEL = "19:rd-efficiency@thread.tacv2"
BOT = {"id": "28:okrbot-app-id", "name": "okrbot"}
PEOPLE = {
    "engineer": ("engineer@example.com", "Zhou Qiang"),
    "director": ("director.rd@example.com", "Zhao Lei"),
    "stranger": ("nobody@elsewhere.example", "No Body"),
}


class VirtualTime:
    """Monotonic time that only moves when the code under test sleeps: backoff is asserted, not waited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is


@dataclass
class TeamsHarness:
    client: TestClient
    ctx: AppContext
    connector: FakeBotConnector
    time: VirtualTime
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def messenger(self):
        return self.ctx.messengers["teams"]

    def _id(self) -> str:
        return f"1{next(self.ids):012d}"

    def activity(self, who: str = "engineer", *, where: str = "personal", root: str | None = None,
                 channel: str = CHANNEL, **fields: Any) -> dict[str, Any]:
        """A Teams activity from `who` in a personal chat, a channel of the team (a new thread or a reply), or a
        group chat."""
        activity_id = fields.pop("id", None) or self._id()
        sender = {"id": f"29:{who}", "name": PEOPLE[who][1], "aadObjectId": f"aad-{who}"}
        channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
        if where == "channel":
            conversation = {"id": f"{channel};messageid={root or activity_id}", "conversationType": "channel",
                            "isGroup": True, "tenantId": TENANT}
            channel_data.update(team={"id": TEAM, "name": "JD Retail", "aadGroupId": GROUP},
                                channel={"id": channel, "name": "R&D" if channel == CHANNEL else channel})
        elif where == "group":
            conversation = {"id": "19:group-chat@thread.v2", "conversationType": "groupChat", "isGroup": True,
                            "tenantId": TENANT}
        else:
            conversation = {"id": f"a:personal-{who}", "conversationType": "personal", "tenantId": TENANT}
        return {
            "type": "message", "id": activity_id, "channelId": "msteams", "serviceUrl": self.connector.url,
            "timestamp": "2026-11-18T04:00:00.000Z", "from": sender, "recipient": BOT,
            "conversation": conversation, "channelData": channel_data, "locale": "en-US", **fields,
        }

    def message(self, text: str, who: str = "engineer", *, where: str = "personal", mention: bool | None = None,
                root: str | None = None, html: bool = False, **fields: Any) -> dict[str, Any]:
        """What a Teams client sends for `text` typed by `who`: HTML, so a typed "<" arrives as "&lt;"
        (`html=True`: `text` is that HTML already, formatting tags and all)."""
        mention = where != "personal" if mention is None else mention
        text = text if html else escape(text, quote=False)
        extra: dict[str, Any] = {"text": text, "textFormat": "plain"}
        if mention:
            extra["text"] = f"<at>okrbot</at> {text}"
            extra["entities"] = [{"type": "mention", "text": "<at>okrbot</at>", "mentioned": BOT}]
        return self.activity(who, where=where, root=root, **extra, **fields)

    def invoke(self, name: str, data: dict[str, Any], who: str = "engineer", where: str = "personal"):
        return self.activity(who, where=where, type="invoke", name=name, value={"type": name, "data": data})

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None):
        return await self.client.post("/api/messages", json=activity, headers=headers or {})

    async def say(self, text: str, who: str = "engineer", **kwargs: Any):
        response = await self.post(self.message(text, who, **kwargs))
        assert response.status in (200, 201), await response.text()
        return response


async def start_harness(database_url: str, clock, connector: FakeBotConnector, monkeypatch,
                        app_id: str | None = None, **teams: Any) -> tuple[TeamsHarness, TestClient]:
    """okrbot serving Teams; with `app_id`, authentication is on for a SingleTenant bot of TENANT (`teams`
    overrides Settings' teams_* fields, e.g. teams_openid_metadata_url for a local key server)."""
    if app_id:
        teams = {"teams_app_password": "secret", "teams_tenant_id": TENANT, **teams}
    teams = {"teams_graph_url": connector.graph_url, **teams}
    settings = Settings(database_url=database_url, sandbox=False, teams_app_id=app_id, teams_open=True, **teams)
    ctx = build_context(settings, clock=clock, migrate=False)
    app = build_app(ctx)
    time = VirtualTime()
    messenger = ctx.messengers["teams"]
    # The same Delivery object is shared by the bot and the messenger: give it virtual time.
    messenger.delivery.limiter = Limiter(monotonic=time.monotonic, sleep=time.sleep)
    for person, (email, name) in PEOPLE.items():
        connector.add_member(f"29:{person}", f"aad-{person}", email, name)
    client = TestClient(TestServer(app))
    await client.start_server()
    return TeamsHarness(client, ctx, connector, time), client


@pytest.fixture
async def teams(database_url, clock, org_id, bot_connector, monkeypatch) -> AsyncIterator[TeamsHarness]:
    """The example organization, okrbot serving Teams with authentication off (no MicrosoftAppId)."""
    harness, client = await start_harness(database_url, clock, bot_connector, monkeypatch)
    yield harness
    await client.close()
    harness.ctx.engine.dispose()
    for call in bot_connector.calls:  # every card okrbot sent in the test is valid Adaptive Card 1.5
        if call.card is not None:
            assert_valid(call.card)


__all__ = ["CHANNEL", "GROUP", "TEAM", "TENANT", "Delivery", "TeamsHarness", "start_harness"]
