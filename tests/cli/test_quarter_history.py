"""A closed cycle's history survives `okrbot export` then `okrbot import`: the cycle's closing day, the key
results' scores, removals and carry-overs, the objectives' why, the honest changes and the lessons; and
importing the same file again adds nothing (the history is append-only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import yaml
from sqlalchemy import select

from bot.closing import close
from bot.cycles import new_cycle
from storage.db import make_engine, make_sessionmaker, transaction
from storage.models import Cycle, KeyResult, Lesson, Objective, OkrChange, Organization, Team
from tests.cli.helpers import empty_database, okrbot
from tests.conftest import card_text

LEAD, ENGINEER = "director.rd@example.com", "engineer@example.com"


def history(url: str) -> dict:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        krs = {k.key: (k.score, k.score_note, k.moved_business, k.removed_reason,
                       s.scalar(select(KeyResult.key).where(KeyResult.id == k.carried_from_id)))
               for k in s.scalars(select(KeyResult))}
        data = {
            "closed": sorted((c.name, c.closed_at.date() if c.closed_at else None) for c in s.scalars(select(Cycle))),
            "why": {o.key: o.why for o in s.scalars(select(Objective)) if o.why},
            "krs": {key: value for key, value in krs.items() if any(v is not None for v in value)},
            "changes": sorted((c.subject, c.field, c.old, c.new, c.reason, c.at) for c in s.scalars(select(OkrChange))),
            "lessons": sorted((lesson.kind, lesson.text, lesson.at) for lesson in s.scalars(select(Lesson))),
        }
    engine.dispose()
    return data


def test_a_closed_quarter_round_trips(monkeypatch, capsys, database_url, tmp_path, sqlite_template, sessions, chat,
                                      clock, org_id):
    assert "rd-o1-kr4: removed" in card_text(chat.say("change rd-o1-kr4 remove because the vendor left", actor=LEAD))
    chat.say("change rd-o1 why Builds cost us a day a week because the CEO asked", actor=LEAD)
    chat.say("change rd-o1-kr1 target 90 because the scope doubled", actor=LEAD)
    clock.set(datetime(2027, 1, 1, 3, 0, tzinfo=UTC))
    with transaction(sessions) as s:
        new_cycle(s, s.get(Organization, org_id), "2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
        rd = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
        s.add(Lesson(org_id=org_id, cycle_id=q4.id, team_id=rd.id, kind="stop", text="status meetings",
                     platform="slack", message_id="1700000000.1", at=clock.now()))
    chat.say("score rd-o1-kr3 0.4 no half the teams moved", actor=ENGINEER)
    chat.say("score rd-o1-kr1 1.0 yes", actor=LEAD)
    assert "goes on in 2027-Q1" in card_text(chat.say("carry rd-o1-kr3", actor=ENGINEER))
    clock.advance(days=3)
    with transaction(sessions) as s:
        close(s, s.get(Organization, org_id), "2026-Q4", clock.now())
    before = history(database_url)
    assert before["krs"]["rd-o1-kr3"][:3] == (0.4, "half the teams moved", False)
    assert before["krs"]["rd-o1-kr3-2027q1"][4] == "rd-o1-kr3" and before["krs"]["rd-o1-kr4"][3] == "the vendor left"
    assert len(before["changes"]) == 3 and before["lessons"][0][:2] == ("stop", "status meetings")

    exported = tmp_path / "export.yaml"
    assert okrbot(monkeypatch, capsys, database_url, "export", "--out", str(exported))[0] == 0
    data = yaml.safe_load(exported.read_text())
    assert {c["name"]: c.get("closed") for c in data["cycles"]}["2026-Q4"] == date(2027, 1, 4)
    assert data["lessons"][0]["text"] == "status meetings" and data["changes"][0]["field"] == "removed"
    fresh = empty_database(database_url, tmp_path, sqlite_template)
    for _ in range(2):  # the second import of the same file adds nothing
        code, _, err = okrbot(monkeypatch, capsys, fresh, "import", str(exported))
        assert code == 0, err
    assert history(fresh) == before
    again = tmp_path / "again.yaml"
    assert okrbot(monkeypatch, capsys, fresh, "export", "--out", str(again))[0] == 0
    assert again.read_text() == exported.read_text()
    assert clock.now() - datetime(2027, 1, 1, 3, 0, tzinfo=UTC) == timedelta(days=3)
