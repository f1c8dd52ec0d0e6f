"""Risks, help requests and remarks typed by people (#13), on SQLite and PostgreSQL: kept verbatim in the
report's parts 4 and 5 beside the derived lines; a help request reaches its addressee once, by the clock, with
"I can help" / "I can't" buttons, and the asker hears the first answer once."""

from __future__ import annotations

import json

from sqlalchemy import select

from adapters.sandbox.store import dm_channel
from bot.rituals.sweep import sweep
from storage.models import Person, WeekNote
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages

ENGINEER = "engineer@example.com"  # Zhou Qiang, of rd-efficiency
LEAD = "director.rd@example.com"  # Zhao Lei, leads rd-efficiency
HR_LEAD = "hr.lead@example.com"  # Sun Mei, leads ecology-hr


def _dms(sessions, email: str) -> list[dict]:
    with sessions() as s:
        person_id = s.scalar(select(Person.id).where(Person.email == email))
    return [m.card for m in sandbox_messages(sessions, dm_channel(person_id))]


def _report(chat) -> str:
    return card_text(chat.say("report rd-efficiency", actor=LEAD))


async def test_risks_and_remarks_are_in_parts_four_and_five_verbatim(chat):
    said = card_text(chat.say("risk The vendor may miss the <API> freeze", actor=ENGINEER))
    assert "Risk noted for R&D Efficiency" in said and "The vendor may miss the <API> freeze" in said
    said = card_text(chat.say("remark Thank you Jim!", actor=ENGINEER))
    assert "Remark noted for R&D Efficiency" in said
    report = _report(chat)
    part4, part5 = report.index("4. Risks and blockers"), report.index("5. Notes")
    risk, remark = report.index("Zhou Qiang: The vendor may miss the <API> freeze"), report.index("Thank you Jim!")
    assert part4 < risk < part5 < remark, report
    assert "Nothing to add" not in report[part5:]


async def test_bad_input_is_answered_kindly_and_stores_nothing(chat, sessions):
    for text, expected in (
        ("risk", "Something is missing: the risk."),
        ("help-needed @zhaolei", "Something is missing: what you need help with, then who can help"),
        ("help-needed Review the contract @nobody", "Nobody and no team answers to `@nobody`"),
        ("help-needed Review the contract nowhere", "Nobody and no team answers to `nowhere`"),
        ("help-needed Review the contract @zhouqiang", "That names you"),
        ("remark " + "x" * 501, "The remark is too long (501 characters)"),
    ):
        said = card_text(chat.say(text, actor=ENGINEER))
        assert expected in said, (text, said)
    with sessions() as s:
        assert s.scalars(select(WeekNote)).all() == []


async def test_a_help_request_is_asked_once_and_the_first_answer_comes_back_once(
        chat, sessions, app_ctx, clock, deliverer):
    said = card_text(chat.say("help-needed Review the vendor contract by Thursday ecology-hr", actor=ENGINEER))
    assert "I will ask the leads of Platform Ecology HR to help with: Review the vendor contract by Thursday" in said
    for _ in range(2):  # however often the clock sweeps, the request goes once
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    [asked] = _dms(sessions, HR_LEAD)
    drawn = json.dumps(asked, ensure_ascii=False)
    assert "Zhou Qiang of R&D Efficiency needs help: Review the vendor contract by Thursday" in drawn
    assert "I can help" in drawn and "I can't" in drawn
    with sessions() as s:
        note_id = s.scalar(select(WeekNote.id))
    assert "report" not in [r.ritual for r in runs_of(sessions)]

    refused = card_text(chat.click("help_answer", f"{note_id}:yes", actor=LEAD))
    assert "was not sent to you" in refused
    thanks = card_text(chat.click("help_answer", f"{note_id}:yes", actor=HR_LEAD))
    assert "Zhou Qiang will hear that you can help with" in thanks
    again = card_text(chat.click("help_answer", f"{note_id}:no", actor=HR_LEAD))
    assert "Sun Mei already answered that they can help" in again and "Nothing changed" in again
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    [answer] = _dms(sessions, ENGINEER)
    assert "Sun Mei can help with: Review the vendor contract by Thursday" in json.dumps(answer, ensure_ascii=False)
    assert [(r.ritual, r.state) for r in runs_of(sessions) if r.ritual.startswith("help")] == [
        ("helpask", "posted"), ("helpreply", "posted")]

    report = _report(chat)
    assert ("Zhou Qiang asks Platform Ecology HR for help: Review the vendor contract by Thursday · Sun Mei can help"
            in report), report


async def test_a_person_is_named_by_name_or_email(chat, sessions):
    for text in ("help-needed Pair on the flaky test @zhaolei", "help-needed Pair on the flaky test @Zhao",
                 "help-needed Pair on the flaky test @director.rd@example.com",
                 "help-needed Pair on the flaky test @director.rd"):
        said = card_text(chat.say(text, actor=ENGINEER))
        assert "I will ask Zhao Lei to help with: Pair on the flaky test" in said, (text, said)
    with sessions() as s:
        assert len(s.scalars(select(WeekNote).where(WeekNote.kind == "help")).all()) == 4


async def test_a_plan_that_needs_a_person_or_a_team_tells_them_once(chat, sessions, app_ctx, clock, deliverer):
    said = card_text(chat.say("plan rd-o1-kr3 Migrate the test farm needs @zhaolei", actor=ENGINEER))
    assert "Added to the next four weeks of R&D Efficiency: Migrate the test farm" in said
    assert "Zhao Lei will be told that it needs their preparation or support" in said
    said = card_text(chat.say("plan Hire two testers needs ecology-hr", actor=ENGINEER))
    assert "The leads of Platform Ecology HR will be told" in said
    refused = card_text(chat.say("plan Something needs @nobody", actor=ENGINEER))
    assert "Nobody and no team answers to `@nobody`" in refused
    said = card_text(chat.say("plan Keep the needs of users first", actor=ENGINEER))  # "needs" inside the text
    assert "Keep the needs of users first" in said and "will be told" not in said
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    [told] = _dms(sessions, LEAD)
    assert "Zhou Qiang of R&D Efficiency plans, for the next four weeks: Migrate the test farm" in json.dumps(told)
    [told] = _dms(sessions, HR_LEAD)
    assert "Hire two testers" in json.dumps(told) and "you are one of its leads" in json.dumps(told)
    assert [r.state for r in runs_of(sessions, "planneeds")] == ["posted", "posted"]
