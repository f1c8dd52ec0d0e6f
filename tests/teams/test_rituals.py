"""The rituals engine (bot/rituals) through the Teams Messenger: threads in the bound channel, once; wins in them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.rituals.delivery import Deliverer, RetryPolicy
from bot.rituals.sweep import sweep
from storage.models import RitualRun, Win
from tests.teams.conftest import CHANNEL

MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, the example's zone
FRIDAY_1600 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _runs(sessions, ritual: str) -> list[RitualRun]:
    with sessions() as s:
        return list(s.scalars(select(RitualRun).where(RitualRun.ritual == ritual, RitualRun.platform == "teams")))


async def _bound(teams) -> Deliverer:
    await teams.say("bind rd-efficiency", "director", where="channel")
    await teams.say("help", "engineer")
    teams.connector.calls.clear()
    return Deliverer(concurrency=4, sleep=teams.time.sleep, jitter=lambda: 1.0)


async def test_monday_starts_one_thread_in_the_bound_channel_and_records_both_ids(teams, clock, sessions):
    deliverer = await _bound(teams)
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    await sweep(teams.ctx, clock.now() + timedelta(minutes=1), deliverer=deliverer)  # a second sweep posts nothing
    [create] = teams.connector.of("create")
    assert create.body["channelData"]["channel"] == {"id": CHANNEL}
    assert "R&D Efficiency" in create.text
    [run] = _runs(sessions, "monday")
    assert (run.state, run.channel_id) == ("posted", CHANNEL)
    assert run.message_ref == create.activity_id
    assert run.thread_ref == create.conversation == f"{CHANNEL};messageid={create.activity_id}"


async def test_friday_wins_thread_collects_replies_once(teams, clock, sessions):
    deliverer = await _bound(teams)
    clock.set(FRIDAY_1600)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    [friday] = _runs(sessions, "friday")
    assert friday.state == "posted", friday.reason
    reply = teams.message("win: we cut delivery time to 38 days", "engineer", where="channel", root=friday.message_ref,
                          mention=False)
    await teams.post(reply)
    await teams.post(reply)
    with sessions() as s:
        [win] = s.scalars(select(Win).where(Win.platform == "teams")).all()
    assert (win.text, win.message_id, win.week) == ("we cut delivery time to 38 days", reply["id"], friday.period)


async def test_a_channel_okrbot_was_removed_from_fails_the_run_and_tells_the_lead_once(teams, clock, sessions):
    deliverer = await _bound(teams)
    await teams.say("help", "director")  # the lead's personal chat: where okrbot can reach them
    teams.connector.calls.clear()
    teams.connector.fail_next(1, 403)  # Teams: the bot is no longer in the team
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    await sweep(teams.ctx, clock.now() + timedelta(minutes=1), deliverer=deliverer)
    with sessions() as s:
        run = s.scalar(select(RitualRun).where(RitualRun.ritual == "monday", RitualRun.state == "failed"))
    assert "not allowed" in run.reason and run.lead_notified
    told = [c for c in teams.connector.of("send") if c.conversation == "a:personal-director"]
    assert len(told) == 1 and "R&D Efficiency" in told[0].text
    assert teams.connector.of("create") == []


async def test_a_win_redraws_the_friday_thread_root_through_update_activity(teams, clock, sessions):
    """Issue 9, item 6: the Friday post keeps up on Teams too (PUT .../activities/ROOT on the reply chain)."""
    from okrbot.server import POSTS

    deliverer = await _bound(teams)
    clock.set(FRIDAY_1600)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    [friday] = _runs(sessions, "friday")
    await teams.post(teams.message("win: we cut delivery time to 38 days", "engineer", where="channel",
                                   root=friday.message_ref, mention=False))
    await teams.post(teams.message("Great work R&amp;D!", "director", where="channel", root=friday.message_ref,
                                   mention=False))  # cheering: not a win, nothing to redraw for it
    await teams.client.server.app[POSTS].refresh()
    updates = teams.connector.of("update")
    assert updates, "the Friday post was not updated"
    assert {(u.conversation, u.activity_id) for u in updates} == {(friday.thread_ref, friday.message_ref)}
    assert "**1** win so far this week" in updates[-1].text
    assert len(teams.connector.of("create")) == 1  # redrawn in place, not posted again


@pytest.mark.parametrize(("status", "attempts", "reason"), [
    (429, RetryPolicy().rate_limited_attempts, "gave up: rate limited 20 times: Teams answered 429"),
    (502, RetryPolicy().transient_attempts, "gave up: Teams answered 502"),
])
async def test_a_connector_that_refuses_forever_costs_one_post_its_budget_and_no_more(
        teams, clock, sessions, status, attempts, reason):
    """Issue 11: one retry budget per post. Against a connector answering 429 forever one Monday post
    made 120 attempts (the Deliverer's 20 times the Teams delivery's 6); now the Deliverer's budget is all."""
    deliverer = await _bound(teams)
    teams.connector.fail_always("create", status, retry_after="1" if status == 429 else None)
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    assert len([c for c in teams.connector.calls if c.kind == "create"]) == attempts
    with sessions() as s:
        [run] = s.scalars(select(RitualRun).where(RitualRun.ritual == "monday", RitualRun.state == "failed"))
    assert run.reason.startswith(reason) and "new thread in" in run.reason
    assert run.lead_notified is False  # as before: a refusal that may pass is nothing for the lead to fix
