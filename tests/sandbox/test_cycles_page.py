"""Past cycles on the dashboard: every cycle with its phase and dates, and a closed cycle's scores (with a target
changed mid-cycle beside the original one) and its retrospective's lessons, team by team, over the real app."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.closing import close
from bot.cycles import new_cycle
from storage.db import transaction
from storage.models import Cycle, KeyResult, Lesson, Objective, Organization, Team
from tests.conftest import card_text
from tests.sandbox.conftest import link_for, statements, visible_text

LEAD, ENGINEER, CEO = "director.rd@example.com", "engineer@example.com", "ceo@example.com"


def close_the_quarter(chat, sessions, clock, org_id) -> None:
    """2026-Q4 as it really ends: a target changed and a key result removed with a reason while it was active,
    scores given while it was closing (an objective's score set by its lead), lessons written, then closed."""
    assert "rd-o1-kr4: removed" in card_text(chat.say("change rd-o1-kr4 remove because the vendor left", actor=LEAD))
    chat.say("change rd-o1-kr1 target 90 because the scope doubled", actor=LEAD)
    clock.set(datetime(2027, 1, 1, 3, 0, tzinfo=UTC))
    with transaction(sessions) as s:
        new_cycle(s, s.get(Organization, org_id), "2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
        rd = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
        for kind, text in (("learned", "the vendor API took twice as long"), ("stop", "weekly status meetings"),
                           ("keep", "the Friday wins")):
            s.add(Lesson(org_id=org_id, cycle_id=q4.id, team_id=rd.id, kind=kind, text=text, platform="sandbox",
                         message_id=f"m-{kind}", at=clock.now(), author_person_id=None))
    assert "0.4" in card_text(chat.say("score rd-o1-kr3 0.4 no half the teams moved", actor=ENGINEER))
    chat.say("score rd-o1-kr1 1.0 yes", actor=LEAD)
    clock.advance(days=3)
    with transaction(sessions) as s:
        close(s, s.get(Organization, org_id), "2026-Q4", clock.now())


async def test_the_cycles_list_is_in_the_nav_with_phases_and_dates(client):
    home = await (await client.get("/")).text()
    assert '<a href="/cycles">Cycles</a>' in home
    response = await client.get("/cycles")
    text = visible_text(await response.text())
    assert response.status == 200
    assert "2026-Q4 active Oct 1, 2026 to Dec 31, 2026" in text, text
    assert "0 of " in text  # nothing scored while it runs


async def test_a_closed_cycle_shows_scores_changed_targets_and_lessons(client, chat, sessions, clock, org_id):
    close_the_quarter(chat, sessions, clock, org_id)
    listing = visible_text(await (await client.get("/cycles")).text())
    assert listing.index("2027-Q1 active") < listing.index("2026-Q4 closed")  # newest first
    assert "closed on Jan 4, 2027" in listing

    response = await client.get("/cycles?cycle=2026-Q4")
    html = await response.text()
    text = visible_text(html)
    assert response.status == 200
    assert "2026-Q4: scores and lessons · closed" in text
    rd = text[text.index("R&D Efficiency"):]
    assert "Objective score: 0.7 · the mean of its key results" in rd, rd
    assert "rd-o1-kr1" in rd and "90 points changed from 85, the target it is scored against 1 yes" in rd, rd
    assert "rd-o1-kr3" in rd and "0.4 no half the teams moved" in rd
    assert "rd-o1-kr4" not in rd  # removed by an honest change: it no longer counts
    assert rd.index("What we learned the vendor API took twice as long") < rd.index("Keep the Friday wins") \
        < rd.index("Stop weekly status meetings")  # learned, keep, stop, start: the summary's order
    assert 'href="/kr/rd-o1-kr1' in html  # each key result links to its page and history

    # The lead overrides an objective's score: it shows, with the mean beside it.
    with transaction(sessions) as s:
        objective = s.scalar(select(Objective).where(Objective.key == "rd-o1"))
        objective.score, objective.score_overridden = 0.5, True
    rd = visible_text(await (await client.get("/cycles?cycle=2026-Q4")).text())
    assert "Objective score: 0.5 · set by its lead; the mean of its key results is 0.7" in rd

    spanish = visible_text(await (await client.get("/cycles?cycle=2026-Q4&lang=es")).text())
    assert "2026-Q4: puntuaciones y lecciones · cerrado" in spanish and "Seguir the Friday wins" in spanish
    chinese = visible_text(await (await client.get("/cycles?lang=zh-CN")).text())
    assert "已关闭" in chinese and "周期" in chinese


async def test_an_unknown_cycle_is_answered_kindly(client, sessions, org_id):
    response = await client.get("/cycles?cycle=<b>2019</b>")
    text = await response.text()
    assert response.status == 404
    assert "There is no cycle named" in visible_text(text) and "<b>2019</b>" not in text
    with transaction(sessions) as s:
        s.add(Cycle(org_id=org_id, name="<script>x</script>", start=date(2025, 1, 1), end=date(2025, 3, 31)))
    html = await (await client.get("/cycles")).text()
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert (await client.get("/cycles?cycle=%3Cscript%3Ex%3C%2Fscript%3E&page=abc")).status == 200


async def test_cycles_pages_need_a_session_on_a_public_server(public, org_id):
    ctx, client = public
    assert (await client.get("/cycles")).status == 401
    assert (await client.get("/cycles?cycle=2026-Q4")).status == 401
    signed = await client.get(link_for(ctx, org_id), allow_redirects=False)
    cookies = {"okrbot_session": signed.cookies["okrbot_session"].value}
    assert (await client.get("/cycles?cycle=2026-Q4", cookies=cookies)).status == 200


async def test_a_cycle_page_reads_a_fixed_number_of_statements(app, client, chat, sessions, clock, org_id):
    """No N+1: ten more teams with objectives, key results and lessons, the same statements per page."""
    ctx, _ = app
    close_the_quarter(chat, sessions, clock, org_id)
    paths = ("/cycles", "/cycles?cycle=2026-Q4")
    for path in paths:  # the first request of a server reads what it then keeps
        await statements(ctx.engine, client, path)
    before = {path: await statements(ctx.engine, client, path) for path in paths}
    with transaction(sessions) as s:
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
        company = s.scalar(select(Team).where(Team.key == "retail"))
        for t in range(10):
            team = Team(org_id=org_id, key=f"t-{t}", name=f"Team {t}", level="team", parent_id=company.id)
            s.add(team)
            s.flush()
            o = Objective(org_id=org_id, cycle_id=q4.id, key=f"o-{t}", title="O", level="team", owner_team_id=team.id,
                          score=0.5)
            s.add(o)
            s.flush()
            for k in range(3):
                s.add(KeyResult(org_id=org_id, objective_id=o.id, key=f"k-{t}-{k}", title="K", target_value=10,
                                start_value=0, confidence=5, score=0.5))
            s.add(Lesson(org_id=org_id, cycle_id=q4.id, team_id=team.id, kind="keep", text="this", platform="sandbox",
                         at=clock.now()))
    after = {path: await statements(ctx.engine, client, path) for path in before}
    assert after == before
    assert "Team 9" in visible_text(await (await client.get("/cycles?cycle=2026-Q4")).text())
