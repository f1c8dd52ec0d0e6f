"""The App Home tab: my key results with badges and trends, my team's priorities, buttons."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.services.checkins import record_checkin
from storage.db import transaction
from storage.models import KeyResult
from tests.slack.conftest import ENGINEER


def opened(user: str = ENGINEER, tab: str = "home") -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
            "event_ts": "1700000000.000001"}


async def test_home_shows_my_key_results_with_badges_trends_priorities_and_buttons(
    slack, sessions, clock, fake_slack
):
    with transaction(sessions) as s:  # a week ago confidence was 8; now it is 6: a trend and a drop
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        record_checkin(s, kr, person_id=None, at=clock.now() - timedelta(days=7), source="cli", confidence=8)
        record_checkin(s, kr, person_id=None, at=clock.now(), source="cli", confidence=6)
    await slack.command("priority add P1 Ship the vendor API")
    status, _ = await slack.event(opened())
    assert status == 200
    (call,) = fake_slack.calls_to("views.publish")
    assert call.body["user_id"] == ENGINEER
    view = call.body["view"]
    assert view["type"] == "home"
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] in ("section", "header"))
    assert re.search(r"🟡 \*6/10\* ▼2 ⚠️ \*<https?://[^|>]+/kr/rd-o1-kr3\?org=\d+\|rd-o1-kr3>\*", text)  # colour,
    # number, change and flag, and the code links to the key result's page
    assert "8 → 6" in text  # the weekly trend
    assert "Ship the vendor API" in text  # my team's priorities this week
    buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[:2] == ["checkin_open", "priorities_open"]
    assert "priority_done" in buttons


async def test_home_of_a_stranger_says_how_to_get_added(slack, fake_slack):
    fake_slack.add_user("U0NEW", "new@else.example")
    await slack.event(opened("U0NEW"))
    (call,) = fake_slack.calls_to("views.publish")
    assert "I don't know you yet" in call.body["view"]["blocks"][0]["text"]["text"]


async def test_the_messages_tab_publishes_nothing(slack, fake_slack):
    await slack.event(opened(tab="messages"))
    assert not fake_slack.calls_to("views.publish")


async def test_a_done_button_on_the_home_tab_marks_it_and_refreshes_the_tab(slack, sessions, fake_slack):
    from storage.models import Priority

    await slack.command("priority add P1 Ship the vendor API")
    with sessions() as s:
        priority = s.scalar(select(Priority))
    status, _ = await slack.click("priority_done", str(priority.id), channel=None,
                                  view={"id": "V0HOME", "type": "home"})
    assert status == 200
    with sessions() as s:
        assert s.get(Priority, priority.id).status == "done"
    (call,) = fake_slack.calls_to("views.publish")
    text = "\n".join(b["text"]["text"] for b in call.body["view"]["blocks"] if b["type"] == "section")
    assert "Ship the vendor API ✅ done" in text
    assert not fake_slack.calls_to("chat.postMessage")  # no extra direct message
