"""Ritual threads, thread replies, updates and direct messages through the Teams Messenger; wins; limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.model import Card, Conversation, DeliveryError, PermanentFailure, RetryAfter, Text, TransientFailure
from bot.rituals.delivery import Deliverer
from storage.db import transaction
from storage.models import RitualRun, Team, Win
from tests.teams.conftest import CHANNEL, TENANT, start_harness

CARD = Card("Friday wins", (Text("What went well this week? Reply in this thread."),), fallback="Friday wins")


async def _installed(teams) -> Conversation:
    """The bot has seen the channel (any message there stores its reference) and the engineer's chat."""
    await teams.say("help", "director", where="channel")
    await teams.say("help", "engineer")
    teams.connector.calls.clear()
    return Conversation("teams", TENANT, CHANNEL)


async def test_post_starts_a_new_thread_and_reply_update_and_direct_message_reach_it(teams):
    to = await _installed(teams)
    posted = await teams.messenger.post(to, CARD)
    [create] = teams.connector.of("create")
    assert create.body["isGroup"] is True
    assert create.body["channelData"]["channel"] == {"id": CHANNEL}
    assert "Friday wins" in create.text
    assert posted.channel_id == CHANNEL
    assert posted.thread_id == f"{CHANNEL};messageid={posted.message_id}" == create.conversation

    replied = await teams.messenger.reply(to, posted, Card(None, (Text("*3* wins so far"),), fallback="3 wins"))
    [send] = teams.connector.of("send")
    assert send.conversation == posted.thread_id and "**3** wins so far" in send.text
    assert replied.thread_id == posted.thread_id

    await teams.messenger.update(to, posted, Card("Friday wins (closed)", fallback="closed"))
    [update] = teams.connector.of("update")
    assert (update.conversation, update.activity_id) == (posted.thread_id, posted.message_id)

    direct = await teams.messenger.send_direct("aad-engineer", TENANT, Card(None, (Text("Check-in time"),)))
    assert teams.connector.of("send")[-1].conversation == "a:personal-engineer"
    assert direct.message_id == teams.connector.of("send")[-1].activity_id


async def test_references_survive_a_restart(teams, database_url, clock, bot_connector, monkeypatch):
    to = await _installed(teams)
    again, client = await start_harness(database_url, clock, bot_connector, monkeypatch)
    try:
        await again.messenger.post(to, CARD)
        await again.messenger.send_direct("aad-engineer", TENANT, CARD)
    finally:
        await client.close()
        again.ctx.engine.dispose()
    assert len(bot_connector.of("create")) == 1 and len(bot_connector.of("send")) == 1


async def test_429_and_friends_are_retried_by_the_deliverer_with_backoff_and_delivered_once(teams):
    """The messenger tries once and classifies; the rituals' Deliverer (the one retry budget) tries again."""
    to = await _installed(teams)
    teams.connector.fail_next(1, 429, retry_after="3")
    teams.connector.fail_next(1, 412, retry_after=None)
    teams.connector.fail_next(1, 502, retry_after=None)
    teams.connector.fail_next(1, 504, retry_after=None)
    deliverer = Deliverer(sleep=teams.time.sleep, jitter=lambda: 1.0)
    posted = await deliverer.send(("teams", TENANT), lambda: teams.messenger.post(to, CARD))
    assert [c.answer_status for c in teams.connector.calls] == [429, 412, 502, 504, 200]
    assert len(teams.connector.of("create")) == 1 and posted.message_id
    assert teams.time.sleeps[0] >= 3  # Retry-After honoured
    assert all(0 < pause <= 30 for pause in teams.time.sleeps)


@pytest.mark.parametrize(("status", "retry_after", "kind"), [
    (429, "3", RetryAfter), (429, None, RetryAfter), (502, "5", RetryAfter),
    (412, None, TransientFailure), (502, None, TransientFailure), (504, None, TransientFailure),
    (500, None, TransientFailure), (403, None, PermanentFailure), (404, None, PermanentFailure),
])
async def test_each_failure_is_one_attempt_classified(teams, status, retry_after, kind):
    to = await _installed(teams)
    teams.connector.fail_next(1, status, retry_after=retry_after)
    with pytest.raises(kind) as failed:
        await teams.messenger.post(to, CARD)
    assert [c.answer_status for c in teams.connector.calls] == [status]
    assert failed.value.retry_after == (float(retry_after) if retry_after else None)
    assert teams.time.sleeps == []


