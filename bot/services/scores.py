"""Closing a cycle: each key result scored by its owner, 0.0 to 1.0, with a note and the method's question.

The method: "failure to achieve all key results, or achieving all key results but having no impact on
business growth is a failure". So a score comes with an answer to "did it move the business?". An
objective's score is the mean of its key results' scores, unless the lead of its team sets it
(`score OBJECTIVE 0.6`), which stays. Scores are given while the cycle is closing (after its last day,
before `okrbot cycle close`); the closing ritual asks each owner in a direct message.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from bot import changes, i18n
from bot import commands as c
from bot.context import Ctx, names, team_leads
from bot.cycles import phase, today_of
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Actions, Button, Card, Reply, Text
from bot.render import render
from bot.services.changes import find_subject
from bot.services.keyresults import refuse_removed
from storage.models import Cycle, KeyResult, Objective, Person, Team


def mean_score(scores: Iterable[float | None]) -> float | None:
    """The mean of the scores given (None before any is): an objective's score unless its lead sets one."""
    given = [s for s in scores if s is not None]
    return round(sum(given) / len(given), 2) if given else None


def objective_mean(session, objective: Objective) -> float | None:
    """The mean of the scored key results of an objective (None before any is scored)."""
    return mean_score(session.scalars(select(KeyResult.score).where(
        KeyResult.objective_id == objective.id, KeyResult.live)))


def leads_of(ctx: Ctx, objective: Objective) -> tuple[bool, str]:
    """Whether the person leads the objective (its team's lead; an individual one's manager), and who does."""
    if objective.owner_team_id is not None:
        team = ctx.session.get(Team, objective.owner_team_id)
        leads = names(team_leads(ctx.session, team))
        who = i18n.gettext("the leads of %(team)s (%(leads)s)") % {"team": team.name, "leads": leads}
        return ctx.is_lead(team), who
    owner = ctx.session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    allowed = owner is not None and ctx.person.id in (owner.id, owner.manager_id)
    return allowed, i18n.gettext("its owner and their manager")


@command(c.Score)
def score(ctx: Ctx, cmd: c.Score) -> Reply:
    objective, kr = find_subject(ctx, cmd.subject, "score")
    code = kr.key if kr is not None else objective.key
    cycle = ctx.session.get(Cycle, objective.cycle_id)
    now_phase = phase(cycle, today_of(ctx.org, ctx.now))
    if now_phase == "closed":
        raise Refusal("score_closed", "score", code=code, cycle=cycle.name)
    if now_phase != "closing":
        raise Refusal("score_too_early", "score", code=code, cycle=cycle.name, end=i18n.weekday_day(cycle.end))
    leads, who = leads_of(ctx, objective)
    if kr is None:
        if not leads:
            raise Refusal("score_not_allowed", "score", code=code, who=who)
        objective.score, objective.score_overridden = cmd.score, True
        text = render("score_objective", code=code, title=objective.title, score=cmd.score,
                      mean=objective_mean(ctx.session, objective))
        return Reply(card=Card(None, (Text(text),), fallback=text))
    if not leads and kr.owner_person_id != ctx.person.id:
        raise Refusal("score_not_allowed", "score", code=code, who=f"its owner or {who}")
    refuse_removed(kr, "score")
    kr.score, kr.score_note, kr.moved_business, kr.scored_at = cmd.score, cmd.note, cmd.moved, ctx.now
    ctx.session.flush()
    if not objective.score_overridden:
        objective.score = objective_mean(ctx.session, objective)
    original = changes.originals(ctx.session, [kr.id]).get(kr.id, {}).get("target")
    text = render("score_done", code=code, score=cmd.score, moved=cmd.moved, note=cmd.note,
                  objective=objective.key, objective_score=objective.score, overridden=objective.score_overridden,
                  original=original, target=changes.text_of(kr.target_value))
    elements: list = [Text(text)]
    if cmd.score < 1:  # unfinished: it may go on in the next cycle, as a draft (bot.services.carry)
        elements.append(Actions((Button(render("carry_button"), "carry", value=kr.key),)))
    return Reply(card=Card(None, tuple(elements), fallback=text))
