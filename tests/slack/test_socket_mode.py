"""Socket Mode: with SLACK_APP_TOKEN, okrbot connects out to Slack and answers over the WebSocket."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.slack.routes import BRIDGE
from storage.models import KeyResult
from tests.slack.conftest import ENGINEER, RD_CHANNEL, TEAM, slack_settings, start_app


@pytest.fixture
async def socket_app(database_url, org_id, clock, fake_slack):
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack, slack_app_token="xapp-test"), clock)
    yield app
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


async def test_a_command_over_socket_mode_is_answered_in_its_acknowledgement(socket_app, fake_slack, sessions):
    (opened,) = fake_slack.calls_to("apps.connections.open")
    assert opened.token == "xapp-test"
    ack = await fake_slack.socket_send("slash_commands", {
        "team_id": TEAM, "channel_id": RD_CHANNEL, "user_id": ENGINEER, "user_name": "engineer", "command": "/okr",
        "text": "confidence 1 8 over the socket", "trigger_id": "t1", "response_url": fake_slack.response_url(),
    })
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "Confidence 5 → *8*/10" in ack["payload"]["text"]
    with sessions() as s:
        assert s.scalar(select(KeyResult.confidence).where(KeyResult.key == "rd-o1-kr3")) == 8