async def test_permanent_failures_are_delivery_errors(teams):
    to = await _installed(teams)
    teams.connector.fail_next(1, 403)
    with pytest.raises(DeliveryError) as failed:
        await teams.messenger.post(to, CARD)
    assert failed.value.permanent and "not allowed" in failed.value.reason
    with pytest.raises(DeliveryError) as failed:
        await teams.messenger.post(Conversation("teams", TENANT, "19:never-seen@thread.tacv2"), CARD)
    assert failed.value.permanent and "add okrbot" in failed.value.reason
    with pytest.raises(DeliveryError) as failed:
        await teams.messenger.send_direct("aad-director", TENANT, CARD)
    assert failed.value.permanent
    teams.connector.fail_next(10, 429)
    with pytest.raises(DeliveryError) as failed:
        await teams.messenger.post(to, CARD)
    assert not failed.value.permanent
    assert len([c for c in teams.connector.calls if c.answer_status == 429]) == 1


async def test_posts_stay_within_the_per_thread_limits(teams):
    to = await _installed(teams)
    posted = await teams.messenger.post(to, CARD)
    moments = []
    for _ in range(20):
        await teams.messenger.reply(to, posted, CARD)
        moments.append(teams.time.now)  # virtual time of each send: the limiter sleeps before sending
    assert len(teams.connector.of("send")) == 20
    for start in moments:
        assert sum(start <= m < start + 1 for m in moments) <= 7
        assert sum(start <= m < start + 2 for m in moments) <= 8
    assert moments[-1] - moments[0] >= 4  # 20 sends at 8 per 2 s cannot be faster


async def _wins_thread(teams, sessions) -> str:
    to = await _installed(teams)
    posted = await teams.messenger.post(to, CARD)
    with transaction(sessions) as s:
        team = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        s.add(RitualRun(org_id=team.org_id, team_id=team.id, ritual="friday", period="2026-W47", state="posted",
                        platform="teams", channel_id=CHANNEL, message_ref=posted.message_id,
                        thread_ref=posted.thread_id))
    return posted.message_id


async def test_wins_are_replies_in_the_wins_thread_mentioned_or_not_and_stored_once(teams, sessions):
    root = await _wins_thread(teams, sessions)
    mentioned = teams.message("win: shipped the <b>new</b> checkout &amp; more", "engineer", where="channel", root=root,
                              html=True)
    await teams.post(mentioned)
    await teams.post(mentioned)  # Teams delivered it twice
    await teams.post(teams.message("Win: Hired two seniors!", "director", where="channel", root=root, mention=False))
    await teams.post(teams.message("win: unrelated thread", "director", where="channel", root="999", mention=False))
    await teams.post(teams.message("Great work R&amp;D!", "director", where="channel", root=root, mention=False))
    await teams.post(teams.message("thanks all", "engineer", where="channel", root=root))  # cheering: not a win
    with sessions() as s:
        wins = s.scalars(select(Win).where(Win.platform == "teams").order_by(Win.id)).all()
        assert [w.text for w in wins] == ["shipped the new checkout & more", "Hired two seniors!"]
        assert wins[0].message_id == mentioned["id"] and wins[0].week == "2026-W47"
    assert teams.connector.of("reply") == []  # wins are collected quietly


async def test_a_command_in_the_wins_thread_is_still_a_command(teams, sessions):
    root = await _wins_thread(teams, sessions)
    await teams.post(teams.message("mine", "engineer", where="channel", root=root))
    assert "Average delivery time" in teams.connector.of("reply")[-1].text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Win).where(Win.platform == "teams")) == 0


async def test_an_edited_win_is_updated_and_a_deleted_one_removed(teams, sessions):
    root = await _wins_thread(teams, sessions)
    reply = teams.message("win: shipped checkout", "engineer", where="channel", root=root, mention=False)
    await teams.post(reply)
    edited = {**reply, "type": "messageUpdate", "text": "win: shipped checkout v2",
              "channelData": {**reply["channelData"], "eventType": "editMessage"}}
    await teams.post(edited)
    with sessions() as s:
        assert s.scalars(select(Win.text).where(Win.platform == "teams")).all() == ["shipped checkout v2"]
    deleted = {**reply, "type": "messageDelete",
               "channelData": {**reply["channelData"], "eventType": "softDeleteMessage"}}
    await teams.post(deleted)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Win).where(Win.platform == "teams")) == 0


async def test_a_group_chat_can_be_bound_and_posted_to(teams, sessions):
    await teams.say("bind rd-efficiency", "director", where="group")
    group = "19:group-chat@thread.v2"
    posted = await teams.messenger.post(Conversation("teams", TENANT, group), CARD)
    [send] = teams.connector.of("send")
    assert send.conversation == group and posted.message_id == send.activity_id and posted.thread_id is None
    assert teams.connector.of("create") == []
