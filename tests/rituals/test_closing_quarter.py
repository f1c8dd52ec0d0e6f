"""Closing the quarter through the clock and the sandbox messenger, on SQLite and PostgreSQL: the kickoff says
why each objective was set; the day after the last day every team gets a retrospective thread whose replies
are kept as lessons; closing the cycle sends the quarter summary to the company channel and every lead, once."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.closing import close
from bot.cycles import CycleProblem
from bot.model import Actions
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Lesson, Objective, OkrChange, Organization, Person, Team, TeamMember
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages
from tests.rituals.test_cycle_rituals import TEAMS, add_q1, posts, shanghai

CEO, LEAD = "ceo@example.com", "director.rd@example.com"


def reply(chat, run, text: str, message_id: str, actor: str = "engineer@example.com", kind: str = "message"):
    return chat.core.handle(chat.interaction(kind, actor, text=text, message_id=message_id, thread_id=run.message_ref,
                                             conversation=run.channel_id))


def lessons(sessions) -> list[tuple[str, str]]:
    with sessions() as s:
        return [(lesson.kind, lesson.text) for lesson in s.scalars(select(Lesson).order_by(Lesson.id))]


async def test_kickoff_says_why_and_the_retrospective_keeps_every_reply(app_ctx, clock, deliverer, sessions, org_id,
                                                                        chat):
    q1 = add_q1(sessions, org_id)
    with transaction(sessions) as s:
        retail = s.scalar(select(Team).where(Team.key == "retail"))
        s.add(Objective(org_id=org_id, cycle_id=q1, key="co-2027", title="Fresh food for every family",
                        level="company", owner_team_id=retail.id, status="active",
                        why="Families spend a third of their income on food"))
    clock.set(shanghai(2027, 1, 1, 10, 0))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    kickoff = json.dumps(posts(sessions, "kickoff")["retail"][0].card, ensure_ascii=False)
    assert "Why: Families spend a third of their income on food" in kickoff, kickoff

    # 2026-Q4 ended on 31 Dec: on 1 Jan at 11:00 each team channel gets its retrospective, once.
    clock.set(shanghai(2027, 1, 1, 11, 0))
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=5)
    retro = runs_of(sessions, "retro")
    assert {r.channel_id for r in retro} == TEAMS and {r.state for r in retro} == {"posted"} and len(retro) == 4
    rd_run = next(r for r in retro if r.channel_id == "rd-efficiency")
    card = json.dumps(posts(sessions, "retro")["rd-efficiency"][0].card, ensure_ascii=False)
    assert "what did we learn?" in card and "*keep:*" in card, card

    reply(chat, rd_run, "the vendor API took twice as long as planned", "m1")
    reply(chat, rd_run, "Stop: weekly status meetings", "m2")
    reply(chat, rd_run, "keep: the Friday wins", "m3")
    reply(chat, rd_run, "keep: the Friday wins", "m3")  # delivered twice: kept once
    reply(chat, rd_run, "start: pairing on reviews", "m4")
    reply(chat, rd_run, "start: pairing on every review", "m4", kind="message_edited")
    reply(chat, rd_run, "", "m1", kind="message_deleted")
    assert lessons(sessions) == [("stop", "weekly status meetings"), ("keep", "the Friday wins"),
                                 ("start", "pairing on every review")]

    # Closing the cycle queues its summary: the company channel and every lead get it from the clock, once.
    with transaction(sessions) as s:
        org = s.get(Organization, org_id)
        close(s, org, "2026-Q4", clock.now())
    with transaction(sessions) as s:
        try:
            close(s, s.get(Organization, org_id), "2026-Q4", clock.now())
            raise AssertionError("closed twice")
        except CycleProblem as problem:
            assert "already closed" in str(problem)
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    summary = runs_of(sessions, "summary")
    assert [(r.channel_id, r.state) for r in summary] == [("retail", "posted")]
    post = json.dumps(posts(sessions, "summary")["retail"][0].card, ensure_ascii=False)
    assert "the quarter in review" in post and "stop: weekly status meetings" in post, post
    with sessions() as s:
        leads = set(s.scalars(select(TeamMember.person_id).where(TeamMember.role == "lead")))
        lead_id = s.scalar(select(Person.id).where(Person.email == LEAD))
    assert set(summary[0].delivered) == {"channel", *(f"dm:{p}" for p in leads)}
    dm = [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, f"dm:{lead_id}")
          if "the quarter in review" in json.dumps(m.card)]
    assert len(dm) == 1 and "How the teams you lead scored" in dm[0] and "R&D Efficiency" in dm[0], dm


def test_a_removed_key_result_is_kept_with_its_reason_and_counts_no_more(chat, sessions, clock, org_id):
    done = card_text(chat.say("change rd-o1-kr4 remove because the vendor dropped the product", actor=LEAD))
    assert "rd-o1-kr4: removed" in done and "the vendor dropped the product" in done, done
    again = card_text(chat.say("change rd-o1-kr4 remove because twice", actor=LEAD))
    assert "was already removed from its objective (the vendor dropped the product)" in again, again
    assert "needs a reason" in card_text(chat.say("change rd-o1-kr3 remove", actor=LEAD))
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr4"))
        assert kr.removed_at is not None and kr.removed_reason == "the vendor dropped the product"
        change = s.scalar(select(OkrChange).where(OkrChange.key_result_id == kr.id))
        assert (change.field, change.reason) == ("removed", "the vendor dropped the product")
    assert "rd-o1-kr4" not in card_text(chat.say("mine", actor="engineer@example.com"))

    why = card_text(chat.say("change rd-o1 why Slow builds cost us a day a week because the CEO asked", actor=LEAD))
    assert "rd-o1: why" in why, why
    with sessions() as s:
        assert s.scalar(select(Objective.why).where(Objective.key == "rd-o1")) == "Slow builds cost us a day a week"
    refused = card_text(chat.say("change rd-o1-kr3 why it matters because x", actor=LEAD))
    assert "why belongs to its objective, rd-o1" in refused, refused


def test_an_unfinished_key_result_is_carried_into_the_next_cycle_once(chat, sessions, clock, org_id):
    early = card_text(chat.say("carry rd-o1-kr3", actor="engineer@example.com"))
    assert "a key result is carried over once its cycle has ended" in early, early
    clock.set(shanghai(2027, 1, 1, 10, 0))
    assert "There is no cycle after 2026-Q4 yet" in card_text(chat.say("carry rd-o1-kr3", actor="engineer@example.com"))
    add_q1(sessions, org_id)
    scored = chat.say("score rd-o1-kr3 0.4 no", actor="engineer@example.com")
    button = next(b for e in scored.card.elements if isinstance(e, Actions) for b in e.buttons)
    assert (button.action_id, button.value) == ("carry", "rd-o1-kr3")
    assert "Only its owner or" in card_text(chat.click("carry", "rd-o1-kr3", actor="ceo@example.com"))
    done = card_text(chat.click("carry", "rd-o1-kr3", actor="engineer@example.com"))
    assert "goes on in 2027-Q1 as the draft key result *rd-o1-kr3-2027q1*" in done, done
    assert "already carried over, as *rd-o1-kr3-2027q1*" in card_text(chat.say("carry rd-o1-kr3",
                                                                                 actor="engineer@example.com"))
    with sessions() as s:
        carried = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3-2027q1"))
        draft = s.get(Objective, carried.objective_id)
        old = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        assert (draft.key, draft.status, carried.carried_from_id, carried.start_value) == (
            "rd-o1-2027q1", "draft", old.id, old.current_value if old.current_value is not None else old.start_value)
    chat.say("score rd-o1-kr1 1.0 yes", actor=LEAD)
    assert "it is done" in card_text(chat.say("carry rd-o1-kr1", actor=LEAD))


def test_the_summary_reaches_each_lead_in_their_own_language(chat, sessions, clock, org_id):
    """The leads' summary DMs are built once per language and teams led, and each lead reads theirs in their
    own language (a lead who chose zh-CN gets Chinese; the others the organization's English)."""
    from bot.cycles import period_of
    from bot.rituals import quarterly
    from bot.rituals.catalog import Occasion

    chat.say("language zh-CN", actor=LEAD)
    clock.set(shanghai(2027, 1, 2, 10, 0))  # the day after 2026-Q4's last day
    with transaction(sessions) as s:
        org = s.get(Organization, org_id)
        cycle = close(s, org, "2026-Q4", clock.now())
    with sessions() as s:
        org = s.get(Organization, org_id)
        company = s.scalar(select(Team).where(Team.key == "retail"))
        messages = quarterly.summary_messages(Occasion(s, org, company, period_of(cycle), clock.now(), None,
                                                       "Asia/Shanghai"))
        people = dict(s.execute(select(Person.email, Person.id)).all())
    by_person = {m.person_id: json.dumps(m.card, default=str, ensure_ascii=False) for m in messages}
    assert "你领导的团队得分如下" in by_person[people[LEAD]], by_person[people[LEAD]]
    assert "R&D Efficiency" in by_person[people[LEAD]]
    assert "How the teams you lead scored" in by_person[people[CEO]] and "JD Retail" in by_person[people[CEO]]
