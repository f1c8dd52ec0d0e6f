"""Drafting and approving a cycle's OKRs (bot.services.drafts), on SQLite and PostgreSQL: top down (a department
drafts once the company's set is approved), the lint's warnings by the fields, a submitted set sent to the
lead above by the clock with Approve / Return, a return with a note and a re-submit, nobody approving their own
set, a double click stored once, and approved objectives active once the cycle starts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Objective, OkrSet, Person, Team
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages
from tests.rituals.test_proposals import plan_q1

CEO, VP, LEAD, ENGINEER = "ceo@example.com", "vp.ecology@example.com", "director.rd@example.com", "engineer@example.com"


def ids(sessions, model, column, *values) -> list[int]:
    with sessions() as s:
        return [s.scalar(select(model.id).where(column == v)) for v in values]


def drafted(sessions, team_key: str) -> list[tuple[str, str, int]]:
    with sessions() as s:
        team_id = s.scalar(select(Team.id).where(Team.key == team_key))
        return [(o.title, o.status, s.scalar(select(func.count()).select_from(KeyResult).where(
            KeyResult.objective_id == o.id))) for o in s.scalars(select(Objective).where(
                Objective.owner_team_id == team_id, Objective.status != "active"))]


def state(sessions, team_key: str) -> tuple[str, int, str | None] | None:
    with sessions() as s:
        row = s.scalar(select(OkrSet).join(Team, Team.id == OkrSet.team_id).where(Team.key == team_key))
        return (row.state, row.round, row.note) if row else None


def form_values(owner: int, title: str = "Win the lower-tier cities", **extra) -> dict:
    values = {"title": title, "type": "business", "kr1": "Active merchants in lower-tier cities",
              "kr1_measure": "number",
              "kr1_start": "1200", "kr1_target": "2000", "kr1_unit": "merchants", "kr1_owner": str(owner),
              "kr2": "Same-day delivery in 40 cities", "kr2_measure": "milestone", "kr2_owner": str(owner),
              "kr3": "Repeat buyers", "kr3_measure": "number", "kr3_start": "20", "kr3_target": "35", "kr3_unit": "%",
              "kr3_owner": str(owner)}
    values.update(extra)
    return values


def buttons_in(card: dict) -> list[tuple[str, str]]:
    return [(b["action_id"], b["value"]) for e in card.get("elements", []) if "buttons" in e for b in e["buttons"]]


async def test_top_down_drafting_return_resubmit_and_approval(chat, sessions, app_ctx, clock, deliverer, org_id):
    plan_q1(sessions, org_id)
    ceo, vp, lead = ids(sessions, Person, Person.email, CEO, VP, LEAD)
    retail, ecology = ids(sessions, Team, Team.key, "retail", "ecology")

    refused = card_text(chat.say("draft rd-efficiency", actor=ENGINEER))
    assert "Only the leads of R&D Efficiency can do that (Zhao Lei)" in refused, refused
    waits = card_text(chat.say("draft rd-efficiency", actor=LEAD))
    assert "once Platform Ecology Department's are approved" in waits, waits
    assert "drafts its OKRs for 2027-Q1 once" in card_text(chat.say("draft ecology", actor=VP))

    # The company drafts first; the lint's warnings come back by their fields and nothing is kept.
    form = chat.say("draft retail", actor=CEO).form
    assert form is not None and form.metadata == str(retail)
    assert {"title", "type", "kr1", "kr1_target", "kr1_owner", "kr4_unit"} <= {f.name for f in form.fields}
    bad = chat.submit("draft", form_values(ceo, "Grow revenue 20%", kr1_target="lots", kr3_target=""),
                      str(retail), actor=CEO)
    assert set(bad.errors) == {"kr1_target"}, bad.errors
    bad = chat.submit("draft", form_values(ceo, "Grow revenue 20%", kr3_target=""), str(retail), actor=CEO)
    assert set(bad.errors) == {"title", "kr3_target"}, bad.errors
    assert "reads as a number to hit" in bad.errors["title"] and "quantifiable" in bad.errors["kr3_target"]
    assert drafted(sessions, "retail") == []
    saved = chat.submit("draft", form_values(ceo), str(retail), actor=CEO)
    assert "Drafted *retail-2027-q1-o1* Win the lower-tier cities, with 3 key results." in card_text(saved)
    assert drafted(sessions, "retail") == [("Win the lower-tier cities", "draft", 3)]
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "retail-2027-q1-o1-kr2"))
        assert (kr.milestone, kr.target_value, kr.confidence, kr.owner_person_id) == (
            "Same-day delivery in 40 cities", None, 5, ceo)
    # The company has one lead: submitting its set approves it (its management decided it together).
    done = card_text(chat.say("submit retail", actor=CEO))
    assert "JD Retail's set is approved" in done, done
    assert state(sessions, "retail") == ("approved", 1, None)
    assert "approved already" in card_text(chat.say("draft retail", actor=CEO))

    # The department drafts, aligned to a company key result, and submits to the CEO.
    form = chat.say("draft ecology", actor=VP).form
    aligns = next(f for f in form.fields if f.name == "aligns")
    assert [o.value for o in aligns.options][:2] == ["none", "retail-2027-q1-o1-kr1"]
    unaligned = chat.submit("draft", form_values(vp, "Open the platform to merchants"), str(ecology), actor=VP)
    assert set(unaligned.errors) == {"aligns"}, unaligned.errors
    chat.submit("draft", form_values(vp, "Open the platform to merchants", aligns="retail-2027-q1-o1-kr1"),
                str(ecology), actor=VP)
    assert "submitted; Chen Hao will approve it" in card_text(chat.say("submit ecology", actor=VP))
    assert "waits for Chen Hao" in card_text(chat.say("draft ecology", actor=VP))
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    asked = [m.card for m in sandbox_messages(sessions, f"dm:{ceo}") if "submitted the OKRs" in json.dumps(m.card)]
    assert len(asked) == 1 and "Open the platform to merchants" in json.dumps(asked[0])
    approve, give_back = buttons_in(asked[0])
    assert approve[0] == "set_approve" and give_back[0] == "set_return"

    # Nobody else decides, and nobody approves their own set.
    assert "cannot approve or return Platform Ecology Department's own set" in card_text(chat.click(*approve, actor=VP))
    refused = card_text(chat.click(*approve, actor=LEAD))
    assert "Only Chen Hao can approve or return Platform Ecology Department's set" in refused, refused
    # Returned with a note: the note is needed; the drafting lead hears it.
    note_form = chat.click(*give_back, actor=CEO).form
    assert note_form is not None
    assert "note" in chat.submit("draft_return", {"note": " "}, note_form.metadata, actor=CEO).errors
    chat.submit("draft_return", {"note": "Align it to the merchants' growth"}, note_form.metadata, actor=CEO)
    assert state(sessions, "ecology") == ("returned", 1, "Align it to the merchants' growth")
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    told = [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, f"dm:{vp}")]
    assert any("Align it to the merchants' growth" in card and "returned" in card for card in told), told
    assert "no longer waits" in card_text(chat.click(*approve, actor=CEO))  # the returned round is over

    # Re-submitted: a new message; approving it twice stores once.
    chat.say("submit ecology", actor=VP)
    clock.advance(minutes=1)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    asked = [m.card for m in sandbox_messages(sessions, f"dm:{ceo}") if "submitted the OKRs" in json.dumps(m.card)]
    assert len(asked) == 2
    approve = buttons_in(asked[-1])[0]
    assert "Platform Ecology Department's OKRs are approved" in card_text(chat.click(*approve, actor=CEO))
    assert "approved already" in card_text(chat.click(*approve, actor=CEO))
    assert state(sessions, "ecology") == ("approved", 2, None)
    assert [s for _t, s, _n in drafted(sessions, "ecology")] == ["approved"]
    assert len(runs_of(sessions, "verdict")) == 2 and len(runs_of(sessions, "approval")) == 2

    # The team below can draft now.
    assert chat.say("draft rd-efficiency", actor=LEAD).form is not None
    assert lead not in (ceo, vp)

    # The cycle starts: the kickoff announces the approved objectives, which are active from now on.
    clock.set(datetime(2027, 1, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai on its first day
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    kickoff = [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, "retail")
               if "2027-Q1 starts today" in json.dumps(m.card)]
    assert len(kickoff) == 1 and "Win the lower-tier cities" in kickoff[0], kickoff
    with sessions() as s:
        statuses = dict(s.execute(select(Objective.title, Objective.status).where(
            Objective.key.in_(("retail-2027-q1-o1", "ecology-2027-q1-o1")))).all())
    assert statuses == {"Win the lower-tier cities": "active", "Open the platform to merchants": "active"}


async def test_a_warning_the_form_cannot_answer_is_advice_and_numbers_typed_in_a_title_count(chat, sessions,
                                                                                              org_id):
    """A department with nothing above it has no "supports" field: its objective aligning to nothing is advice,
    not a refusal nobody could answer. A key result written "from 20 to 35 %" is measured by those numbers."""
    plan_q1(sessions, org_id)
    with transaction(sessions) as s:
        s.scalar(select(Team).where(Team.key == "ecology")).parent_id = None
    vp, ecology = ids(sessions, Person, Person.email, VP)[0], ids(sessions, Team, Team.key, "ecology")[0]
    form = chat.say("draft ecology", actor=VP).form
    assert "aligns" not in {f.name for f in form.fields}
    values = form_values(vp, kr3="Repeat buyers from 20 to 35 %", kr3_start="", kr3_target="", kr3_unit="")
    saved = chat.submit("draft", values, str(ecology), actor=VP)
    assert saved.errors is None or not saved.errors, saved.errors
    assert "aligns to nothing above it" in card_text(saved)
    with sessions() as s:
        kr3 = s.scalar(select(KeyResult).where(KeyResult.title == "Repeat buyers from 20 to 35 %"))
        assert (kr3.start_value, kr3.target_value, kr3.unit) == (20, 35, "%")
