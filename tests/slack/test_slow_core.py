"""When the core is slower than the ack budget, Slack gets its ack at once and the answer follows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.slack.routes import BRIDGE
from storage.models import KeyResult
from tests.slack.conftest import SlackSender, slack_settings, start_app


@pytest.fixture
async def impatient(database_url, org_id, clock, fake_slack):
    """An ack budget of zero: every command takes the slow path."""
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack, extra={"slack_ack_budget": "0"}),
                                       clock)
    yield app, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


async def test_a_slow_command_is_acked_empty_and_answered_through_the_response_url(impatient, fake_slack, sessions):
    app, slack = impatient
    status, body = await slack.command("confidence 1 7 slow but sure")
    assert status == 200 and not body
    await app[BRIDGE].drain()
    (told,) = fake_slack.calls_to("response_url")
    assert told.path == "/response/cmd1" and "Confidence 5 → *7*/10" in told.body["text"]
    assert told.body["response_type"] == "ephemeral"
    with sessions() as s:
        assert s.scalar(select(KeyResult.confidence).where(KeyResult.key == "rd-o1-kr3")) == 7


async def test_a_slow_form_still_opens_with_the_trigger(impatient, fake_slack):
    app, slack = impatient
    status, _ = await slack.command("checkin")
    assert status == 200
    await app[BRIDGE].drain()
    (call,) = fake_slack.calls_to("views.open")
    assert call.body["view"]["callback_id"] == "checkin"
