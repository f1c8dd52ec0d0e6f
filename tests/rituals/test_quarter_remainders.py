"""The quarter's small remainders (issue #12), on SQLite and PostgreSQL: each a gap found after the quarter landed,
each with the test that failed before its fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import Cycle, KeyResult, Objective, OkrSet, Person, Team
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages
from tests.rituals.test_drafts import CEO, VP, form_values, ids
from tests.rituals.test_proposals import plan_q1

LEAD = "director.rd@example.com"  # leads rd-efficiency; owns rd-o1-kr1, rd-o1-kr2 and ecology-o7-kr1
LONG_KEY = "retail-" + "x" * 57  # a team key of the full 64 characters


def test_draft_codes_fit_their_column_for_a_long_team_key(chat, sessions, org_id):
    """One rule for a new code (bot.okr_keys): a second draft of a team with a 64-character key numbers its code
    and still fits; set-up's old copy of the rule made a 66-character key result code, refused by PostgreSQL."""
    plan_q1(sessions, org_id)
    with transaction(sessions) as s:
        s.execute(update(Team).where(Team.key == "retail").values(key=LONG_KEY))
    [ceo], [retail] = ids(sessions, Person, Person.email, CEO), ids(sessions, Team, Team.key, LONG_KEY)
    for title in ("Win the lower-tier cities", "Keep the merchants we have"):
        saved = chat.submit("draft", form_values(ceo, title), str(retail), actor=CEO)
        assert "Drafted" in card_text(saved), (saved.errors, card_text(saved))
    with sessions() as s:
        codes = list(s.scalars(select(Objective.key))) + list(s.scalars(select(KeyResult.key)))
        assert s.scalar(select(func.count()).select_from(Objective).where(Objective.status == "draft")) == 2
    assert max(len(code) for code in codes) <= 64 and len(codes) == len(set(codes))


def test_score_them_outside_the_closing_window_speaks_of_the_cycle(chat, sessions, clock, org_id):
    """The closing DM's "Score them" button names a cycle, not a key result: its refusal says so, rather than
    "*2026-Q4* belongs to 2026-Q4" (the cycle put where a key result's code goes)."""
    with sessions() as s:
        q4 = s.scalar(select(Cycle).where(Cycle.name == "2026-Q4"))
    early = card_text(chat.click("score_open", str(q4.id), actor=LEAD))
    assert "2026-Q4 runs until Thu 31 Dec 2026: its key results are scored once it has ended" in early, early
    assert "*2026-Q4*" not in early
    with transaction(sessions) as s:
        s.get(Cycle, q4.id).closed_at = clock.now()
    clock.set(datetime(2027, 1, 2, 2, 0, tzinfo=UTC))
    closed = card_text(chat.click("score_open", str(q4.id), actor=LEAD))
    assert "2026-Q4 is closed, and its key results' scores stay as they were given" in closed, closed
    assert "*2026-Q4*" not in closed


def statuses(sessions) -> dict[str, str]:
    """The drafted objectives of 2027-Q1 and their status."""
    with sessions() as s:
        return dict(s.execute(select(Objective.title, Objective.status).where(Objective.key.like("%2027-q1%"))).all())


async def test_approved_objectives_become_active_at_the_kickoff_not_at_approval(chat, sessions, app_ctx, clock,
                                                                                 deliverer, org_id):
    """Step 4 then step 7: an approved set waits for its cycle; the kickoff makes it active. A set approved after
    the cycle started (its kickoff already posted) is active at once, not left "approved" for good."""
    plan_q1(sessions, org_id)
    [ceo, vp] = ids(sessions, Person, Person.email, CEO, VP)
    [retail, ecology] = ids(sessions, Team, Team.key, "retail", "ecology")
    chat.submit("draft", form_values(ceo), str(retail), actor=CEO)
    assert "approved" in card_text(chat.say("submit retail", actor=CEO))
    assert statuses(sessions) == {"Win the lower-tier cities": "approved"}
    chat.submit("draft", form_values(vp, "Open the platform to merchants", aligns="retail-2027-q1-o1-kr1"),
                str(ecology), actor=VP)
    chat.say("submit ecology", actor=VP)
    clock.advance(days=30)  # still planning (the cycle starts on 1 Jan): approved is not active yet
    assert statuses(sessions)["Win the lower-tier cities"] == "approved"
    assert "Win the lower-tier cities" not in card_text(chat.say("mine", actor=CEO))

    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai on the first day: the kickoff
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert [r.state for r in runs_of(sessions, "kickoff")] == ["posted"]
    assert statuses(sessions) == {"Win the lower-tier cities": "active", "Open the platform to merchants": "draft"}

    clock.advance(days=1)  # the CEO approves the department's set after the kickoff
    with sessions() as s:
        okr_set = s.scalar(select(OkrSet).where(OkrSet.team_id == ecology))
    approved = card_text(chat.click("set_approve", f"{okr_set.id}:{okr_set.round}", actor=CEO))
    assert "active at once: 2027-Q1 started on Fri 01 Jan 2027" in approved, approved
    assert statuses(sessions)["Open the platform to merchants"] == "active"
    await sweep(app_ctx, clock.now(), deliverer=deliverer)  # the drafting lead hears it the same way
    told = [json.dumps(m.card) for m in sandbox_messages(sessions, f"dm:{vp}") if "approved" in json.dumps(m.card)]
    assert len(told) == 1 and "They are active at once" in told[0], told

