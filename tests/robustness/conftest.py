"""One real okrbot web app with Slack, Teams (authentication off) and the sandbox all on, over each database.

Robustness tests send it what no well-behaved client would, through the real routes, and check
that every answer is a 2xx/4xx a person can read and that nothing was written by a refused request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.routes import BRIDGE
from okrbot.app import AppContext, build_context
from okrbot.server import build_app
from tests.sandbox.conftest import BrowserClient, app, public  # noqa: F401 - the local and the public web server fixtures
from tests.slack.conftest import SlackSender, slack, slack_app, slack_settings  # noqa: F401 - the Slack-only app, signed requests
from tests.teams.conftest import teams  # noqa: F401 - the Teams-only app, Bot Framework activities


@dataclass
class Everything:
    ctx: AppContext
    client: BrowserClient
    slack: SlackSender


@pytest.fixture
async def everything(database_url, org_id, clock, fake_slack, monkeypatch) -> AsyncIterator[Everything]:
    settings = slack_settings(database_url, fake_slack, sandbox=True, teams_open=True)
    ctx = build_context(settings, clock=clock, migrate=False)
    web_app = build_app(ctx)
    client = BrowserClient(TestServer(web_app))
    await client.start_server()
    yield Everything(ctx, client, SlackSender(client, fake_slack))
    await web_app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()
