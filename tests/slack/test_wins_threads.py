"""Replies marked "win:" in the thread of a Friday wins post become wins: once, edited, deleted; nothing else does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import transaction
from storage.models import RitualRun, Team, Win
from tests.slack.conftest import ENGINEER, RD_CHANNEL

ROOT_TS = "1700000100.000100"


@pytest.fixture
def wins_post(slack, sessions, clock, org_id) -> str:
    """A Friday wins post of R&D Efficiency in week 2026-W47, as the rituals engine records it."""
    with transaction(sessions) as s:
        team = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        s.add(RitualRun(org_id=org_id, team_id=team.id, ritual="friday", period="2026-W47", state="posted",
                        platform="slack", channel_id=RD_CHANNEL, message_ref=ROOT_TS, posted_at=clock.now()))
    return ROOT_TS


def reply(text: str, ts: str, thread_ts: str = ROOT_TS, user: str = ENGINEER, **extra) -> dict:
    return {"type": "message", "channel": RD_CHANNEL, "channel_type": "channel", "user": user, "text": text,
            "ts": ts, "thread_ts": thread_ts, "event_ts": ts, **extra}


def wins(sessions) -> list[tuple[str, str, str]]:
    with sessions() as s:
        return [(w.text, w.week, w.message_id) for w in s.scalars(select(Win).order_by(Win.id))]


async def test_a_reply_is_a_win_of_that_team_and_week_stored_once_despite_retries(slack, sessions, wins_post):
    event = reply("win: Closed the vendor deal &amp; signed &lt;3", "1700000200.000001")
    status, _ = await slack.event(event, event_id="Ev1")
    assert status == 200
    for retry in (1, 2):  # Slack redelivers the same event with X-Slack-Retry-Num
        status, _ = await slack.event(event, event_id="Ev1", retry=retry)
        assert status == 200
    assert wins(sessions) == [("Closed the vendor deal & signed <3", "2026-W47", "1700000200.000001")]
    with sessions() as s:
        team = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        assert s.scalar(select(Win.team_id)) == team.id


async def test_an_edit_updates_the_win_and_a_deletion_removes_it(slack, sessions, wins_post):
    await slack.event(reply("win: first draft", "1700000200.000002"))
    edited = {"type": "message", "subtype": "message_changed", "channel": RD_CHANNEL, "hidden": True,
              "ts": "1700000300.000001", "event_ts": "1700000300.000001",
              "message": reply("WIN: final words", "1700000200.000002"),
              "previous_message": reply("win: first draft", "1700000200.000002")}
    await slack.event(edited)
    assert [w[0] for w in wins(sessions)] == ["final words"]
    deleted = {"type": "message", "subtype": "message_deleted", "channel": RD_CHANNEL, "hidden": True,
               "ts": "1700000400.000001", "deleted_ts": "1700000200.000002", "event_ts": "1700000400.000001",
               "previous_message": reply("WIN: final words", "1700000200.000002")}
    await slack.event(deleted)
    assert wins(sessions) == []


async def test_bot_messages_roots_other_threads_and_strangers_are_ignored(slack, sessions, fake_slack, wins_post):
    await slack.event(reply("win: our own prompt", "1700000200.000010", user="U0BOT", bot_id="B0BOT"))
    await slack.event(reply("win: another bot", "1700000200.000011", bot_id="B0OTHER", subtype="bot_message"))
    await slack.event(reply("win: not in a wins thread", "1700000200.000012", thread_ts="1600000000.000001"))
    await slack.event({"type": "message", "channel": RD_CHANNEL, "user": ENGINEER, "text": "win: plain channel chat",
                       "ts": "1700000200.000013"})
    await slack.event(reply("win: thread root itself", ROOT_TS))
    fake_slack.add_user("U0STRANGER", "nobody@else.example")
    await slack.event(reply("win: a stranger's cheer", "1700000200.000014", user="U0STRANGER"))
    assert wins(sessions) == []
    assert not fake_slack.calls_to("chat.postMessage")  # nothing answered into the channel


async def test_another_workspace_cannot_add_a_win_to_this_thread(slack, sessions, fake_slack, wins_post):
    await slack.command("help")  # T0TEAM claims the example organization
    fake_slack.add_user("U0OTHER", "engineer@example.com", team_id="T0OTHER")  # same email, other workspace
    await slack.event(reply("win: sneaky", "1700000200.000020", user="U0OTHER"), team="T0OTHER")
    assert wins(sessions) == []


async def test_cheering_and_thanks_are_not_wins_and_the_mark_can_be_edited_in_or_out(slack, sessions, wins_post):
    """Issue 9: "Great work R&D!" and "thanks all" pushed the week's count to 9. Only marked replies count."""
    for n, text in enumerate(("Great work R&amp;D!", "thanks all", "🎉🎉", "did anyone win: the lottery?",
                              "win:", "  Win:  cut the build time in half"), start=1):
        await slack.event(reply(text, f"1700000500.00000{n}"))
    assert [w[0] for w in wins(sessions)] == ["cut the build time in half"]

    def edit(ts: str, before: str, after: str) -> dict:
        return {"type": "message", "subtype": "message_changed", "channel": RD_CHANNEL, "hidden": True,
                "ts": f"{ts}9", "event_ts": f"{ts}9", "message": reply(after, ts),
                "previous_message": reply(before, ts)}

    await slack.event(edit("1700000500.000002", "thanks all", "win: thanks to Bo, the vendor signed"))
    await slack.event(edit("1700000500.000006", "  Win:  cut the build time in half", "cut the build time in half?"))
    assert [w[0] for w in wins(sessions)] == ["thanks to Bo, the vendor signed"]
