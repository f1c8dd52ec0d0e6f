"""`schedule` and `skip`: leads only, in the channel's team, confirmed in the team's zone; the sweep obeys."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.rituals.sweep import sweep
from storage.models import RitualSetting, SkippedWeek
from tests.conftest import card_text
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages, team_id

LEAD = "director.rd@example.com"  # leads rd-efficiency


def setting(sessions, key: str, ritual: str) -> RitualSetting:
    with sessions() as s:
        return s.get(RitualSetting, (team_id(sessions, key), ritual))


def test_a_lead_moves_the_monday_post_and_is_told_in_the_team_zone(chat, sessions):
    reply = chat.say("schedule monday 09:30", actor=LEAD)
    text = card_text(reply)
    assert "Mondays at 09:30 (Asia/Shanghai time)" in text, text
    assert "Next: Mon 2026-11-23 09:30 Asia/Shanghai" in text, text
    row = setting(sessions, "rd-efficiency", "monday")
    assert (row.weekday, row.time, row.enabled) == (0, "09:30", True)

    chat.say("schedule monday tue 08:15", actor=LEAD)
    row = setting(sessions, "rd-efficiency", "monday")
    assert (row.weekday, row.time) == (1, "08:15")


def test_turning_a_ritual_off_and_on(chat, sessions):
    text = card_text(chat.say("schedule friday off", actor=LEAD))
    assert "is off" in text and "schedule friday on" in text
    assert setting(sessions, "rd-efficiency", "friday").enabled is False
    text = card_text(chat.say("schedule nudge on", actor=LEAD))
    assert "Tuesdays at 10:00" in text, text
    assert setting(sessions, "rd-efficiency", "nudge").enabled is True


def test_only_leads_may_schedule_and_are_named(chat, sessions):
    reply = card_text(chat.say("schedule monday 07:00"))  # the engineer is a member, not a lead
    assert "Only the leads of R&D Efficiency can do that (Zhao Lei)" in reply, reply
    assert setting(sessions, "rd-efficiency", "monday").time == "09:00"
    reply = card_text(chat.say("skip 2026-W52"))
    assert "Only the leads" in reply
    with sessions() as s:
        assert s.scalars(select(SkippedWeek)).all() == []


def test_bad_schedule_input_is_explained(chat):
    assert "is not a time" in card_text(chat.say("schedule monday 25:00", actor=LEAD))
    assert "is not a ritual" in card_text(chat.say("schedule lunch 12:00", actor=LEAD))
    assert "is not a week" in card_text(chat.say("skip 2026-W60", actor=LEAD))


def test_the_channel_decides_the_team(chat, sessions):
    """A lead of several teams schedules the team of the channel they type in."""
    chat.say("bind ecology", actor="vp.ecology@example.com", conversation="C-ECO")
    reply = card_text(chat.say("schedule friday 15:00", actor="vp.ecology@example.com", conversation="C-ECO"))
    assert "Platform Ecology Department" in reply, reply
    assert setting(sessions, "ecology", "friday").time == "15:00"
    assert setting(sessions, "rd-efficiency", "friday").time == "16:00"


async def test_skip_a_week_then_the_sweep_posts_nothing_that_week(chat, sessions, app_ctx, clock, deliverer):
    text = card_text(chat.say("skip 2026-W48", actor=LEAD))
    assert "skips its rituals in 2026-W48 (Mon 23 Nov to Sun 29 Nov 2026, Asia/Shanghai time)" in text, text
    chat.say("skip 2026-W48", actor=LEAD)  # twice is fine
    assert "already over" in card_text(chat.say("skip 2026-W40", actor=LEAD))

    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = team_id(sessions, "rd-efficiency")
    run_ = next(r for r in runs_of(sessions, "monday") if r.team_id == rd and r.period == "2026-W48")
    assert run_.state == "skipped"
    assert sandbox_messages(sessions, "rd-efficiency") == []


async def test_a_new_time_is_used_by_the_next_sweep(chat, sessions, app_ctx, clock, deliverer):
    chat.say("schedule monday 10:00", actor=LEAD)
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert sandbox_messages(sessions, "rd-efficiency") == []
    clock.set(MONDAY_0900 + timedelta(hours=1))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 1


def test_schedule_alone_shows_every_ritual_to_anyone_in_the_team(chat):
    chat.say("schedule friday off", actor=LEAD)
    chat.say("skip 2026-W52", actor=LEAD)
    text = card_text(chat.say("schedule"))  # the engineer, a member
    assert "Rituals of *R&D Efficiency* (Asia/Shanghai time)" in text, text
    assert "*Monday four-square* (`monday`): on, Mondays at 09:00; next Mon 2026-11-23 09:00 Asia/Shanghai" in text
    assert "*Friday wins post* (`friday`): off" in text
    assert "*Tuesday check-in nudge* (`nudge`): off" in text
    assert "Skipped weeks: 2026-W52." in text
    assert "Only the leads of R&D Efficiency change it (Zhao Lei)" in text
    lead = card_text(chat.say("schedule monday", actor=LEAD))  # a ritual alone shows the schedule too
    assert "Rituals of *R&D Efficiency*" in lead and "schedule RITUAL off" in lead


def test_a_lead_who_speaks_chinese_is_told_the_ritual_day_and_dates_in_chinese(chat):
    """The ritual's title, its weekday and the skipped week's dates come from Python: they speak it too."""
    chat.say("language zh-CN", actor=LEAD)
    text = card_text(chat.say("schedule monday 09:30", actor=LEAD))
    assert "*周一四象限*" in text and "每周一 09:30" in text, text
    assert "Monday" not in text and "Mondays" not in text, text
    text = card_text(chat.say("skip 2026-W48", actor=LEAD))
    assert "11月23日周一 至 2026年11月29日周日" in text, text
