"""Closing a cycle (bot.services.scores), on SQLite and PostgreSQL: the day after its end the clock asks each
key result's owner for scores, once; owners score 0.0-1.0 with "did it move the business?"; an objective
gets the mean unless its lead sets it; nothing is scored before the end or after the close."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import Cycle, KeyResult, Objective, Person
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages

LEAD = "director.rd@example.com"  # leads rd-efficiency, owns rd-o1-kr1 and kr2, and ecology-o7-kr1
ENGINEER = "engineer@example.com"  # owns rd-o1-kr3 and kr4
CLOSING_DAY = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the day after 2026-Q4's last


def scores(sessions) -> tuple[dict[str, tuple], float | None, bool]:
    with sessions() as s:
        krs = {k.key: (k.score, k.moved_business, k.score_note) for k in s.scalars(
            select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id).where(
            Objective.key == "rd-o1"))}
        objective = s.scalar(select(Objective).where(Objective.key == "rd-o1"))
        return krs, objective.score, objective.score_overridden


async def test_owners_are_asked_once_and_score_with_the_methods_question(chat, sessions, app_ctx, clock, deliverer):
    early = card_text(chat.say("score rd-o1-kr1 0.7 yes", actor=LEAD))
    assert "runs until Thu 31 Dec 2026: it is scored once the cycle has ended" in early, early

    clock.set(CLOSING_DAY)
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    closing = runs_of(sessions, "closing")
    assert {r.state for r in closing} == {"posted"} and len(closing) == 4
    with sessions() as s:
        lead_id = s.scalar(select(Person.id).where(Person.email == LEAD))
    asked = sandbox_messages(sessions, f"dm:{lead_id}")
    asked = [json.dumps(m.card, ensure_ascii=False) for m in asked if "your scores" in json.dumps(m.card)]
    # One message, whatever teams' objectives hold their key results (Platform Ecology's and R&D Efficiency's).
    assert len(asked) == 1 and "for Platform Ecology Department and R&D Efficiency" in asked[0], asked
    assert "did it move the business?" in asked[0] and "rd-o1-kr2" in asked[0] and "ecology-o7-kr1" in asked[0]

    assert "`1.3` is not a score" in card_text(chat.say("score rd-o1-kr1 1.3 yes", actor=LEAD))
    refused = card_text(chat.say("score rd-o1-kr1 0.5", actor=ENGINEER))
    assert "Only its owner or the leads of R&D Efficiency (Zhao Lei) can score *rd-o1-kr1*" in refused, refused
    done = card_text(chat.say("score rd-o1-kr1 0.7 yes vendor signed", actor=LEAD))
    assert "*rd-o1-kr1* scored 0.70, and it moved the business. _vendor signed_" in done, done
    done = card_text(chat.say("score rd-o1-kr3 0.4", actor=ENGINEER))
    assert "Did it move the business?" in done and "*rd-o1* now scores 0.55" in done, done
    krs, objective, overridden = scores(sessions)
    assert krs["rd-o1-kr1"] == (0.7, True, "vendor signed") and krs["rd-o1-kr3"] == (0.4, None, None)
    assert (objective, overridden) == (0.55, False)

    assert "Only the leads of R&D Efficiency" in card_text(chat.say("score rd-o1 0.9", actor=ENGINEER))
    assert "scored 0.60 by its lead; its key results' mean is 0.55" in card_text(chat.say("score rd-o1 0.6",
                                                                                          actor=LEAD))
    chat.say("score rd-o1-kr2 1.0 no", actor=LEAD)
    assert scores(sessions)[1:] == (0.6, True)  # the lead's score stays

    with transaction(sessions) as s:
        s.scalar(select(Cycle).where(Cycle.name == "2026-Q4")).closed_at = clock.now()
    clock.advance(days=1)
    closed = card_text(chat.say("score rd-o1-kr4 0.2", actor=ENGINEER))
    assert "2026-Q4 is closed" in closed, closed
    assert scores(sessions)[0]["rd-o1-kr4"] == (None, None, None)
    assert clock.now() - CLOSING_DAY > timedelta(days=1)
