"""A signed slash command replayed within Slack's 5-minute window (the same bytes, the same trigger_id)
stores nothing twice: the replay is told it was already done, one after the other or at the same moment."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from storage.models import CheckIn, KeyResult


def _checkins(sessions) -> list[int]:
    with sessions() as s:
        kr = s.scalar(select(KeyResult.id).where(KeyResult.key == "rd-o1-kr3"))
        return list(s.scalars(select(CheckIn.confidence).where(CheckIn.key_result_id == kr, CheckIn.source == "slack")))


async def test_a_replayed_slash_command_is_stored_once_and_told_so(everything, sessions):
    slack = everything.slack
    body = slack.command_body("confidence rd-o1-kr3 7 replayed")
    first = await slack.post(body, "application/x-www-form-urlencoded")
    assert first[0] == 200 and "*7*/10" in first[1]["text"]
    replay = await slack.post(body, "application/x-www-form-urlencoded")
    assert replay[0] == 200 and "already sent" in replay[1]["text"]
    assert _checkins(sessions) == [7]


async def test_a_command_and_its_replay_at_the_same_moment_store_once(everything, sessions):
    slack = everything.slack
    body = slack.command_body("confidence rd-o1-kr3 8 twice at once")
    answers = await asyncio.gather(*(slack.post(body, "application/x-www-form-urlencoded") for _ in range(3)))
    texts = [answer["text"] for _status, answer in answers]
    assert sum("already sent" in t for t in texts) == 2, texts
    assert _checkins(sessions) == [8]


async def test_different_commands_are_all_stored(everything, sessions):
    slack = everything.slack
    for confidence in (4, 5):
        status, _ = await slack.command(f"confidence rd-o1-kr3 {confidence} two sendings")
        assert status == 200
    assert _checkins(sessions) == [4, 5]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "slack")) == 2
