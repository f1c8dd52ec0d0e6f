"""The lead's top-three form (#13), on SQLite and PostgreSQL: opened by `/okr next` alone or the button of the
wrap-up's direct message to each lead, prefilled with what is written for next week, else this week's leftovers;
its lines are part 3 of the report and next week's priorities (Monday's list); bad lines are refused by the field
and nothing is written; the same form sent twice leaves one list; the report comes after the wrap-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.sandbox.store import dm_channel
from bot.rituals import catalog
from bot.rituals.sweep import sweep
from storage.models import Person, Priority, Team
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages

FRIDAY_1800 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai, Friday of 2026-W47: the wrap-up

ENGINEER = "engineer@example.com"
LEAD = "director.rd@example.com"
RD = "rd-efficiency"


def _team_id(sessions) -> str:
    with sessions() as s:
        return str(s.scalar(select(Team.id).where(Team.key == RD)))


def _next_week(sessions) -> list[tuple[str, str, str | None]]:
    with sessions() as s:
        return [(p.level, p.text, p.week) for p in s.scalars(
            select(Priority).where(Priority.week == "2026-W48").order_by(Priority.id))]


def test_prefilled_with_leftovers_then_part_three_and_next_weeks_list(chat, sessions, clock):
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API", actor=ENGINEER, conversation=RD)
    chat.say("priority add P2 none Tidy the wiki", actor=ENGINEER, conversation=RD)
    assert "Only the leads of R&D Efficiency" in card_text(chat.say("next", actor=ENGINEER, conversation=RD))
    form = chat.say("next", actor=LEAD, conversation=RD).form
    assert form.form_id == "next" and len(form.fields) == 3
    assert [f.initial for f in form.fields] == ["P1 rd-o1-kr3 Ship the vendor API", "P2 Tidy the wiki", None]

    team = form.metadata
    assert team == f"{_team_id(sessions)}:2026-W48"
    refused = chat.submit("next", {"line:1": "P1 rd-o1-kr3 Ship the vendor API to all", "line:2": "P2"}, team,
                          actor=LEAD)
    assert "line:2" in refused.errors and "P2 of what?" in refused.errors["line:2"]
    assert chat.submit("next", {"line:1": " "}, team, actor=LEAD).errors["line:1"].startswith("Write at least one")
    assert chat.submit("next", {"line:1": "Ship it"}, team, actor=ENGINEER).card is not None  # refused: not a lead
    assert _next_week(sessions) == []

    lines = {"line:1": "P1 rd-o1-kr3 Ship the vendor API to all", "line:2": "Write the runbook", "line:3": ""}
    for _ in range(2):  # sent twice (a double click): one list
        said = card_text(chat.submit("next", lines, team, actor=LEAD))
        assert "1. P1 Ship the vendor API to all" in said and "2. P1 Write the runbook" in said
    assert _next_week(sessions) == [("P1", "Ship the vendor API to all", "2026-W48"),
                                    ("P1", "Write the runbook", "2026-W48")]
    report = card_text(chat.say(f"report {RD}", actor=LEAD))
    part3, part4 = report.index("3. Next week's top three"), report.index("4. Risks and blockers")
    assert part3 < report.index("Ship the vendor API to all") < report.index("Write the runbook") < part4, report
    form = chat.say("next", actor=LEAD, conversation=RD).form  # opened again: what is written for next week
    assert [f.initial for f in form.fields] == ["P1 rd-o1-kr3 Ship the vendor API to all", "P1 Write the runbook",
                                                None]
    clock.advance(days=7)
    board = card_text(chat.say(f"okrs {RD}", actor=LEAD))
    assert "Ship the vendor API to all" in board and "Tidy the wiki" not in board


def test_a_week_that_has_begun_is_refused_and_nothing_changes(chat, sessions, clock):
    team = _team_id(sessions)
    chat.say("priority add P1 none Keep me", actor=LEAD, conversation=RD)
    form = chat.say("next", actor=LEAD, conversation=RD).form
    clock.advance(days=7)  # opened on Friday, saved after the week turned
    refused = card_text(chat.submit("next", {"line:1": "P1 Replace everything"}, form.metadata, actor=LEAD))
    assert "Week 2026-W48 of R&D Efficiency has begun" in refused and "/okr priorities" in refused
    assert "out of date" in card_text(chat.submit("next", {"line:1": "P1 x"}, f"{team}:never", actor=LEAD))
    assert "Replace everything" not in card_text(chat.say(f"okrs {RD}", actor=LEAD))
    assert _next_week(sessions) == [("P1", "Keep me", "2026-W48")]  # carried over into the running week, kept


def test_part_three_says_when_it_is_guessed(chat):
    chat.say("priority add P1 none Carry me over", actor=ENGINEER, conversation=RD)
    guessed = card_text(chat.say(f"report {RD}", actor=LEAD))
    assert "Not written by the lead yet" in guessed and "Carry me over" in guessed
    chat.say("next P1 none Written by the lead", actor=LEAD, conversation=RD)
    written = card_text(chat.say(f"report {RD}", actor=LEAD))
    top = written[written.index("3. Next week's top three"):written.index("4. Risks and blockers")]
    assert "Written by the lead" in top and "Not written by the lead" not in top and "Carry me over" not in top


def _dms(sessions, email: str) -> list[dict]:
    with sessions() as s:
        person = s.scalar(select(Person.id).where(Person.email == email))
    return [m.card for m in sandbox_messages(sessions, dm_channel(person))]


def _button(card: dict, action: str) -> dict:
    return next(b for e in card["elements"] if e.get("type") == "Actions" for b in e["buttons"]
                if b["action_id"] == action)


async def test_what_is_written_in_the_wrapup_is_in_that_weeks_report_from_the_clock(chat, sessions, app_ctx, clock,
                                                                                     deliverer):
    """The report is due after the wrap-up by default: a "why" answered and a top three written in the wrap-up
    reach the report the clock sends that Friday (with the report due first, at 17:00, neither did)."""
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API", actor=ENGINEER, conversation=RD)
    clock.set(FRIDAY_1800)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = int(_team_id(sessions))
    assert [r.state for r in runs_of(sessions, "wrapup") if r.team_id == rd] == ["posted"]
    assert [r for r in runs_of(sessions, "report") if r.period == "2026-W47"] == []  # not due yet

    [asked] = _dms(sessions, ENGINEER)
    why = _button(asked, "why_open")
    form = chat.click("why_open", why["value"], actor=ENGINEER).form
    chat.submit("why", {"why": "The vendor's sandbox was down all week"}, form.metadata, actor=ENGINEER)
    [top] = [c for c in _dms(sessions, LEAD) if c["title"] == "Next week's top three"]
    assert "Which three things matter most next week (2026-W48)?" in json.dumps(top)
    button = _button(top, "next_open")
    assert button["label"] == "Write next week's top three"
    form = chat.click("next_open", button["value"], actor=LEAD).form
    assert form.form_id == "next" and form.fields[0].initial == "P1 rd-o1-kr3 Ship the vendor API"
    chat.submit("next", {"line:1": "P1 rd-o1-kr3 Ship the vendor API to all", "line:2": "P2 none Tidy the wiki"},
                form.metadata, actor=LEAD)

    clock.set(FRIDAY_1800 + timedelta(minutes=30))  # the report's default: Friday 18:30
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    [report] = [c for c in _dms(sessions, LEAD) if c["title"].startswith("Weekly status report")]
    drawn = json.dumps(report, ensure_ascii=False)
    part2, part3, part4 = (drawn.index(f"*{n}. ") for n in (2, 3, 4))
    assert part2 < drawn.index("why: The vendor's sandbox was down all week") < part3, drawn
    assert part3 < drawn.index("P1 Ship the vendor API to all") < drawn.index("P2 Tidy the wiki") < part4, drawn
    assert "Not written by the lead" not in drawn


def test_everything_the_wrapup_feeds_is_due_after_it_by_default():
    """The report, the subscribed channels' copy of it and the company showcase: after the Friday wrap-up."""
    wrapup = catalog.CATALOG["wrapup"]
    for name in ("report", "subscriptions", "showcase"):
        ritual = catalog.CATALOG.get(name)
        if ritual is not None:
            assert (ritual.weekday, ritual.time) > (wrapup.weekday, wrapup.time), name
