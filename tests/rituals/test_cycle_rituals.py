"""The once-per-cycle rituals (planning call, kickoff, mid-quarter review) through the clock's sweep and the
real sandbox messenger, on SQLite and PostgreSQL: due on the day the cycle's dates give, at the team's local
time, for the teams they are for, exactly once per cycle however often the clock sweeps."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.cycles import new_cycle, phase
from bot.rituals.runner import run_ritual
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import Cycle, Objective, Organization, RitualSetting
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages, team_id

TEAMS = {"retail", "ecology", "rd-efficiency", "ecology-hr"}
CEO, VP = "ceo@example.com", "vp.ecology@example.com"


def add_q1(sessions, org_id: int) -> int:
    """2027-Q1 after the example's 2026-Q4, planning from Mon 7 Dec; the Q4 company objective scored 0.7."""
    with transaction(sessions) as s:
        org = s.get(Organization, org_id)
        cycle = new_cycle(s, org, "2027-Q1", date(2027, 1, 1), date(2027, 3, 31), date(2026, 12, 7))
        for objective in s.scalars(select(Objective).where(Objective.level == "company")):
            objective.score = 0.7
        return cycle.id


def shanghai(*args) -> datetime:
    """A wall-clock time in Shanghai (UTC+8, no DST), the example organization's zone, as UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def posts(sessions, ritual: str) -> dict[str, list]:
    """The sandbox posts of one ritual's runs, by channel."""
    found: dict[str, list] = {}
    for run in runs_of(sessions, ritual):
        if run.state == "posted":
            found.setdefault(run.channel_id, []).extend(
                m for m in sandbox_messages(sessions, run.channel_id) if str(m.id) == run.message_ref)
    return found


async def test_planning_kickoff_and_midreview_come_once_on_their_days(app_ctx, clock, deliverer, sessions, org_id):
    cycle_id = add_q1(sessions, org_id)
    clock.set(shanghai(2026, 12, 7, 9, 59))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert runs_of(sessions, "planning") == []  # Q4's planning day came before the organization did

    clock.set(shanghai(2026, 12, 7, 10, 0))
    for _ in range(2):  # a second sweep finds the period claimed
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    planning = runs_of(sessions, "planning")
    assert [(r.period, r.state, r.channel_id) for r in planning] == [(f"cycle-{cycle_id}", "posted", "retail")]
    assert "Planning for *2027-Q1* is open" in json.dumps(posts(sessions, "planning")["retail"][0].card)

    clock.set(shanghai(2027, 1, 1, 10, 0))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    clock.advance(hours=3)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    kickoff = runs_of(sessions, "kickoff")
    assert [(r.period, r.state, r.channel_id) for r in kickoff] == [(f"cycle-{cycle_id}", "posted", "retail")]
    card = json.dumps(posts(sessions, "kickoff")["retail"][0].card, ensure_ascii=False)
    assert "2027-Q1 starts today" in card and "How 2026-Q4 ended" in card and ": 0.7" in card

    # The middle day of 1 Jan - 31 Mar is 14 Feb: every team's channel, once.
    clock.set(shanghai(2027, 2, 14, 9, 0))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert runs_of(sessions, "midreview") == []
    clock.set(shanghai(2027, 2, 14, 10, 0))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    await sweep(app_ctx, clock.now() + timedelta(hours=1), deliverer=deliverer)
    review = runs_of(sessions, "midreview")
    assert {r.channel_id for r in review} == TEAMS and {r.state for r in review} == {"posted"} and len(review) == 4
    rd = json.dumps(posts(sessions, "midreview")["rd-efficiency"][0].card, ensure_ascii=False)
    assert "Mid-quarter review of R&amp;D Efficiency" in rd or "Mid-quarter review of R&D Efficiency" in rd
    assert "would it move the business?" in rd
    # Only the company channel had the planning call and the kickoff, once each.
    assert len(runs_of(sessions, "planning")) == len(runs_of(sessions, "kickoff")) == 1


