"""The weekly loop's commands (#13) through the real /slack/events route: mission, ..."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Organization
from tests.slack.conftest import ENGINEER

MISSION = "We make fresh food affordable in city retail, so every family eats well"


def _mission(sessions) -> str | None:
    with sessions() as s:
        return s.scalar(select(Organization.mission))


async def test_a_company_lead_sets_the_mission_and_anyone_reads_it(slack, sessions, fake_slack):
    fake_slack.add_user("U0CEO", "ceo@example.com", "Chen Hao")
    status, body = await slack.command("mission")
    assert status == 200 and "There is no mission statement yet" in body["text"]

    status, body = await slack.command(f"mission {MISSION}", user=ENGINEER)
    assert "Only the leads of JD Retail can do that (Chen Hao)" in body["text"]
    assert _mission(sessions) is None

    status, body = await slack.command("mission We sell coffee in Shanghai", user="U0CEO")
    assert "lacks one of the method's three parts" in body["text"] and "Nothing was saved" in body["text"]
    assert _mission(sessions) is None

    status, body = await slack.command(f"mission {MISSION}", user="U0CEO")
    assert body["response_type"] == "in_channel" and "The mission statement is saved" in body["text"]
    assert _mission(sessions) == MISSION
    status, body = await slack.command("mission")
    assert MISSION in str(body["blocks"])
