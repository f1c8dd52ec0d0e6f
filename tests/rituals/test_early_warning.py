"""Early warning (#13), on SQLite and PostgreSQL: a key result dropping by 2 or into red, or a health metric
turning red, reaches the team's leads at the clock's next sweep, once per subject and week; their response plan
shows on the next Monday post."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from adapters.sandbox.store import dm_channel
from bot.rituals.sweep import sweep
from storage.models import EarlyWarning, Person
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages

ENGINEER = "engineer@example.com"  # Zhou Qiang, owns rd-o1-kr3
LEAD = "director.rd@example.com"  # Zhao Lei, leads rd-efficiency
NEXT_MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _warnings_to(sessions, email: str) -> list[dict]:
    with sessions() as s:
        person_id = s.scalar(select(Person.id).where(Person.email == email))
    return [m.card for m in sandbox_messages(sessions, dm_channel(person_id))
            if (m.card.get("title") or "").startswith("Early warning")]


async def _sweeps(app_ctx, clock, deliverer, times: int = 2) -> None:
    for _ in range(times):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)


async def test_a_drop_into_red_warns_the_lead_once_and_the_plan_shows_on_monday(chat, sessions, app_ctx, clock,
                                                                                deliverer):
    chat.say("confidence rd-o1-kr3 6", actor=ENGINEER)
    chat.say("confidence rd-o1-kr3 5", actor=ENGINEER)  # down 1, still yellow: no warning
    await _sweeps(app_ctx, clock, deliverer)
    assert _warnings_to(sessions, LEAD) == []
    chat.say("confidence rd-o1-kr3 3 the vendor's API slipped a month", actor=ENGINEER)
    chat.say("confidence rd-o1-kr3 1 worse", actor=ENGINEER)  # the same week: no storm
    chat.say("confidence rd-o1-kr3 6", actor=ENGINEER)
    chat.say("confidence rd-o1-kr3 2", actor=ENGINEER)
    await _sweeps(app_ctx, clock, deliverer)
    [warned] = _warnings_to(sessions, LEAD)
    drawn = json.dumps(warned, ensure_ascii=False)
    assert "*rd-o1-kr3* Average delivery time for requests of R&D Efficiency fell from 5 to 3 out of 10" in drawn
    assert "Zhou Qiang says: the vendor's API slipped a month" in drawn and "Response plan" in drawn
    [button] = [b for e in warned["elements"] if e["type"] == "Actions" for b in e["buttons"]]

    refused = card_text(chat.click(button["action_id"], button["value"], actor=ENGINEER))
    assert "Only the leads of R&D Efficiency can do that" in refused
    form = chat.click(button["action_id"], button["value"], actor=LEAD).form
    assert form is not None and form.form_id == "response_plan"
    saved = card_text(chat.submit("response_plan", {"plan": "Pair with the vendor daily"}, form.metadata, actor=LEAD))
    assert "The response plan for rd-o1-kr3 is saved" in saved

    clock.set(NEXT_MONDAY_0900)
    await _sweeps(app_ctx, clock, deliverer, 1)
    posts = [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, "rd-efficiency")
             if "Response plans" in json.dumps(m.card, ensure_ascii=False)]
    assert len(posts) == 1 and "*rd-o1-kr3*: Pair with the vendor daily" in posts[0]
    with sessions() as s:
        assert len(s.scalars(select(EarlyWarning)).all()) == 1


async def test_a_health_metric_turning_red_warns_once_and_imports_warn_nobody(chat, sessions, app_ctx, clock,
                                                                                deliverer):
    chat.say("health On-call load yellow", actor=ENGINEER)
    chat.say("health On-call load red three pages a night", actor=ENGINEER)
    chat.say("health On-call load red still", actor=ENGINEER)
    await _sweeps(app_ctx, clock, deliverer)
    [warned] = _warnings_to(sessions, LEAD)
    drawn = json.dumps(warned, ensure_ascii=False)
    assert "The health metric *On-call load* of R&D Efficiency turned red" in drawn
    assert "three pages a night" in drawn
    assert [r.state for r in runs_of(sessions, "warning")] == ["posted"]
