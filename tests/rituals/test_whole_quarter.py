"""One whole quarter (2027-Q1 of the example organization) through the clock with an injected time, over the
sandbox messenger, on SQLite and PostgreSQL: the planning call, the kickoff with each objective's why and the
last quarter's results, two honest changes announced, the mid-quarter review, the closing scores, the
retrospective with its lessons, and the summary, each ritual posted exactly once however often the clock sweeps.

Not here yet (issue #12 steps 1-4, built in parallel): proposals and votes, drafting at every level, a return
and a re-submit, approvals. Slack and Teams carry the same rituals through their messengers (tests/slack,
tests/teams); this test drives the quarter through the sandbox's."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.closing import close
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Lesson, Objective, OkrChange, Organization, Person, Team
from tests.conftest import card_text
from tests.rituals.conftest import runs_of
from tests.rituals.test_closing_quarter import reply
from tests.rituals.test_cycle_rituals import add_q1, posts, shanghai

CEO, LEAD, ENGINEER = "ceo@example.com", "director.rd@example.com", "engineer@example.com"


def set_q1_okrs(sessions, org_id: int, cycle_id: int) -> None:
    with transaction(sessions) as s:
        person = {p.email: p.id for p in s.scalars(select(Person))}
        team = {t.key: t.id for t in s.scalars(select(Team))}
        company = Objective(org_id=org_id, cycle_id=cycle_id, key="co-q1", title="Fresh food for every family",
                            level="company", owner_team_id=team["retail"], status="active",
                            why="Families spend a third of their income on food")
        rd = Objective(org_id=org_id, cycle_id=cycle_id, key="rd-q1", title="Builds nobody waits for", level="team",
                       owner_team_id=team["rd-efficiency"], status="active", why="Slow builds cost a day a week")
        s.add_all([company, rd])
        s.flush()
        s.add_all([
            KeyResult(org_id=org_id, objective_id=company.id, key="co-q1-kr1", title="Stores selling fresh food",
                      owner_person_id=person[CEO], start_value=10, target_value=40, current_value=10, confidence=5),
            KeyResult(org_id=org_id, objective_id=company.id, key="co-q1-kr2", title="Waste per store", unit="%",
                      owner_person_id=person[CEO], start_value=12, target_value=6, current_value=12, confidence=5),
            KeyResult(org_id=org_id, objective_id=rd.id, key="rd-q1-kr1", title="Build time", unit="min",
                      owner_person_id=person[ENGINEER], start_value=30, target_value=10, current_value=30,
                      confidence=5),
            KeyResult(org_id=org_id, objective_id=rd.id, key="rd-q1-kr2", title="Flaky tests",
                      owner_person_id=person[LEAD], start_value=40, target_value=5, current_value=40, confidence=5),
        ])


async def test_a_whole_quarter_posts_each_ritual_once(app_ctx, clock, deliverer, sessions, org_id, chat):
    q1 = add_q1(sessions, org_id)
    set_q1_okrs(sessions, org_id, q1)

    async def sweeps(*moment) -> None:
        clock.set(shanghai(*moment))
        for _ in range(3):  # the clock sweeps again and again: nothing is posted twice
            await sweep(app_ctx, clock.now(), deliverer=deliverer)
            clock.advance(minutes=7)

    await sweeps(2026, 12, 7, 10, 0)  # planning opens
    await sweeps(2027, 1, 1, 10, 0)  # Q1 starts (and Q4, just ended, asks for its scores)
    kickoff = str(posts(sessions, "kickoff")["retail"][0].card)
    assert "Why: Families spend a third of their income on food" in kickoff and "How 2026-Q4 ended" in kickoff

    clock.set(shanghai(2027, 1, 20, 15, 0))  # two honest changes
    assert "needs a reason" in card_text(chat.say("change rd-q1-kr1 target 15", actor=LEAD))
    assert "rd-q1-kr1: target 10 → 15" in card_text(chat.say(
        "change rd-q1-kr1 target 15 because the new runners slipped to March", actor=LEAD))
    assert "co-q1-kr2: removed" in card_text(chat.say(
        "change co-q1-kr2 remove because waste moved to the ops team", actor=CEO))
    await sweeps(2027, 1, 20, 15, 1)
    await sweeps(2027, 2, 14, 10, 0)  # the mid-quarter review
    await sweeps(2027, 4, 1, 10, 0)  # Q1 ended: scores asked
    await sweeps(2027, 4, 1, 11, 0)  # and the retrospective threads

    for code, score, actor in (("rd-q1-kr1", "0.6 yes", ENGINEER), ("rd-q1-kr2", "0.3 no", LEAD),
                               ("co-q1-kr1", "0.8 yes", CEO)):
        assert "scored" in card_text(chat.say(f"score {code} {score}", actor=actor))
    assert "goes on in" not in card_text(chat.say("carry rd-q1-kr2", actor=LEAD))  # no cycle after Q1 yet
    retro = next(r for r in runs_of(sessions, "retro") if r.channel_id == "rd-efficiency" and r.period == f"cycle-{q1}")
    reply(chat, retro, "keep: the Friday wins", "q1-m1")
    reply(chat, retro, "we set the build target before measuring it", "q1-m2", actor=LEAD)

    clock.set(shanghai(2027, 4, 6, 9, 0))
    with transaction(sessions) as s:
        close(s, s.get(Organization, org_id), "2027-Q1", clock.now())
    await sweeps(2027, 4, 6, 9, 1)

    counts = Counter((r.ritual, r.period) for r in runs_of(sessions))
    assert all(n == 1 for (ritual, _), n in counts.items() if ritual in ("planning", "kickoff", "summary")), counts
    q1_runs = {ritual: n for (ritual, period), n in counts.items() if period == f"cycle-{q1}"}
    assert q1_runs == {"planning": 1, "kickoff": 1, "midreview": 4, "closing": 4, "retro": 4, "summary": 1}, q1_runs
    closing = {r.channel_id or r.team_id: r.state for r in runs_of(sessions, "closing") if r.period == f"cycle-{q1}"}
    assert sorted(closing.values()) == ["posted", "posted", "skipped", "skipped"], closing  # two teams own no KR
    assert {r.state for r in runs_of(sessions)} <= {"posted", "skipped"}
    assert sum(1 for r in runs_of(sessions, "change")) == 2  # one announcement per change, in its team's channel
    with sessions() as s:
        assert s.scalar(select(Objective.score).where(Objective.key == "rd-q1")) == 0.45
        assert s.scalar(select(Objective.score).where(Objective.key == "co-q1")) == 0.8  # the removed one not counted
        assert len(s.scalars(select(OkrChange)).all()) == 2 and len(s.scalars(select(Lesson)).all()) == 2
    summary = str(posts(sessions, "summary")["retail"][0].card)
    assert "2027-Q1" in summary and "keep: the Friday wins" in summary
