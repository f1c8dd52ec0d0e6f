"""The quarter's small remainders (issue #12), on SQLite and PostgreSQL: each a gap found after the quarter landed,
each with the test that failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from storage.db import transaction
from storage.models import Cycle, KeyResult, Objective, Person, Team
from tests.conftest import card_text
from tests.rituals.test_drafts import CEO, form_values, ids
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

