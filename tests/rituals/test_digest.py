"""The organizers' daily digest of new proposals (bot.services.digest), on SQLite and PostgreSQL: the morning
after a day with proposals each company lead gets one direct message with that day's proposals, exactly once
however often the clock sweeps; nothing is sent before it is due, nor on a morning after a day without any."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.rituals.sweep import sweep
from storage.models import Person
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages
from tests.rituals.test_proposals import CEO, ENGINEER, HR, plan_q1


def dms_to(sessions, email: str) -> list[str]:
    with sessions() as s:
        person = s.scalar(select(Person.id).where(Person.email == email))
    return [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, f"dm:{person}")
            if "New proposals" in json.dumps(m.card)]  # the digests (the clock also sends the weekly report)


async def test_one_digest_a_morning_after_a_day_with_proposals(chat, sessions, app_ctx, clock, deliverer, org_id):
    plan_q1(sessions, org_id)  # the clock: Wed 18 Nov 2026, 12:00 in Shanghai, 2027-Q1 being planned
    assert "Proposal #1" in card_text(chat.say("propose Double the merchants", actor=ENGINEER))
    clock.advance(hours=5)
    chat.say("propose Hire senior engineers", actor=HR)
    assert len(runs_of(sessions, "proposal_digest")) == 1  # one run for the company team and the morning

    clock.set(datetime(2026, 11, 19, 0, 59, tzinfo=UTC))  # 08:59 in Shanghai: not yet
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert dms_to(sessions, CEO) == []
    chat.say("propose Cut delivery time in half", actor=ENGINEER)  # before 09:00: in this morning's digest
    clock.set(datetime(2026, 11, 19, 1, 0, tzinfo=UTC))
    for _ in range(3):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=5)
    [digest] = dms_to(sessions, CEO)
    assert "New proposals for 2027-Q1" in digest and "3 new proposals since" in digest, digest
    assert "#1* Double the merchants" in digest and "#3* Cut delivery time in half" in digest
    assert dms_to(sessions, ENGINEER) == []  # only the organizers
    assert {r.state for r in runs_of(sessions, "proposal_digest")} == {"posted"}

    # A day without proposals: no digest the morning after; the next proposal's digest the morning after it.
    clock.set(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert len(dms_to(sessions, CEO)) == 1 and len(runs_of(sessions, "proposal_digest")) == 1
    chat.say("propose Open ten new cities", actor=HR)
    clock.set(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    latest = dms_to(sessions, CEO)[-1]
    assert len(dms_to(sessions, CEO)) == 2 and "1 new proposal since" in latest and "#4* Open ten new cities" in latest
    assert "Double the merchants" not in latest
