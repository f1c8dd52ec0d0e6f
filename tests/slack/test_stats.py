"""`/okr stats` through the real /slack/events route."""

from __future__ import annotations

from tests.slack.conftest import ENGINEER


async def test_stats_answers_with_the_week_and_a_link_to_the_charts(slack, fake_slack):
    await slack.command("confidence rd-o1-kr3 6", user=ENGINEER)
    status, body = await slack.command("stats", user=ENGINEER)
    assert status == 200 and body["response_type"] == "ephemeral"
    blocks = str(body["blocks"])
    assert "R&amp;D Efficiency" in blocks or "R&D Efficiency" in blocks
    assert "check-ins 1 on time, 0 late, 3 not yet" in blocks and "median confidence 6" in blocks
    assert "/stats?team=rd-efficiency" in blocks  # the "See the charts" button
    status, body = await slack.command("stats nope", user=ENGINEER)
    assert status == 200 and "There is no team `nope`" in body["text"]
