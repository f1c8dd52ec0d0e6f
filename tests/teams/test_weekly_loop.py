"""The weekly loop's commands (#13) through the real /api/messages route: mission, ..."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Organization

MISSION = "We make fresh food affordable in city retail, so every family eats well"


async def test_the_mission_is_refused_kindly_then_read_back(teams, sessions):
    await teams.say("mission We sell coffee")
    [refused] = teams.connector.of("reply")
    assert "Only the leads of JD Retail can do that" in refused.text
    with sessions() as s:
        s.get(Organization, s.scalar(select(Organization.id))).mission = MISSION
        s.commit()
    await teams.say("mission")
    shown = teams.connector.of("reply")[-1]
    assert MISSION in shown.text and shown.card["type"] == "AdaptiveCard"


async def test_a_priority_names_its_key_result_and_the_board_groups_by_it(teams, sessions):
    await teams.say("priority add P1 rd-o1-kr3 Ship the vendor API", where="channel")
    await teams.say("okrs", where="channel")
    board = teams.connector.of("reply")[-1].text
    assert "For rd-o1-kr3 · Average delivery time for requests:" in board
    assert board.index("For rd-o1-kr3") < board.index("Ship the vendor API")