async def test_midreview_names_the_key_results_at_risk(app_ctx, clock, deliverer, sessions, org_id, chat):
    add_q1(sessions, org_id)
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:  # the R&D objectives move into Q1, as if carried over
        q1 = s.scalar(select(Cycle).where(Cycle.name == "2027-Q1"))
        for objective in s.scalars(select(Objective).where(Objective.owner_team_id == rd)):
            objective.cycle_id = q1.id
    clock.set(shanghai(2027, 2, 10, 12, 0))
    chat.say("confidence rd-o1-kr1 2 vendor slipped", actor="director.rd@example.com")
    clock.set(shanghai(2027, 2, 14, 10, 0))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    card = json.dumps(posts(sessions, "midreview")["rd-efficiency"][0].card, ensure_ascii=False)
    assert "rd-o1-kr1" in card and "red: confidence is low" in card
    assert "nobody has checked in on it this cycle" in card  # the others were only imported


async def test_a_cycle_ritual_run_by_hand_is_for_the_company_and_its_cycle(app_ctx, clock, sessions, org_id,
                                                                           deliverer):
    add_q1(sessions, org_id)
    clock.set(shanghai(2026, 11, 20, 12, 0))  # inside 2026-Q4: its kickoff
    refused = await run_ritual(app_ctx, "rd-efficiency", "kickoff", deliverer=deliverer)
    assert refused.state == "refused" and "company-level teams only" in refused.message
    done = await run_ritual(app_ctx, "retail", "kickoff", deliverer=deliverer)
    with sessions() as s:
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
    assert done.state == "posted" and done.period == f"cycle-{q4.id}", done
    again = await run_ritual(app_ctx, "retail", "kickoff", deliverer=deliverer)
    assert again.state == "already"


def test_leads_set_a_cycle_rituals_time_not_its_day(chat, sessions, org_id, clock):
    add_q1(sessions, org_id)
    clock.set(shanghai(2026, 11, 20, 12, 0))
    refused = card_text(chat.say("schedule kickoff tue 10:00", actor=CEO, conversation="retail"))
    assert "comes on the cycle's first day, not on a day of the week" in refused, refused
    text = card_text(chat.say("schedule kickoff 11:30", actor=CEO, conversation="retail"))
    assert "on the cycle's first day at 11:30" in text and "Next: Fri 2027-01-01 11:30 Asia/Shanghai" in text, text
    with sessions() as s:
        row = s.get(RitualSetting, (team_id(sessions, "retail"), "kickoff"))
        assert (row.time, row.enabled) == ("11:30", True)
    refused = card_text(chat.say("schedule kickoff 09:00", actor=VP, conversation="ecology"))
    assert "posted for the company only" in refused, refused
    shown = card_text(chat.say("schedule", actor=VP, conversation="ecology"))
    assert "mid-quarter review" in shown and "cycle kickoff" not in shown
    assert "the cycle's middle day at 10:00; next Sun 2027-02-14 10:00" in shown, shown


def test_the_phase_follows_the_dates(sessions, org_id):
    with sessions() as s:
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
        assert phase(q4, date(2026, 9, 10)) == "planning"  # three weeks before 1 Oct by default
        assert phase(q4, date(2026, 9, 9)) is None
        assert phase(q4, date(2026, 10, 1)) == phase(q4, date(2026, 12, 31)) == "active"
        assert phase(q4, date(2027, 1, 1)) == "closing"
        q4.closed_at = datetime(2027, 1, 9, tzinfo=UTC)
        assert phase(q4, date(2027, 1, 9)) == "closed"


async def test_the_kickoff_opens_with_the_mission_when_there_is_one(app_ctx, clock, sessions, org_id, deliverer,
                                                                    chat):
    """#13: the mission statement is "shown at the top of the dashboard and the kickoff"; without one the kickoff
    starts with the cycle, as before."""
    add_q1(sessions, org_id)
    clock.set(shanghai(2026, 11, 20, 12, 0))
    assert (await run_ritual(app_ctx, "retail", "kickoff", deliverer=deliverer)).state == "posted"
    [plain] = posts(sessions, "kickoff")["retail"]
    assert "Mission" not in json.dumps(plain.card, ensure_ascii=False)
    mission = "We make fresh food affordable in city retail, so every family eats well"
    assert "saved" in card_text(chat.say(f"mission {mission}", actor=CEO))
    clock.set(shanghai(2027, 1, 1, 10, 0))  # 2027-Q1's kickoff, through the clock
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    q1 = [m for m in posts(sessions, "kickoff")["retail"] if m.id != plain.id]
    assert len(q1) == 1, q1
    first = json.dumps(q1[0].card["elements"][0], ensure_ascii=False)
    assert f"Mission: {mission}" in first and first.index("Mission") < first.index("2027-Q1"), first
