"""`/okr carry KR`: an unfinished key result of an ended cycle carried into the next cycle, as a draft.

The method: a set OKR "will either succeed or fail. If it fails, you will learn from experience and do better
next time." What was not finished is not silently rolled over: its owner (or a lead of its team) chooses to carry
it, and it arrives in the next cycle as a draft under a draft copy of its objective, for the next planning to
keep, change or drop. The carried key result starts where the old one ended (its current value) and remembers
where it came from (`carried_from_id`); a key result is carried once.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot import commands as c
from bot import i18n
from bot.context import Ctx
from bot.cycles import cycles_of, phase, today_of
from bot.errors import Refusal
from bot.handlers import action, command
from bot.model import Card, Interaction, Reply, Text
from bot.okr_keys import free_key
from bot.render import render
from bot.services.changes import find_subject
from bot.services.scores import leads_of
from storage.models import Cycle, KeyResult, Objective

DRAFT = "draft"


def _suffix(cycle: Cycle) -> str:
    return re.sub(r"[^a-z0-9]+", "", cycle.name.lower()) or str(cycle.id)


def carry_key_result(ctx: Ctx, ref: str) -> Reply:
    objective, kr = find_subject(ctx, ref, "carry")
    if kr is None:
        raise Refusal("carry_objective", "carry", code=objective.key)
    cycle = ctx.session.get(Cycle, objective.cycle_id)
    if phase(cycle, today_of(ctx.org, ctx.now)) not in ("closing", "closed"):
        raise Refusal("carry_too_early", "carry", code=kr.key, cycle=cycle.name, end=i18n.weekday_day(cycle.end))
    leads, who = leads_of(ctx, objective)
    if not leads and kr.owner_person_id != ctx.person.id:
        raise Refusal("carry_not_allowed", "carry", code=kr.key, who=f"its owner or {who}")
    if kr.score is not None and kr.score >= 1:
        raise Refusal("carry_finished", "carry", code=kr.key)
    done = ctx.session.scalar(select(KeyResult.key).where(KeyResult.carried_from_id == kr.id).limit(1))
    if done is not None:
        raise Refusal("carry_again", "carry", code=kr.key, carried=done)
    following = [other for other in cycles_of(ctx.session, ctx.org.id) if other.start > cycle.end]
    if not following:
        raise Refusal("carry_no_cycle", "carry", code=kr.key, cycle=cycle.name)
    target = following[0]
    draft_key = f"{objective.key}-{_suffix(target)}"
    draft = ctx.session.scalar(select(Objective).where(Objective.org_id == ctx.org.id, Objective.key == draft_key,
                                                       Objective.cycle_id == target.id))
    if draft is None:
        draft = Objective(org_id=ctx.org.id, cycle_id=target.id, key=free_key(ctx.session, ctx.org.id, draft_key),
                          title=objective.title, level=objective.level, type=objective.type, source=objective.source,
                          owner_team_id=objective.owner_team_id, owner_person_id=objective.owner_person_id,
                          status=DRAFT, why=objective.why, position=objective.position)
        ctx.session.add(draft)
        ctx.session.flush()
    start = kr.current_value if kr.current_value is not None else kr.start_value
    carried = KeyResult(org_id=ctx.org.id, objective_id=draft.id, key=free_key(ctx.session, ctx.org.id,
                                                                                 f"{kr.key}-{_suffix(target)}"),
                        title=kr.title, owner_person_id=kr.owner_person_id, start_value=start,
                        target_value=kr.target_value, current_value=start, unit=kr.unit, milestone=kr.milestone,
                        confidence=5, position=kr.position, updated_at=ctx.now, carried_from_id=kr.id)
    ctx.session.add(carried)
    ctx.session.flush()
    text = render("carry_done", code=kr.key, carried=carried.key, objective=draft.key, cycle=target.name)
    return Reply(card=Card(None, (Text(text),), fallback=text))


@command(c.Carry)
def carry(ctx: Ctx, cmd: c.Carry) -> Reply:
    return carry_key_result(ctx, cmd.subject)


@action("carry")
def carry_button(ctx: Ctx, interaction: Interaction) -> Reply:
    """The "Carry into the next cycle" button of a score's reply: the key result's code is its value."""
    return carry_key_result(ctx, interaction.value)
