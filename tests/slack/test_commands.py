"""/okr, buttons and modals through the real /slack/events route, answered by the real core."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from adapters.slack.routes import BRIDGE
from storage.models import CheckIn, KeyResult, PlatformAccount, Priority, Win
from tests.conftest import Chat, card_text
from tests.slack.conftest import ENGINEER, RD_CHANNEL


def _confidence(sessions, key: str) -> int:
    with sessions() as s:
        return s.scalar(select(KeyResult.confidence).where(KeyResult.key == key))


def _checkins(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "slack"))


def _all_text(blocks: list[dict]) -> str:
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return "\n".join(parts)


async def test_confidence_is_stored_and_answered_in_the_ack(slack, sessions, fake_slack):
    status, body = await slack.command("confidence 1 7 vendor signed")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert "Confidence 5 → *7*/10" in body["text"]
    assert "🟡 *7/10*" in _all_text(body["blocks"])  # colour and number, never colour alone
    assert _confidence(sessions, "rd-o1-kr3") == 7
    assert not fake_slack.calls_to("chat.postMessage")  # the reply rode in the ack


async def test_bad_input_is_a_friendly_ephemeral_message_and_writes_nothing(slack, sessions):
    status, body = await slack.command("confidence 1 eleven")
    assert status == 200 and body["response_type"] == "ephemeral"
    assert "Usage" in _all_text(body["blocks"])
    assert "Traceback" not in str(body)
    assert _checkins(sessions) == 0


async def test_a_win_is_posted_in_the_channel_with_user_text_escaped(slack, sessions):
    status, body = await slack.command("win shipped <!channel> & <@U999> fixed it")
    assert status == 200
    assert body["response_type"] == "in_channel"
    text = _all_text(body["blocks"]) + body["text"]
    assert "<!channel>" not in text and "<@U999>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text
    with sessions() as s:
        assert s.scalar(select(Win.text)) == "shipped <!channel> & <@U999> fixed it"


async def test_checkin_opens_a_modal_with_the_trigger_and_a_good_submit_records_everything(
    slack, sessions, fake_slack
):
    status, body = await slack.command("checkin")
    assert status == 200 and not body  # empty ack: the modal is the answer
    (call,) = fake_slack.calls_to("views.open")
    assert call.body["trigger_id"].startswith("trigger-")
    view = call.body["view"]
    assert view["type"] == "modal" and view["callback_id"] == "checkin"
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
    select_block = next(b for b in view["blocks"] if b.get("block_id") == f"confidence:{kr.id}")
    assert select_block["element"]["initial_option"]["value"] == "5"  # preset to the current value

    status, body = await slack.submit(view, {f"confidence:{kr.id}": "3", f"value:{kr.id}": "40",
                                             f"note:{kr.id}": "vendor slipped"})
    assert status == 200 and not body  # the modal closes
    assert _confidence(sessions, "rd-o1-kr3") == 3
    with sessions() as s:
        assert s.get(KeyResult, kr.id).current_value == 40
    (told,) = await fake_slack.wait_for("response_url")
    assert told.path == "/response/cmd1"  # back where /okr checkin was typed
    assert told.body["response_type"] == "ephemeral"


async def test_a_bad_value_in_the_modal_comes_back_as_a_field_error_and_writes_nothing(slack, sessions, fake_slack):
    await slack.command("checkin")
    view = fake_slack.bodies("views.open")[0]["view"]
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
    status, body = await slack.submit(view, {f"confidence:{kr.id}": "8", f"value:{kr.id}": "forty"})
    assert status == 200
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [f"value:{kr.id}"]
    assert "forty" in body["errors"][f"value:{kr.id}"]
    assert _checkins(sessions) == 0 and _confidence(sessions, "rd-o1-kr3") == 5


async def test_priorities_modal_and_the_done_button(slack, sessions, fake_slack):
    await slack.command("priorities", channel=RD_CHANNEL)
    view = fake_slack.bodies("views.open")[0]["view"]
    assert view["callback_id"] == "priorities"
    status, body = await slack.submit(view, {"level:1": "P1", "text:1": "Ship the vendor API"})
    assert status == 200 and not body
    with sessions() as s:
        priority = s.scalar(select(Priority).where(Priority.text == "Ship the vendor API"))
    assert priority.status == "open"

    status, _ = await slack.click("priority_done", str(priority.id))
    assert status == 200
    with sessions() as s:
        assert s.get(Priority, priority.id).status == "done"
    told = await fake_slack.wait_for("response_url", count=2)
    assert "done" in told[-1].body["text"].lower() or "✅" in _all_text(told[-1].body["blocks"])


async def test_a_button_that_opens_a_form_uses_its_trigger(slack, fake_slack):
    status, _ = await slack.click("checkin_open#1")  # a renderer-made duplicate id still reaches the core
    assert status == 200
    (call,) = fake_slack.calls_to("views.open")
    assert call.body["view"]["callback_id"] == "checkin"


async def test_an_unknown_user_is_looked_up_by_email_once_and_linked(slack, sessions, fake_slack):
    fake_slack.add_user("U0LIU", "Liu.Liu@example.com", "Liu Liu")
    status, body = await slack.command("mine", user="U0LIU")
    assert status == 200 and "Liu Liu" in _all_text(body["blocks"])
    assert [c.body["user"] for c in fake_slack.calls_to("users.info")] == ["U0LIU"]
    with sessions() as s:
        assert s.scalar(select(PlatformAccount.account_id).where(PlatformAccount.account_id == "U0LIU"))
    await slack.command("mine", user="U0LIU")
    assert len(fake_slack.calls_to("users.info")) == 1  # known now: no second look-up
    await slack.command("mine", user=ENGINEER)
    await slack.client.app[BRIDGE].drain()  # the locale is asked after the answer
    assert len(fake_slack.calls_to("users.info")) == 2  # linked in the import: looked up once, for the locale
    await slack.command("mine", user=ENGINEER)
    await slack.client.app[BRIDGE].drain()
    assert len(fake_slack.calls_to("users.info")) == 2  # and never again (Slack could not say: not asked again)


async def test_a_stranger_is_told_how_to_get_added(slack, fake_slack, sessions):
    fake_slack.add_user("U0NEW", "someone@else.example", "Someone")
    status, body = await slack.command("confidence 1 9", user="U0NEW")
    assert status == 200
    assert "I don't know you yet" in _all_text(body["blocks"])
    assert _checkins(sessions) == 0


async def test_url_verification_answers_the_challenge(slack):
    import json

    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    status, answer = await slack.post(body, "application/json")
    assert status == 200 and answer == {"challenge": "c-123"}


async def test_forged_missing_and_stale_signatures_get_401_and_change_nothing(slack, sessions):
    from urllib.parse import urlencode

    body = urlencode({"team_id": "T0TEAM", "user_id": ENGINEER, "channel_id": RD_CHANNEL, "command": "/okr",
                      "text": "confidence 1 9", "trigger_id": "t", "response_url": "http://127.0.0.1:9/x"})
    headers = slack.headers(body, "application/x-www-form-urlencoded")
    forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    missing = {k: v for k, v in headers.items() if k != "X-Slack-Signature"}
    stale = slack.headers(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 301)
    for case in (forged, missing, stale):
        response = await slack.client.post("/slack/events", data=body.encode(), headers=case)
        assert response.status == 401
    other_secret = type(slack)(slack.client, slack.fake, secret="not-the-secret")
    status, _ = await other_secret.command("confidence 1 9")
    assert status == 401
    assert _checkins(sessions) == 0 and _confidence(sessions, "rd-o1-kr3") == 5


async def test_forged_events_and_interactions_get_401_too(slack, sessions, fake_slack):
    import json
    from urllib.parse import urlencode

    event = json.dumps({"team_id": "T0TEAM", "type": "event_callback", "event_id": "Ev9",
                        "event": {"type": "app_home_opened", "user": ENGINEER, "tab": "home"}})
    click = urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": "T0TEAM"},
                                              "user": {"id": ENGINEER}, "trigger_id": "t",
                                              "actions": [{"action_id": "checkin_open", "value": ""}]})})
    for body, content_type in ((event, "application/json"), (click, "application/x-www-form-urlencoded")):
        headers = {**slack.headers(body, content_type), "X-Slack-Signature": "v0=" + "f" * 64}
        response = await slack.client.post("/slack/events", data=body.encode(), headers=headers)
        assert response.status == 401
    assert not fake_slack.calls_to("views.publish") and not fake_slack.calls_to("views.open")


async def test_users_info_failing_leaves_a_stranger_a_stranger(slack, fake_slack, sessions):
    fake_slack.fail("users.info", "missing_scope")
    status, body = await slack.command("confidence 1 9", user="U0NOSCOPE")
    assert status == 200 and "I don't know you yet" in _all_text(body["blocks"])
    assert _checkins(sessions) == 0


async def test_uninstall_events_are_acknowledged_in_single_workspace_mode(slack):
    for kind in ("app_uninstalled", "tokens_revoked"):
        status, _ = await slack.event({"type": kind, "event_ts": "1700000000.1", "tokens": {"bot": ["U0BOT"]}})
        assert status == 200


async def test_a_removed_key_result_is_refused_with_when_and_why(slack_app, org_id, sessions):
    """A key result removed by an honest change: checking in on it by its code is refused kindly, nothing stored."""
    ctx, slack = slack_app
    removed = Chat(ctx.core, org_id).say("change rd-o1-kr4 remove because the vendor dropped the product",
                                         actor="director.rd@example.com")
    assert "rd-o1-kr4: removed" in card_text(removed)
    status, body = await slack.command("confidence rd-o1-kr4 7")
    assert status == 200 and body["response_type"] == "ephemeral"
    text = _all_text(body["blocks"])
    assert "*rd-o1-kr4* was removed from its objective on" in text and "(the vendor dropped the product)" in text
    assert _checkins(sessions) == 0
