"""`/okr stats` in the sandbox."""

from __future__ import annotations

from tests.sandbox.conftest import say, sign_in_as, visible_text


async def test_stats_in_the_sandbox_links_to_the_page(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr confidence rd-o1-kr3 6")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr stats")).text())
    assert "check-ins 1 on time, 0 late, 3 not yet" in text and "median confidence 6" in text
    text = visible_text(await (await say(client, "rd-efficiency", "/okr stats retail")).text())
    assert "JD Retail , with the 3 teams under it" in text  # the name in bold
