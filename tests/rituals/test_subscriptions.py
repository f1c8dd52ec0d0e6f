"""Subscriptions (#13), on SQLite and PostgreSQL: `/okr subscribe TEAM` in any channel gets that channel the team's
rolled-up weekly report every week, exactly once per week however often the clock sweeps (the `subscriptions` ritual's
claims); `unsubscribe` stops it; `subscribe` alone lists the channel's subscriptions; bad input stores nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.rituals.sweep import sweep
from storage.models import RitualSetting, Subscription
from tests.conftest import card_text
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages

ENGINEER = "engineer@example.com"
FRIDAY_1830 = MONDAY_0900 + timedelta(days=4, hours=9, minutes=30)  # Friday 2026-11-27 18:30 in Shanghai


def _words(message) -> str:
    return (message.text or "") + json.dumps(message.card, ensure_ascii=False)


def _subscriptions(sessions) -> list[tuple[int, str, str]]:
    with sessions() as s:
        return [(x.team_id, x.platform, x.channel_id) for x in s.scalars(select(Subscription))]


def test_subscribe_list_and_unsubscribe_in_a_channel(chat, sessions):
    said = card_text(chat.say("subscribe rd-efficiency", actor=ENGINEER))
    assert "Type it in the channel that should get the report" in said
    said = card_text(chat.say("subscribe nosuchteam", actor=ENGINEER, conversation="retail"))
    assert "nosuchteam" in said
    assert _subscriptions(sessions) == []
    said = card_text(chat.say("subscribe", actor=ENGINEER, conversation="retail"))
    assert "This channel gets no team's weekly report" in said
    said = card_text(chat.say("subscribe rd-efficiency", actor=ENGINEER, conversation="retail"))
    assert "This channel is now subscribed to *R&D Efficiency*" in said and "on Fridays at" in said
    said = card_text(chat.say("subscribe rd-efficiency", actor=ENGINEER, conversation="retail"))
    assert "already subscribed" in said
    assert len(_subscriptions(sessions)) == 1
    said = card_text(chat.say("subscribe", actor=ENGINEER, conversation="retail"))
    assert "*R&D Efficiency* (`rd-efficiency`)" in said
    said = card_text(chat.say("unsubscribe rd-efficiency", actor=ENGINEER, conversation="retail"))
    assert "no longer gets the weekly report of *R&D Efficiency*" in said
    assert _subscriptions(sessions) == []
    with sessions() as s:
        assert s.scalar(select(RitualSetting.enabled).where(RitualSetting.ritual == "subscriptions")) is False
    said = card_text(chat.say("unsubscribe rd-efficiency", actor=ENGINEER, conversation="retail"))
    assert "was not subscribed" in said


async def test_the_report_reaches_each_subscribed_channel_once_a_week(chat, sessions, app_ctx, clock, deliverer):
    chat.say("subscribe rd-efficiency", actor=ENGINEER, conversation="retail")
    chat.say("subscribe ecology", actor=ENGINEER, conversation="ecology-hr")
    chat.say("subscribe rd-efficiency", actor=ENGINEER, conversation="ecology-hr")
    before = {c: len(sandbox_messages(sessions, c)) for c in ("retail", "ecology-hr")}
    for minutes in (0, 1, 30):
        clock.set(FRIDAY_1830 + timedelta(minutes=minutes))
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
    digests = runs_of(sessions, "subscriptions")
    assert sorted(r.state for r in digests) == ["posted", "posted"], [(r.state, r.reason) for r in digests]
    new = {c: sandbox_messages(sessions, c)[before[c]:] for c in before}
    reports = {c: [m for m in new[c] if "Weekly status report" in _words(m)] for c in new}
    assert len(reports["retail"]) == 1 and len(reports["ecology-hr"]) == 2, reports
    assert "R&D Efficiency" in _words(reports["retail"][0])

    chat.say("unsubscribe rd-efficiency", actor=ENGINEER, conversation="retail")
    chat.say("unsubscribe rd-efficiency", actor=ENGINEER, conversation="ecology-hr")
    clock.set(FRIDAY_1830 + timedelta(days=7))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    weeks = {(r.team_id, r.period) for r in runs_of(sessions, "subscriptions")}
    assert len(weeks) == 3  # next week: ecology's only
