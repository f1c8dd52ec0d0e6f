"""The weekly loop's commands (#13) through the real /api/messages route: mission, ..."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Organization, Priority, Team

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


async def test_help_needed_reaches_the_addressee_who_answers_on_teams(teams, sessions, clock):
    from bot.rituals.sweep import sweep
    from storage.models import WeekNote

    for who in ("director", "engineer"):  # their personal chats: where okrbot can reach them
        await teams.say("help", who)
    await teams.say("help-needed Pair on the flaky test @zhaolei", where="channel")
    assert "I will ask Zhao Lei to help with: Pair on the flaky test" in teams.connector.of("reply")[-1].text
    await teams.say("remark Thank you Jim!", where="channel")
    teams.connector.calls.clear()
    await sweep(teams.ctx, clock.now())
    await sweep(teams.ctx, clock.now())
    [asked] = [c for c in teams.connector.of("send") if c.conversation == "a:personal-director"]
    assert "Zhou Qiang of R&D Efficiency needs help: Pair on the flaky test" in asked.text
    actions = [a["data"]["okrbot"] for b in asked.card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    assert [a["action"] for a in actions] == ["help_answer", "help_answer"]
    with sessions() as s:
        note_id = s.scalar(select(WeekNote.id).where(WeekNote.kind == "help"))
    response = await teams.post(teams.invoke("task/fetch", {"okrbot": actions[0]}, who="director"))
    assert response.status == 200 and "Zhou Qiang will hear that you can help" in await response.text()
    assert actions[0]["value"] == f"{note_id}:yes"
    await sweep(teams.ctx, clock.now())
    [answer] = [c for c in teams.connector.of("send") if c.conversation == "a:personal-engineer"]
    assert "Zhao Lei can help with: Pair on the flaky test" in answer.text
    await teams.say("report rd-efficiency", where="channel")
    report = teams.connector.of("reply")[-1].text
    assert "Zhou Qiang: Thank you Jim!" in report and "Zhao Lei can help" in report


async def test_why_dialog_and_the_leads_next_week_on_teams(teams, sessions):
    await teams.say("priority add P1 none Ship the vendor API", where="channel")
    with sessions() as s:
        priority_id = s.scalar(select(Priority.id))
    # The wrap-up's "Why?" button (tests/rituals/test_wrapup_why.py sends it) opens a dialog.
    why = {"okrbot": {"action": "why_open", "value": str(priority_id)}}
    response = await teams.post(teams.invoke("task/fetch", why))
    body = await response.json()
    card = body["task"]["value"]["card"]["content"]
    assert body["task"]["value"]["title"] == "Why not done?" and "Ship the vendor API" in str(card)
    [submit] = card["actions"]
    response = await teams.post(teams.invoke("task/submit", {**submit["data"], "why": "The vendor was away"}))
    assert "The vendor was away" in str(await response.json())
    with sessions() as s:
        assert s.get(Priority, priority_id).why == "The vendor was away"
    await teams.say("next P1 none Ship it for real", "director", where="channel")
    assert "Next week's top priorities of R&D Efficiency" in teams.connector.of("reply")[-1].text


async def test_an_early_warning_reaches_the_lead_who_writes_a_plan_on_teams(teams, sessions, clock):
    from bot.rituals.sweep import sweep
    from storage.models import EarlyWarning

    await teams.say("help", "director")  # the lead's personal chat: where okrbot can reach them
    await teams.say("confidence rd-o1-kr3 6")
    await teams.say("confidence rd-o1-kr3 3 the vendor slipped")
    await sweep(teams.ctx, clock.now())
    await sweep(teams.ctx, clock.now())
    [warned] = [c for c in teams.connector.of("send") if c.conversation == "a:personal-director"]
    assert "fell from 6 to 3 out of 10" in warned.text and "the vendor slipped" in warned.text
    [button] = [a for b in warned.card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    response = await teams.post(teams.invoke("task/fetch", button["data"], who="director"))
    card = (await response.json())["task"]["value"]["card"]["content"]
    [submit] = card["actions"]
    await teams.post(teams.invoke("task/submit", {**submit["data"], "plan": "Pair daily"}, who="director"))
    with sessions() as s:
        assert s.scalar(select(EarlyWarning.plan)) == "Pair daily"


async def test_a_plan_that_needs_someone_tells_them_on_teams(teams, clock):
    from bot.rituals.sweep import sweep

    await teams.say("help", "director")
    await teams.say("plan Migrate the test farm needs @director.rd@example.com", where="channel")
    assert "Zhao Lei will be told" in teams.connector.of("reply")[-1].text
    await sweep(teams.ctx, clock.now())
    [told] = [c for c in teams.connector.of("send") if c.conversation == "a:personal-director"]
    assert "plans, for the next four weeks: Migrate the test farm" in told.text


async def test_away_is_set_refused_kindly_and_shown_on_the_board_on_teams(teams, sessions):
    from storage.models import AwayPeriod

    await teams.say("away 2026-12-21..2027-01-04 delegate @nobody@elsewhere.example")
    assert "is not one of the people of this organization" in teams.connector.of("reply")[-1].text
    await teams.say("away 2027-01-04..2026-12-21")
    assert "comes before the first" in teams.connector.of("reply")[-1].text
    with sessions() as s:
        assert s.scalars(select(AwayPeriod)).all() == []
    await teams.say("away 2026-11-18..2026-11-27 delegate @director.rd@example.com")
    assert "Zhao Lei may check in on your key results meanwhile" in teams.connector.of("reply")[-1].text
    await teams.say("okrs", where="channel")
    assert "Zhou Qiang, away until 2026-11-27" in teams.connector.of("reply")[-1].text
    await teams.say("away")
    assert "2026-11-18 to 2026-11-27 (now) · Zhao Lei checks in for you" in teams.connector.of("reply")[-1].text


async def test_a_channel_subscribes_and_gets_the_report_once_a_week_on_teams(teams, clock):
    from datetime import timedelta

    from bot.rituals.sweep import sweep
    from tests.rituals.conftest import MONDAY_0900
    from tests.teams.conftest import CHANNEL

    await teams.say("subscribe rd-efficiency", where="channel")
    assert "This channel is now subscribed to" in teams.connector.of("reply")[-1].text
    await teams.say("subscribe", where="channel")
    assert "(rd-efficiency)" in teams.connector.of("reply")[-1].text.replace("`", "")
    for minutes in (0, 1):
        clock.set(MONDAY_0900 + timedelta(days=4, hours=9, minutes=30 + minutes))  # Friday 18:30 in Shanghai
        await sweep(teams.ctx, clock.now())
    posts = [c for c in teams.connector.of("create") if "Weekly status report" in c.text]
    assert len(posts) == 1 and posts[0].body["channelData"]["channel"] == {"id": CHANNEL}
    await teams.say("unsubscribe rd-efficiency", where="channel")
    assert "no longer gets the weekly report" in teams.connector.of("reply")[-1].text


async def test_the_leads_top_three_dialog_on_teams(teams, sessions):
    await teams.say("priority add P1 none Ship the vendor API", where="channel")
    with sessions() as s:
        team_id = s.scalar(select(Team.id).where(Team.key == "rd-efficiency"))
    # The wrap-up's direct message to the lead carries the button (tests/rituals/test_top_three.py sends it).
    opened = {"okrbot": {"action": "next_open", "value": f"{team_id}:2026-W48"}}
    response = await teams.post(teams.invoke("task/fetch", opened, who="director"))
    body = await response.json()
    card = body["task"]["value"]["card"]["content"]
    assert body["task"]["value"]["title"] == "Next week's top three" and "Ship the vendor API" in str(card)
    [submit] = card["actions"]
    response = await teams.post(teams.invoke("task/submit", {**submit["data"], "line:1": "P1 Ship it for real"},
                                             who="director"))
    assert "Ship it for real" in str(await response.json())
    with sessions() as s:
        assert s.scalars(select(Priority.text).where(Priority.week == "2026-W48")).all() == ["Ship it for real"]
