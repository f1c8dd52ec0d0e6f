"""Away (#13), on SQLite and PostgreSQL: `/okr away FROM..TO [delegate @person]` stops the nudge for those days,
shows "away until" beside the person on the four-square and the report, and lets the delegate check in on their
key results meanwhile (the check-in records who entered it); bad input is answered kindly and stores nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.model import KeyResultLine
from bot.rituals.refresh import refresh_posts
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import AwayPeriod, CheckIn, KeyResult, Person, RitualRun, RitualSetting
from tests.conftest import card_text
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages, team_id

ENGINEER = "engineer@example.com"  # Zhou Qiang, of rd-efficiency; owns rd-o1-kr3 and rd-o1-kr4
LEAD = "director.rd@example.com"  # Zhao Lei, leads rd-efficiency
HR_LEAD = "hr.lead@example.com"  # Sun Mei, leads ecology-hr: not of rd-efficiency, not Zhou Qiang's manager


def _periods(sessions) -> list[tuple[date, date, int | None]]:
    with sessions() as s:
        return [(p.start, p.end, p.delegate_person_id) for p in s.scalars(select(AwayPeriod).order_by(AwayPeriod.id))]


def _person(sessions, email: str) -> int:
    with sessions() as s:
        return s.scalar(select(Person.id).where(Person.email == email))


def test_bad_input_is_answered_kindly_and_stores_nothing(chat, sessions):
    for text, expected in (
        ("away 21.12.2026", "is not a pair of dates"),
        ("away 2027-01-04..2026-12-21", "The last day (2026-12-21) comes before the first (2027-01-04)"),
        ("away 2026-11-01..2026-11-10", "That period ended on 2026-11-10, and today is 2026-11-18"),
        ("away 2026-12-21..2028-01-04", "at most 366 days"),
        ("away 2026-12-21..2027-01-04 to @zhaolei", "After the dates comes only `delegate @person`"),
        ("away 2026-12-21..2027-01-04 delegate @nobody", "`@nobody` is not one of the people of this organization"),
        ("away 2026-12-21..2027-01-04 delegate <@U0STRANGER|bob>", "is not one of the people of this organization"),
        ("away 2026-12-21..2027-01-04 delegate @zhouqiang", "You cannot be your own delegate"),
        ("away 2026-12-21..2027-01-04 delegate ecology-hr", "Platform Ecology HR is a team"),
    ):
        said = card_text(chat.say(text, actor=ENGINEER))
        assert expected in said, (text, said)
        assert "away YYYY-MM-DD..YYYY-MM-DD [delegate @person]" in said, (text, said)
    assert _periods(sessions) == []


def test_set_list_replace_and_end_one_period(chat, sessions, clock):
    said = card_text(chat.say("away", actor=ENGINEER))
    assert "You have no away periods coming" in said
    said = card_text(chat.say("away 2026-12-21..2027-01-04 delegate @sunmei", actor=ENGINEER))
    assert "You are away from 2026-12-21 to 2027-01-04" in said
    assert "Sun Mei may check in on your key results meanwhile" in said
    chat.say("away 2026-12-21..2027-01-04 delegate @sunmei", actor=ENGINEER)  # typed twice: stored once
    hr_lead = _person(sessions, HR_LEAD)
    assert _periods(sessions) == [(date(2026, 12, 21), date(2027, 1, 4), hr_lead)]
    said = card_text(chat.say("away 2026-12-28..2027-01-08", actor=ENGINEER))
    assert "This replaces 1 away period that overlapped it" in said
    assert _periods(sessions) == [(date(2026, 12, 28), date(2027, 1, 8), None)]
    chat.say("away 2026-11-17..2026-11-20", actor=ENGINEER)  # since yesterday: today is 2026-11-18
    said = card_text(chat.say("away", actor=ENGINEER))
    assert "2026-11-17 to 2026-11-20 (now)" in said and "2026-12-28 to 2027-01-08" in said
    said = card_text(chat.say("away off", actor=ENGINEER))
    assert "Welcome back" in said
    assert _periods(sessions) == [(date(2026, 11, 17), date(2026, 11, 17), None)]  # yesterday stays true
    assert "You were not away" in card_text(chat.say("away off", actor=ENGINEER))


def _owner_of(reply, code: str) -> str | None:
    return next(e.owner for e in reply.card.elements if isinstance(e, KeyResultLine) and e.code == code)


def test_the_delegate_checks_in_while_the_owner_is_away_and_the_posts_say_away(chat, sessions, clock):
    refused = card_text(chat.say("confidence rd-o1-kr3 6", actor=HR_LEAD))
    assert "belongs to Zhou Qiang" in refused
    chat.say("away 2026-11-18..2026-11-27 delegate @sunmei", actor=ENGINEER)

    said = chat.say("confidence rd-o1-kr3 6 vendor signed", actor=HR_LEAD)
    assert "rd-o1-kr3" in card_text(said) and "belongs to" not in card_text(said)
    form = chat.say("checkin", actor=HR_LEAD).form
    labels = [f.label for f in form.fields]
    assert any("rd-o1-kr4" in label and "for Zhou Qiang, who is away" in label for label in labels), labels
    with sessions() as s:
        kr4 = s.scalar(select(KeyResult.id).where(KeyResult.key == "rd-o1-kr4"))
    chat.submit("checkin", {f"confidence:{kr4}": "4", f"note:{kr4}": "flaky farm"}, actor=HR_LEAD)
    with sessions() as s:
        entered = s.scalars(select(CheckIn.person_id).where(CheckIn.source == "sandbox")).all()
    assert entered == [_person(sessions, HR_LEAD)] * 2  # who entered each

    board = chat.say("okrs rd-efficiency", actor=LEAD)
    assert _owner_of(board, "rd-o1-kr3") == "Zhou Qiang, away until 2026-11-27"
    assert _owner_of(board, "rd-o1-kr1") == "Zhao Lei"
    report = card_text(chat.say("report rd-efficiency", actor=LEAD))
    assert "Zhou Qiang, away until 2026-11-27" in report

    clock.advance(days=10)  # 2026-11-28: back, and the delegate is a stranger to the key result again
    assert "belongs to Zhou Qiang" in card_text(chat.say("confidence rd-o1-kr3 7", actor=HR_LEAD))
    assert _owner_of(chat.say("okrs rd-efficiency", actor=LEAD), "rd-o1-kr3") == "Zhou Qiang"


async def test_no_nudge_for_the_days_away_in_the_team_zone(app_ctx, clock, deliverer, sessions, chat):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        s.get(RitualSetting, (rd, "nudge")).enabled = True
    # Tuesday 2026-11-24 in Shanghai; in UTC the nudge goes out on Tuesday 02:00, Monday evening in London.
    chat.say("away 2026-11-24..2026-11-24", actor=ENGINEER)
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    clock.set(MONDAY_0900 + timedelta(days=1, hours=1))  # Tuesday 10:00 in Shanghai
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    nudge = next(r for r in runs_of(sessions, "nudge") if r.team_id == rd and r.period == "2026-W48")
    engineer = _person(sessions, ENGINEER)
    nudged = {int(k.split(":")[1]) for k in nudge.delivered}
    assert nudge.state == "posted" and nudged and engineer not in nudged, (nudge.state, nudge.reason, nudged)
    assert sandbox_messages(sessions, f"dm:{engineer}") == []


async def test_the_delegate_is_nudged_for_the_key_results_nobody_checked_in_on(app_ctx, clock, deliverer, sessions,
                                                                              chat):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        s.get(RitualSetting, (rd, "nudge")).enabled = True
    chat.say("away 2026-11-23..2026-11-27 delegate @sunmei", actor=ENGINEER)
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    clock.advance(hours=2)
    chat.say("confidence rd-o1-kr3 6 vendor signed", actor=HR_LEAD)  # one of the two, checked in for him
    clock.set(MONDAY_0900 + timedelta(days=1, hours=1))  # Tuesday 10:00 in Shanghai
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    nudge = next(r for r in runs_of(sessions, "nudge") if r.team_id == rd and r.period == "2026-W48")
    engineer, hr_lead = _person(sessions, ENGINEER), _person(sessions, HR_LEAD)
    nudged = {int(k.split(":")[1]) for k in nudge.delivered}
    assert nudge.state == "posted" and hr_lead in nudged and engineer not in nudged, (nudge.reason, nudged)
    [dm] = sandbox_messages(sessions, f"dm:{hr_lead}")
    said = json.dumps(dm.card, ensure_ascii=False)
    assert ("Hi Sun Mei. Zhou Qiang is away until 2026-11-27 and named you to check in meanwhile: nobody has "
            "checked in on their key result for R&D Efficiency since Monday's meeting.") in said, said
    assert "rd-o1-kr4" in said and "rd-o1-kr3" not in said


async def test_the_delegate_away_too_is_not_nudged(app_ctx, clock, deliverer, sessions, chat):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        s.get(RitualSetting, (rd, "nudge")).enabled = True
    chat.say("away 2026-11-23..2026-11-27 delegate @sunmei", actor=ENGINEER)
    chat.say("away 2026-11-20..2026-11-30", actor=HR_LEAD)
    clock.set(MONDAY_0900 + timedelta(days=1, hours=1))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    nudge = next(r for r in runs_of(sessions, "nudge") if r.team_id == rd and r.period == "2026-W48")
    assert _person(sessions, HR_LEAD) not in {int(k.split(":")[1]) for k in nudge.delivered}


async def test_going_away_and_coming_back_redraw_the_monday_post(app_ctx, clock, deliverer, sessions, chat):
    rd = team_id(sessions, "rd-efficiency")
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    monday = next(r for r in runs_of(sessions, "monday") if r.team_id == rd and r.period == "2026-W48")

    def post() -> str:
        [root] = [m for m in sandbox_messages(sessions, "rd-efficiency") if str(m.id) == monday.message_ref]
        return json.dumps(root.card, ensure_ascii=False)

    assert "away until" not in post()
    chat.say("away 2026-12-21..2027-01-04", actor=ENGINEER)  # not today: the post stays as it is
    with sessions() as s:
        assert s.get(RitualRun, monday.id).stale_since is None
    chat.say("away 2026-11-23..2026-11-27", actor=ENGINEER)
    with sessions() as s:
        assert s.get(RitualRun, monday.id).stale_since is not None  # marked in the change's transaction
    assert await refresh_posts(sessions, app_ctx.messengers, clock.now, deliverer) >= 1
    assert "Zhou Qiang, away until 2026-11-27" in post()
    chat.say("away off", actor=ENGINEER)
    assert await refresh_posts(sessions, app_ctx.messengers, clock.now, deliverer) >= 1
    assert "away until" not in post()
