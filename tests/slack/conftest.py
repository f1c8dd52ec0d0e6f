"""The real okrbot web app with Slack configured, its Web API pointed at the fake, and a signed client.

`slack` sends what Slack sends: form-encoded slash commands and interactivity payloads, JSON events,
each signed with the signing secret the way slack_sdk's SignatureVerifier checks it.

The app gets an ack budget of TEST_ACK_BUDGET: a test asserts what a command answers, and on a loaded host
(several pytest-xdist workers beside other work) the real 2 s budget put some commands off (acked empty,
answered later through the response_url) or even answered them "busy", so the answer was not in the ack and
the test failed. Tests of the budget itself (tests/slack/test_slow_core.py) set their own.
"""

from __future__ import annotations

import json
import time
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from adapters.slack.routes import BRIDGE
from okrbot.app import build_context
from okrbot.server import FINISHING, build_app
from okrbot.settings import Settings

SECRET = "test-signing-secret"
TEAM = "T0TEAM"
ENGINEER = "U0ENGINEER"  # linked in the example file
RD_CHANNEL = "C0RDEFF"  # R&D Efficiency's channel in the example file
TEST_ACK_BUDGET = "60"  # seconds; production's is adapters.slack.config.ACK_BUDGET_SECONDS


class SlackSender:
    """Signed requests to /slack/events, shaped like Slack's."""

    def __init__(self, client: TestClient, fake, secret: str = SECRET) -> None:
        self.client, self.fake, self.secret = client, fake, secret
        self._ids = count(1)

    def headers(self, body: str, content_type: str, timestamp: int | None = None, retry: int | None = None):
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=str(timestamp), body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature,
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return headers

    async def post(self, body: str, content_type: str, **signing) -> tuple[int, Any]:
        response = await self.client.post("/slack/events", data=body.encode(),
                                          headers=self.headers(body, content_type, **signing))
        text = await response.text()
        try:
            return response.status, json.loads(text) if text else None
        except ValueError:
            return response.status, text

    async def command(self, text: str, user: str = ENGINEER, channel: str = RD_CHANNEL, team: str = TEAM,
                      command: str = "/okr", **signing) -> tuple[int, Any]:
        return await self.post(self.command_body(text, user, channel, team, command),
                               "application/x-www-form-urlencoded", **signing)

    def command_body(self, text: str, user: str = ENGINEER, channel: str = RD_CHANNEL, team: str = TEAM,
                     command: str = "/okr") -> str:
        """A slash command as Slack posts it, with a trigger_id and response_url of its own."""
        n = next(self._ids)
        return urlencode({
            "token": "legacy", "team_id": team, "team_domain": "fake", "channel_id": channel,
            "channel_name": "rd", "user_id": user, "user_name": user.lower(), "command": command,
            "text": text, "api_app_id": "A0APP", "response_url": self.fake.response_url(f"cmd{n}"),
            "trigger_id": f"trigger-{n}",
        })

    async def interactive(self, payload: dict[str, Any], **signing) -> tuple[int, Any]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **signing)

    async def click(self, action_id: str, value: str = "", user: str = ENGINEER, team: str = TEAM,
                    channel: str | None = RD_CHANNEL, view: dict | None = None) -> tuple[int, Any]:
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "team_id": team}, "api_app_id": "A0APP", "trigger_id": f"trigger-{n}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                         "action_ts": "1700000000.1"}],
        }
        if channel:
            payload["channel"] = {"id": channel}
            payload["container"] = {"type": "message", "channel_id": channel, "message_ts": "1700000000.000001"}
            payload["response_url"] = self.fake.response_url(f"act{n}")
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        return await self.interactive(payload)

    async def submit(self, view: dict[str, Any], values: dict[str, str], user: str = ENGINEER,
                     team: str = TEAM) -> tuple[int, Any]:
        """Submit a modal as the app opened it (the view from views.open), with these field values.

        Each call is a new sending (its own view id and hash) unless the view carries Slack's "id" and
        "hash": the same ones again are the same modal submitted twice."""
        n = next(self._ids)
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            name = block["block_id"]
            if element["type"] == "static_select":
                chosen = values.get(name, (element.get("initial_option") or {}).get("value"))
                option = next((o for o in element["options"] if o["value"] == chosen), None)
                state[name] = {name: {"type": "static_select", "selected_option": option}}
            elif element["type"] == "conversations_select":
                state[name] = {name: {"type": "conversations_select",
                                      "selected_conversation": values.get(name, element.get("initial_conversation"))}}
            else:
                state[name] = {name: {"type": "plain_text_input",
                                      "value": values.get(name, element.get("initial_value"))}}
        payload = {
            "type": "view_submission", "team": {"id": team, "domain": "fake"}, "user": {"id": user, "team_id": team},
            "api_app_id": "A0APP", "trigger_id": "trigger-submit",
            "view": {"id": f"V0VIEW{n}", "hash": f"{n}.hash", **view, "team_id": team, "state": {"values": state}},
        }
        return await self.interactive(payload)

    async def event(self, event: dict[str, Any], team: str = TEAM, retry: int | None = None,
                    event_id: str | None = None) -> tuple[int, Any]:
        body = json.dumps({
            "token": "legacy", "team_id": team, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):06d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True}], "event": event,
        })
        return await self.post(body, "application/json", retry=retry)


def slack_settings(database_url: str, fake, **overrides) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "slack_bot_token": "xoxb-single", "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url, "sandbox": False,
    }
    extra = {"slack_ack_budget": TEST_ACK_BUDGET, **overrides.pop("extra", {})}
    values.update(overrides, extra=extra)
    return Settings(**values)


async def start_app(settings: Settings, clock):
    ctx = build_context(settings, clock=clock, migrate=False)
    app = build_app(ctx)
    client = TestClient(TestServer(app))
    await client.start_server()
    if FINISHING in app:  # the start-up pass over the inbox has looked, so a test's own rows stay its own
        await app[FINISHING]
    return ctx, app, client


@pytest.fixture
async def slack_app(database_url, org_id, clock, fake_slack):
    """(ctx, SlackSender) for the real app in single-workspace mode over the example organization."""
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    yield ctx, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


@pytest.fixture
def app_ctx(slack_app):
    return slack_app[0]


@pytest.fixture
def slack(slack_app) -> SlackSender:
    return slack_app[1]
