"""The weekly loop (#13) in the sandbox and on the dashboard: mission, ..."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Organization, Priority
from tests.sandbox.conftest import say, sign_in_as, visible_text

MISSION = "We make fresh food affordable in city retail, so every family eats well"


async def test_the_mission_set_in_chat_heads_the_dashboard(client, sessions):
    assert "Mission:" not in visible_text(await (await client.get("/")).text())
    await sign_in_as(client, sessions, "ceo@example.com")
    text = visible_text(await (await say(client, "retail", f"/okr mission {MISSION}")).text())
    assert "The mission statement is saved" in text
    with sessions() as s:
        assert s.scalar(select(Organization.mission)) == MISSION
    for path in ("/", "/?team=rd-efficiency"):
        text = visible_text(await (await client.get(path)).text())
        assert f"Mission: {MISSION}" in text, path
    text = visible_text(await (await say(client, "retail", "/okr mission We win")).text())
    assert "Missing:" in text and "Nothing was saved" in text


async def test_a_priority_for_a_key_result_and_work_serving_none_on_the_board(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr priority add P1 rd-o1-kr3 Ship the vendor API")
    await say(client, "rd-efficiency", "/okr priority add P2 none Tidy the wiki")
    text = visible_text(await (await client.get("/?team=rd-efficiency")).text())
    assert text.index("For rd-o1-kr3 · Average delivery time for requests:") < text.index("Ship the vendor API") \
        < text.index("Serving no key result:") < text.index("Tidy the wiki")


async def test_risks_help_and_remarks_in_the_sandbox_and_on_the_report_page(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr risk Vendor <b>freeze</b> slips")).text())
    assert "Risk noted for R&D Efficiency" in text and "Vendor <b>freeze</b> slips" in text
    text = visible_text(await (await say(client, "rd-efficiency", "/okr help-needed Review it @hr.lead")).text())
    assert "I will ask Sun Mei to help with: Review it" in text
    text = visible_text(await (await say(client, "rd-efficiency", "/okr help-needed Review it @nobody")).text())
    assert "Nobody and no team answers to @nobody" in text
    await say(client, "rd-efficiency", "/okr remark Thank you Jim!")
    with sessions() as s:
        org_id = s.scalar(select(Organization.id))
    page = visible_text(await (await client.get(f"/report?team=rd-efficiency&org={org_id}")).text())
    risk, help_ = page.index("Zhou Qiang: Vendor <b>freeze</b> slips"), page.index("asks Sun Mei for help: Review it")
    assert risk < help_ < page.index("Zhou Qiang: Thank you Jim!"), page


async def test_the_leads_next_week_in_the_sandbox(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr next P1 rd-o1-kr3 Ship the vendor API")).text())
    assert "Next week's top priorities of R&D Efficiency" in text and "1. P1 Ship the vendor API" in text
    with sessions() as s:
        org_id = s.scalar(select(Organization.id))
    page = visible_text(await (await client.get(f"/report?team=rd-efficiency&org={org_id}")).text())
    assert page.index("3. Next week's top three") < page.index("P1 Ship the vendor API") < page.index("4. Risks"), page


async def test_a_drop_into_red_in_the_sandbox_is_an_early_warning(client, sessions):
    from storage.models import EarlyWarning, RitualRun

    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr confidence rd-o1-kr3 6")
    await say(client, "rd-efficiency", "/okr confidence rd-o1-kr3 2 the vendor slipped")
    with sessions() as s:
        [warning] = s.scalars(select(EarlyWarning)).all()
        assert (warning.before, warning.after, warning.note) == ("6", "2", "the vendor slipped")
        assert s.scalar(select(RitualRun.period).where(RitualRun.ritual == "warning")) == f"warn-{warning.id}"


async def test_a_plan_that_needs_a_team_in_the_sandbox(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    said = await say(client, "rd-efficiency", "/okr plan Hire two testers needs ecology-hr")
    text = visible_text(await said.text())
    assert "The leads of Platform Ecology HR will be told" in text


async def test_away_in_the_sandbox_shows_on_the_four_square(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr away 2026-11-18..2026-11-27")).text())
    assert "You are away from 2026-11-18 to 2026-11-27" in text
    text = visible_text(await (await say(client, "rd-efficiency", "/okr okrs")).text())
    assert "Zhou Qiang, away until 2026-11-27" in text
    text = visible_text(await (await say(client, "rd-efficiency", "/okr away 2026-11-01")).text())
    assert "That period ended on 2026-11-01" in text


async def test_a_sandbox_channel_subscribes_to_a_team(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    text = visible_text(await (await say(client, "retail", "/okr subscribe rd-efficiency")).text())
    assert "This channel is now subscribed to R&D Efficiency" in text
    text = visible_text(await (await say(client, "retail", "/okr subscribe")).text())
    assert "R&D Efficiency ( rd-efficiency )" in text or "R&D Efficiency (rd-efficiency)" in text


async def test_the_leads_top_three_form_in_the_sandbox(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    html = await (await say(client, "rd-efficiency", "/okr next")).text()
    assert "Next week's top three" in visible_text(html)
    action = re.search(r'action="(/sandbox/forms/\d+)"', html).group(1)
    response = await client.post(action, data={"line:1": "P1 none Write the runbook"})
    assert response.status == 200
    with sessions() as s:
        assert s.scalars(select(Priority.text).where(Priority.week == "2026-W48")).all() == ["Write the runbook"]
