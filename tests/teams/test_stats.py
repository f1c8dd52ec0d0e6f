"""`@okrbot stats` through the real /api/messages route."""

from __future__ import annotations


async def test_stats_answers_with_the_week_on_teams(teams):
    await teams.say("confidence rd-o1-kr3 6")
    await teams.say("stats")
    reply = teams.connector.of("reply")[-1]
    assert "check-ins 1 on time, 0 late, 3 not yet" in reply.text and "median confidence 6" in reply.text
    assert reply.card["type"] == "AdaptiveCard" and "/stats?team=rd-efficiency" in str(reply.card)
    await teams.say("stats nope")
    assert "There is no team `nope`" in teams.connector.of("reply")[-1].text
