"""The Slack Messenger, as the rituals use it: post, reply, update, direct; Slack errors as DeliveryError."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from adapters.slack.messenger import SlackMessenger
from bot.model import (
    Actions,
    Button,
    Card,
    Conversation,
    DeliveryError,
    MessageRef,
    PermanentFailure,
    RetryAfter,
    Text,
    TransientFailure,
)

CARD = Card("Friday wins", (Text("Reply in this thread with a win, <!here> & all"),
                            Actions((Button("Add a win", "win_open"),))), fallback="Friday wins")
TO = Conversation("slack", "T0TEAM", "C0RDEFF")


@pytest.fixture
def messenger(fake_slack) -> SlackMessenger:
    async def token(workspace: str) -> str | None:
        return {"T0TEAM": "xoxb-team"}.get(workspace)

    return SlackMessenger(fake_slack.api_url, token)


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
    assert isinstance(failed.value, PermanentFailure) and failed.value.reason == error
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # no pointless retry


async def test_a_429_is_handed_to_the_caller_at_once_with_its_retry_after(messenger, fake_slack):
    """One attempt: the rituals' Deliverer owns the retries (slack_sdk's handlers used to wait out two
    429s first, so every attempt of the Deliverer cost three calls)."""
    fake_slack.rate_limit("chat.postMessage", retry_after=7, times=2)
    started = time.monotonic()
    with pytest.raises(RetryAfter) as failed:
        await messenger.post(TO, CARD)
    assert not failed.value.permanent and failed.value.retry_after == 7
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert time.monotonic() - started < 5


async def test_server_errors_are_transient_and_tried_once(messenger, fake_slack):
    fake_slack.server_error("chat.postMessage", status=503, times=2)
    with pytest.raises(TransientFailure):
        await messenger.post(TO, CARD)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


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

    messenger = SlackMessenger(f"http://127.0.0.1:{port}/api/", token)
    with pytest.raises(DeliveryError) as failed:
        await messenger.post(TO, CARD)
    assert not failed.value.permanent and failed.value.reason.startswith("connection_failed")


# ---------------------------------------------------------------- find_post: was a message in doubt sent?

OTHER_APP = ("B0OTHER", "U0OTHERBOT")


@pytest.fixture
def on_clock(fake_slack, clock):
    """The fake stamps messages with the test's clock, so "since" means something."""
    fake_slack.now = lambda: clock.now().timestamp()
    return clock


async def test_find_post_finds_our_message_since_the_moment_given(messenger, fake_slack, on_clock):
    since = on_clock.now()
    on_clock.advance(seconds=5)
    posted = await messenger.post(TO, CARD)
    on_clock.advance(seconds=5)
    fake_slack.add_message("C0RDEFF", "later chatter", user="U0ENGINEER")
    assert await messenger.find_post(TO, since, CARD) == posted
    (call,) = fake_slack.calls_to("conversations.history")
    assert call.token == "xoxb-team"
    assert call.body == {"channel": "C0RDEFF", "oldest": f"{since.timestamp():.6f}", "inclusive": "1",
                         "limit": "100"}  # a read method: query arguments, not a JSON body


async def test_find_post_finds_nothing_when_nothing_of_ours_matches(messenger, fake_slack, on_clock):
    since = on_clock.now()
    assert await messenger.find_post(TO, since, CARD) is None  # nothing there
    await messenger.post(TO, Card("Monday four-square", (Text("P1"),), fallback="Monday four-square"))
    await messenger.post(Conversation("slack", "T0TEAM", "C0OTHER"), CARD)  # another channel
    assert await messenger.find_post(TO, since, CARD) is None


async def test_find_post_ignores_what_was_posted_before_since(messenger, fake_slack, on_clock):
    await messenger.post(TO, CARD)  # last week's, say
    on_clock.advance(seconds=60)
    assert await messenger.find_post(TO, on_clock.now(), CARD) is None


async def test_the_same_text_from_another_app_or_a_person_is_not_ours(messenger, fake_slack, on_clock):
    since = on_clock.now()
    bot_id, bot_user = OTHER_APP
    sent = await messenger.post(TO, CARD)
    fake_slack.add_message("C0RDEFF", "Friday wins", bot_id=bot_id, user=bot_user,
                           blocks=fake_slack.bodies("chat.postMessage")[0]["blocks"])
    fake_slack.add_message("C0RDEFF", "Friday wins", user="U0ENGINEER")
    assert await messenger.find_post(TO, since, CARD) == sent  # ours, not the newer look-alikes
    fake_slack.messages["C0RDEFF"].remove(next(m for m in fake_slack.messages["C0RDEFF"] if m["ts"] == sent.message_id))
    assert await messenger.find_post(TO, since, CARD) is None
    assert len(fake_slack.calls_to("auth.test")) == 1  # who we are is asked once per token


async def test_a_card_rendered_again_with_newer_numbers_is_still_found_by_its_fallback(messenger, fake_slack,
                                                                                      on_clock):
    since = on_clock.now()
    sent = await messenger.post(TO, Card("Monday four-square", (Text("confidence 6"),), fallback="Monday W48"))
    again = Card("Monday four-square", (Text("confidence 7"),), fallback="Monday W48")
    assert await messenger.find_post(TO, since, again) == sent


