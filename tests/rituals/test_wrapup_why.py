"""The end of the week (#13), on SQLite and PostgreSQL: the Friday wrap-up asks the owner of each open P1 "why?"
once, the answer fills the report's part 2; the lead's `/okr next` fills part 3 and is Monday's list."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from adapters.sandbox.store import dm_channel
from bot.rituals.sweep import sweep
from storage.models import Person, Priority
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages, team_id

ENGINEER = "engineer@example.com"  # Zhou Qiang, of rd-efficiency
LEAD = "director.rd@example.com"  # Zhao Lei, leads rd-efficiency
FRIDAY_1800 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai, Friday of 2026-W47
NEXT_MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _dms(sessions, email: str) -> list[dict]:
    with sessions() as s:
        person_id = s.scalar(select(Person.id).where(Person.email == email))
    return [m.card for m in sandbox_messages(sessions, dm_channel(person_id))]


def _buttons(card: dict) -> list[dict]:
    return [b for element in card["elements"] if element.get("type") == "Actions" for b in element["buttons"]]


async def test_the_wrapup_asks_why_once_and_the_answer_fills_part_two(chat, sessions, app_ctx, clock, deliverer):
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API", actor=ENGINEER)
    chat.say("priority add P1 none Write the runbook", actor=LEAD)
    chat.say("priority add P1 none Fix the flaky test", actor=ENGINEER)
    chat.say("priority done 3", actor=ENGINEER)
    clock.set(FRIDAY_1800)
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    rd = team_id(sessions, "rd-efficiency")
    assert [r.state for r in runs_of(sessions, "wrapup") if r.team_id == rd] == ["posted"]
    [asked] = _dms(sessions, ENGINEER)
    drawn = json.dumps(asked, ensure_ascii=False)
    assert "a P1 of R&D Efficiency is still open at the end of 2026-W47" in drawn
    assert "Ship the vendor API" in drawn and "Fix the flaky test" not in drawn
    [why] = _buttons(asked)
    asked_lead = [c for c in _dms(sessions, LEAD) if c["title"] == "Why not done?"]  # besides the report
    assert len(asked_lead) == 1 and "Write the runbook" in json.dumps(asked_lead)

    form = chat.click(why["action_id"], why["value"], actor=ENGINEER).form
    assert form is not None and form.form_id == "why" and "Ship the vendor API" in (form.intro or "")
    refused = chat.submit("why", {"why": "  "}, form.metadata, actor=ENGINEER)
    assert refused.errors == {"why": "Say in a few words what got in the way."}
    saved = card_text(chat.submit("why", {"why": "The vendor's sandbox was down all week"}, form.metadata,
                                  actor=ENGINEER))
    assert "under _Ship the vendor API_: The vendor's sandbox was down all week" in saved
    report = card_text(chat.say("report rd-efficiency", actor=LEAD))
    part2, part3 = report.index("2. This week's priorities"), report.index("3. Next week's top three")
    assert part2 < report.index("Ship the vendor API") < report.index("why: The vendor's sandbox was down") < part3


async def test_the_leads_top_three_fill_part_three_and_are_mondays_priorities(chat, sessions, clock):
    chat.say("priority add P1 none Carry me over", actor=ENGINEER)
    refused = card_text(chat.say("next P1 rd-o1-kr3 Ship the vendor API", actor=ENGINEER))
    assert "Only the leads of R&D Efficiency can do that" in refused
    refused = card_text(chat.say("next P3 Ship it", actor=LEAD))
    assert "`P3` is not a priority level" in refused
    said = card_text(chat.say("next P1 rd-o1-kr3 Ship the vendor API", actor=LEAD))
    assert "Next week's top priorities of R&D Efficiency (2026-W48)" in said and "1. P1 Ship the vendor API" in said
    chat.say("next P2 none Tidy the wiki", actor=LEAD)
    report = card_text(chat.say("report rd-efficiency", actor=LEAD))
    part3, part4 = report.index("3. Next week's top three"), report.index("4. Risks and blockers")
    top = report[part3:part4]
    assert "P1 Ship the vendor API" in top and "P2 Tidy the wiki" in top and "Carry me over" not in top, top

    clock.set(NEXT_MONDAY)
    listed = card_text(chat.say("priority done 1", actor=LEAD))
    assert "Ship the vendor API" in listed and "Carry me over" not in listed
    with sessions() as s:
        rows = s.execute(select(Priority.week, Priority.text, Priority.status).order_by(Priority.id)).all()
    assert [tuple(r) for r in rows] == [
        ("2026-W47", "Carry me over", "open"), ("2026-W48", "Ship the vendor API", "done"),
        ("2026-W48", "Tidy the wiki", "open")]
    for _ in range(4):  # next week is 2026-W49 now
        chat.say("next P1 none Another", actor=LEAD)
    refused = card_text(chat.say("next P1 none One too many", actor=LEAD))
    assert "already has 4 priorities" in refused
