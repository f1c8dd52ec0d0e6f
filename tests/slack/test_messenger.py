"""The Slack Messenger, as the rituals use it: post, reply, update, direct; Slack errors as DeliveryError."""

from __future__ import annotations

import time

import pytest

from adapters.slack.messenger import SlackMessenger
from bot.model import Actions, Button, Card, Conversation, DeliveryError, MessageRef, Text
from okrbot.settings import Settings

CARD = Card("Friday wins", (Text("Reply in this thread with a win, <!here> & all"),
                            Actions((Button("Add a win", "win_open"),))), fallback="Friday wins")
TO = Conversation("slack", "T0TEAM", "C0RDEFF")


@pytest.fixture
def messenger(fake_slack) -> SlackMessenger:
    async def token(workspace: str) -> str | None:
        return {"T0TEAM": "xoxb-team"}.get(workspace)

    return SlackMessenger(Settings(slack_api_url=fake_slack.api_url), token)


async def test_post_reply_update_and_direct(messenger, fake_slack):
    posted = await messenger.post(TO, CARD)
    assert posted.channel_id == "C0RDEFF" and posted.message_id
    (call,) = fake_slack.calls_to("chat.postMessage")
    assert call.token == "xoxb-team"
    assert call.body["text"] == "Friday wins"
    assert "&lt;!here&gt; &amp; all" in call.body["blocks"][1]["text"]["text"]

    answer = await messenger.reply(TO, posted, Card(None, (Text("one more"),)))
    assert fake_slack.bodies("chat.postMessage")[-1]["thread_ts"] == posted.message_id
    assert answer.thread_id == posted.message_id

    await messenger.update(TO, posted, Card(None, (Text("closed"),)))
    (update,) = fake_slack.bodies("chat.update")
    assert update["ts"] == posted.message_id and update["channel"] == "C0RDEFF"

    direct = await messenger.send_direct("U0LEAD", "T0TEAM", Card(None, (Text("psst"),)))
    assert fake_slack.bodies("conversations.open") == [{"users": "U0LEAD"}]
    assert direct.channel_id == "D0LEAD"


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived", "invalid_auth",
                                   "token_revoked", "account_inactive", "missing_scope"])
async def test_permanent_errors_carry_slacks_reason(messenger, fake_slack, error):
    fake_slack.fail("chat.postMessage", error)
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(TO, CARD)
    assert failed.value.permanent and failed.value.reason == error
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # no pointless retry


async def test_a_429_waits_for_retry_after_and_then_gets_through(messenger, fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=0, times=1)
    ref = await messenger.post(TO, CARD)
    assert ref.message_id
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


async def test_a_429_that_persists_is_transient_with_retry_after(messenger, fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=0, times=3)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(TO, CARD)
    assert not failed.value.permanent and failed.value.retry_after == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 3  # the first try and two retries
    assert time.monotonic() - started < 5


async def test_server_errors_are_transient(messenger, fake_slack):
    fake_slack.server_error("chat.postMessage", status=503, times=2)
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(TO, CARD)
    assert not failed.value.permanent


async def test_a_workspace_without_installation_is_a_permanent_failure(messenger, fake_slack):
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(Conversation("slack", "T0GONE", "C1"), CARD)
    assert failed.value.permanent and failed.value.reason == "not_installed"
    assert fake_slack.calls == []


async def test_the_app_registers_its_messenger(app_ctx, fake_slack):
    ref = await app_ctx.messengers["slack"].post(TO, CARD)
    assert isinstance(ref, MessageRef)
    assert fake_slack.calls_to("chat.postMessage")[0].token == "xoxb-single"


async def test_an_unreachable_slack_is_transient():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def token(_workspace: str) -> str:
        return "xoxb-team"

    messenger = SlackMessenger(Settings(slack_api_url=f"http://127.0.0.1:{port}/api/"), token)
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(TO, CARD)
    assert not failed.value.permanent and failed.value.reason.startswith("connection_failed")
