"""Ritual health (`/okr stats`, bot.services.stats): each figure counted by its one definition."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.stats import WeekHealth, ritual_health
from bot.services.status_report import subtree
from storage.db import transaction
from storage.models import Organization, Person, RitualRun, Team, TeamMember
from tests.conftest import card_text

WEEK = "2026-W47"  # the clock's week (tests.conftest.START: Wednesday noon in Shanghai)


def _team(s, key: str) -> Team:
    return s.scalar(select(Team).where(Team.key == key))


def _run(s, team: Team, ritual: str, state: str, week: str = WEEK) -> None:
    s.add(RitualRun(org_id=team.org_id, team_id=team.id, ritual=ritual, period=week, state=state, attempts=1))


def _week_of(sessions, clock, key: str, *, per_team: bool = False) -> WeekHealth:
    with sessions() as s:
        org = s.scalar(select(Organization))
        team = _team(s, key)
        ids = [t.id for t, _depth in subtree(s, org, [team])]  # a team and everything under it, as the reply does
        health = ritual_health(s, org, clock.now(), team_ids=ids, per_team=per_team)
        series = health.series[team.id] if per_team else health.total
        return next(w for w in series if w.week == WEEK)


def test_one_week_of_rd_efficiency_counted_by_each_definition(chat, sessions, clock):
    # On time: before Friday 18:30 in Shanghai, the status report's default time.
    chat.say("confidence rd-o1-kr3 2 vendor slipped")
    chat.say("confidence rd-o1-kr3 3 a second look")  # the latest check-in of the week counts, once
    chat.say("confidence liu-o1-kr1 4", actor="liu.liu@example.com")  # an individual objective: never a team's figure
    chat.say("priority add P1 ship the API")
    chat.say("priority add P2 retire the runners")
    chat.say("priority add P2 tidy the wiki")
    chat.say("priority done 1")
    chat.say("priority drop 2 not needed after all")
    chat.say("win the vendor signed")
    clock.advance(days=3)  # Saturday noon in Shanghai: after the report, still the same week
    chat.say("confidence rd-o1-kr4 8 coverage up")
    with transaction(sessions) as s:
        team = _team(s, "rd-efficiency")
        _run(s, team, "monday", "posted")
        _run(s, team, "friday", "failed")
        _run(s, team, "planning", "failed", week="2026-Q4")  # not a weekly ritual: not counted

    week = _week_of(sessions, clock, "rd-efficiency")
    assert (week.key_results, week.on_time, week.late, week.missed) == (4, 1, 1, 2)
    assert week.confidences[3 - 1] == 1 and week.confidences[8 - 1] == 1 and sum(week.confidences) == 2
    assert week.median == 5.5 and week.reds == 1
    assert (week.done, week.dropped, week.carried, week.wins) == (1, 1, 1, 1)
    assert (week.posted, week.not_posted) == (0, 1)  # summed over the scope: teams whose rituals all posted
    own = _week_of(sessions, clock, "rd-efficiency", per_team=True)
    assert (own.posted, own.not_posted) == (1, 1)  # a team's own row: its runs
    with sessions() as s:
        org = s.scalar(select(Organization))
        ages = ritual_health(s, org, clock.now(), team_ids=[_team(s, "rd-efficiency").id]).red_ages
    assert ages == {"week": 1, "two_weeks": 0, "four_weeks": 0, "older": 0}


def test_the_department_sums_its_teams_and_the_reply_says_so(chat, sessions, clock):
    chat.say("confidence rd-o1-kr3 6")
    chat.say("confidence ecology-o7-kr1 7", actor="director.rd@example.com")
    with transaction(sessions) as s:
        _run(s, _team(s, "rd-efficiency"), "monday", "posted")
        _run(s, _team(s, "ecology"), "monday", "skipped")
    week = _week_of(sessions, clock, "ecology")
    rd = _week_of(sessions, clock, "rd-efficiency")
    assert week.on_time == 2 and week.key_results > rd.key_results and week.median == 6.5
    assert (week.posted, week.not_posted) == (1, 1)
    text = card_text(chat.say("stats ecology"))
    assert "Ecology" in text and "with the 2 teams under it" in text and "rituals posted in 1 of 3 teams" in text
    assert "median confidence 6.5" in text


def test_who_gets_which_team(chat, sessions):
    text = card_text(chat.say("stats"))  # a member: their own team
    assert "*R&D Efficiency*" in text and "check-ins 0 on time, 0 late, 4 not yet" in text  # the week is not over
    assert "check-ins 0 on time, 0 late, 4 missed" in text  # the weeks before are
    assert "*JD Retail*, with the 3 teams under it" in card_text(chat.say("stats", actor="ceo@example.com"))
    with transaction(sessions) as s:  # a lead of two teams, neither under the other: both
        person = s.scalar(select(Person).where(Person.email == "hr.partner@example.com"))
        s.add(TeamMember(org_id=person.org_id, team_id=_team(s, "rd-efficiency").id, person_id=person.id,
                         role="lead"))
        s.get(TeamMember, (_team(s, "ecology-hr").id, person.id)).role = "lead"
    text = card_text(chat.say("stats", actor="hr.partner@example.com"))
    assert "*R&D Efficiency*" in text and "*Platform Ecology HR*" in text
    assert "There is no team `nope`" in card_text(chat.say("stats nope"))


def test_someone_in_no_team_is_told_kindly(chat, sessions):
    with transaction(sessions) as s:
        org = s.scalar(select(Organization))
        s.add(Person(org_id=org.id, email="new@example.com", name="New Person"))
    text = card_text(chat.say("stats", actor="new@example.com"))
    assert "You're not in a team yet" in text


def test_a_week_with_nothing_is_there_with_zeros(sessions, org_id, clock):
    with sessions() as s:
        org = s.get(Organization, org_id)
        health = ritual_health(s, org, clock.now(), weeks=4)
    assert health.weeks == ["2026-W44", "2026-W45", "2026-W46", WEEK]
    assert [w.week for w in health.total] == health.weeks and health.total[0].median is None
    assert health.teams == 4