async def test_find_post_reads_on_past_a_full_page_and_no_further_than_its_bound(messenger, fake_slack, on_clock):
    from adapters.slack.messenger import HISTORY_PAGE, HISTORY_PAGES

    since = on_clock.now()
    sent = await messenger.post(TO, CARD)
    for n in range(HISTORY_PAGE + 10):
        fake_slack.add_message("C0RDEFF", f"busy {n}", user="U0ENGINEER")
    assert await messenger.find_post(TO, since, CARD) == sent
    assert [bool(c.body.get("cursor")) for c in fake_slack.calls_to("conversations.history")] == [False, True]

    for n in range(HISTORY_PAGE * HISTORY_PAGES):
        fake_slack.add_message("C0RDEFF", f"busier {n}", user="U0ENGINEER")
    fake_slack.calls.clear()
    assert await messenger.find_post(TO, since, CARD) is None  # too far back: sent again, never lost
    assert len(fake_slack.calls_to("conversations.history")) == HISTORY_PAGES


async def test_find_post_in_a_thread_looks_at_its_replies(messenger, fake_slack, on_clock):
    since = on_clock.now()
    parent = await messenger.post(TO, CARD)
    assert await messenger.find_post(TO, since, CARD, thread=parent) is None  # the parent is no reply
    wrapup = Card(None, (Text("3 wins this week"),), fallback="3 wins this week")
    assert await messenger.find_post(TO, since, wrapup) is None  # a reply is not in the channel's history
    reply = await messenger.reply(TO, parent, wrapup)
    assert await messenger.find_post(TO, since, wrapup, thread=parent) == reply
    (call,) = fake_slack.calls_to("conversations.replies")[-1:]
    assert call.body["ts"] == parent.message_id and call.body["channel"] == "C0RDEFF"


async def test_find_direct_looks_in_the_direct_message(messenger, fake_slack, on_clock):
    since = on_clock.now()
    psst = Card(None, (Text("psst"),), fallback="psst")
    assert await messenger.find_direct("U0LEAD", "T0TEAM", since, psst) is None
    sent = await messenger.send_direct("U0LEAD", "T0TEAM", psst)
    assert await messenger.find_direct("U0LEAD", "T0TEAM", since, psst) == sent
    assert fake_slack.calls_to("conversations.history")[-1].body["channel"] == "D0LEAD"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "missing_scope", "invalid_auth"])
async def test_find_post_errors_are_permanent_like_the_other_calls(messenger, fake_slack, error):
    fake_slack.fail("conversations.history", error)
    with pytest.raises(DeliveryError) as failed:
        await messenger.find_post(TO, datetime.now(UTC), CARD)
    assert failed.value.permanent and failed.value.reason == error


async def test_find_post_a_thread_gone_is_permanent(messenger, fake_slack):
    with pytest.raises(DeliveryError) as failed:
        await messenger.find_post(TO, datetime.now(UTC), CARD, thread=MessageRef("C0RDEFF", "1.000001"))
    assert failed.value.permanent and failed.value.reason == "thread_not_found"


async def test_find_post_an_auth_test_refused_is_permanent(messenger, fake_slack):
    fake_slack.fail("auth.test", "token_revoked")
    with pytest.raises(DeliveryError) as failed:
        await messenger.find_post(TO, datetime.now(UTC), CARD)
    assert failed.value.permanent and failed.value.reason == "token_revoked"
    assert fake_slack.calls_to("conversations.history") == []


async def test_find_post_transient_errors_carry_retry_after(fake_slack):
    async def token(_workspace: str) -> str:
        return "xoxb-team"

    messenger = SlackMessenger(fake_slack.api_url, token)
    fake_slack.rate_limit("conversations.history", retry_after=9)
    with pytest.raises(DeliveryError) as failed:
        await messenger.find_post(TO, datetime.now(UTC), CARD)
    assert not failed.value.permanent and failed.value.retry_after == 9
    assert len(fake_slack.calls_to("conversations.history")) == 1  # no SDK wait: the caller decides

    fake_slack.server_error("conversations.history", status=503, times=2)
    with pytest.raises(DeliveryError) as failed:
        await messenger.find_post(TO, datetime.now(UTC), CARD)
    assert not failed.value.permanent and failed.value.reason == "http_503"


def test_the_manifest_asks_for_the_history_scopes_the_look_ups_read():
    from adapters.slack.manifest import BOT_SCOPES

    # conversations.history/replies in public and private channels, and in the bot's direct messages
    assert {"channels:history", "groups:history", "im:history"} <= set(BOT_SCOPES)


async def test_a_message_is_matched_by_its_first_block_when_its_text_differs(messenger, fake_slack, on_clock):
    since = on_clock.now()
    card = Card("Monday four-square", (Text("P1: ship it"),), fallback="Monday W48")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Monday four-square"}}]
    fake_slack.add_message("C0RDEFF", "Monday W48 (edited by Slack)", bot_id="B0BOT", user="U0BOT", blocks=blocks)
    fake_slack.add_message("C0RDEFF", "buttons only", bot_id="B0BOT", user="U0BOT",
                           blocks=[{"type": "actions", "elements": []}])
    found = await messenger.find_post(TO, since, card)
    assert found is not None and found.message_id == fake_slack.messages["C0RDEFF"][0]["ts"]
    no_text_first = Card(None, (Actions((Button("Add a win", "win_open"),)),), fallback="")
    assert await messenger.find_post(TO, since, no_text_first) is None  # two blocks without text are no match
