"""`/okr change KR target 40 because …`: a running cycle's OKR changed in the open (bot.changes).

Who may: the leads of the team that owns the objective, and the key result's owner; for an individual
objective, its owner and their manager. A closed cycle's OKRs stay as they were scored.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot import changes
from bot import commands as c
from bot.commands import parse_number
from bot.context import Ctx, names, team_leads
from bot.cycles import phase, today_of
from bot.errors import Refusal
from bot.handlers import command
from bot.links import absolute, key_result_path
from bot.model import Card, Context, Reply, Text
from bot.render import render
from bot.services.keyresults import find_key_result
from storage.models import Cycle, KeyResult, Objective, Person, Team

COLUMNS = {"title": "title", "target": "target_value", "start": "start_value", "unit": "unit", "why": "why"}
OBJECTIVE_FIELDS = ("title", "why")


def find_subject(ctx: Ctx, ref: str, usage: str) -> tuple[Objective, KeyResult | None]:
    """An objective by its key, else a key result as `find_key_result` finds one (with None for the key result
    when it is the objective): what a change or a score is about."""
    objective = ctx.session.scalar(select(Objective).where(
        Objective.org_id == ctx.org.id, func.lower(Objective.key) == ref.lower()).limit(1))
    if objective is not None:
        return objective, None
    kr, objective = find_key_result(ctx, ref, usage)
    return objective, kr


def _may_change(ctx: Ctx, objective: Objective, kr: KeyResult | None, code: str) -> None:
    if kr is not None and kr.owner_person_id == ctx.person.id:
        return
    if objective.owner_team_id is not None:
        team = ctx.session.get(Team, objective.owner_team_id)
        if ctx.is_lead(team):
            return
        leads = names(team_leads(ctx.session, team))
        raise Refusal("change_not_allowed", "change", code=code, team=team.name, leads=leads)
    owner = ctx.session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    if owner is not None and ctx.person.id in (owner.id, owner.manager_id):
        return
    raise Refusal("change_not_allowed", "change", code=code, team=owner.name if owner else "its owner",
                  leads="its owner and their manager")


@command(c.Change)
def change(ctx: Ctx, cmd: c.Change) -> Reply:
    objective, kr = find_subject(ctx, cmd.subject, "change")
    code = kr.key if kr is not None else objective.key
    cycle = ctx.session.get(Cycle, objective.cycle_id)
    if phase(cycle, today_of(ctx.org, ctx.now)) == "closed":
        raise Refusal("change_closed", "change", code=code, cycle=cycle.name)
    _may_change(ctx, objective, kr, code)
    value: float | str = parse_number(cmd.value) if cmd.field in changes.NUMBERS else cmd.value  # type: ignore[assignment]
    if kr is None:
        if cmd.field not in OBJECTIVE_FIELDS:
            raise Refusal("bad_change_field", "change", given=cmd.field, fields="title, why (an objective's fields)")
        old = getattr(objective, COLUMNS[cmd.field])
        found = [changes.Change(objective.key, cmd.field, old, cmd.value, cycle.id, objective.id)]
        if old == cmd.value:
            found = []
    elif cmd.field == "remove":
        return _remove(ctx, objective, kr, cycle, cmd.reason)
    elif cmd.field == "why":
        raise Refusal("bad_change_field", "change", given=cmd.field,
                      fields=f"title, target, start, unit or remove (why belongs to its objective, {objective.key})")
    else:
        if cmd.field in changes.NUMBERS and kr.target_value is None and kr.milestone:
            raise Refusal("change_milestone", "change", code=code)
        found = changes.key_result_changes(kr, objective, **{cmd.field: value})
    if not found:
        raise Refusal("change_same", "change", code=code, what=cmd.field, value=cmd.value)
    setattr(kr if kr is not None else objective, COLUMNS[cmd.field], value)
    changes.record(ctx.session, ctx.org, found, cmd.reason, ctx.person.id, ctx.platform, ctx.now)
    team = ctx.session.get(Team, objective.owner_team_id) if objective.owner_team_id else None
    original = changes.originals(ctx.session, [kr.id]).get(kr.id, {}).get("target") if kr is not None else None
    text = render("change_done", change=str(found[0]), reason=cmd.reason, team=team.name if team else None,
                  original=original if cmd.field == "target" else None)
    elements: list = [Text(text)]
    if kr is not None:
        elements.append(Context(render("change_history_link", url=absolute(ctx.dashboard_url,
                                                                            key_result_path(kr.key, ctx.org.id)))))
    return Reply(card=Card(None, tuple(elements), fallback=text))


def _remove(ctx: Ctx, objective: Objective, kr: KeyResult, cycle: Cycle, reason: str) -> Reply:
    """Take a key result out of its objective's set: kept, with its reason and history, never deleted; it no
    longer counts in the lists, the rituals or the objective's score."""
    if not kr.live:
        raise Refusal("change_removed", "change", code=kr.key, reason=kr.removed_reason or "")
    found = [changes.Change(kr.key, "removed", kr.title, None, cycle.id, objective.id, kr.id)]
    kr.removed_at, kr.removed_reason = ctx.now, reason
    changes.record(ctx.session, ctx.org, found, reason, ctx.person.id, ctx.platform, ctx.now)
    team = ctx.session.get(Team, objective.owner_team_id) if objective.owner_team_id else None
    text = render("change_done", change=str(found[0]), reason=reason, team=team.name if team else None, original=None)
    link = render("change_history_link", url=absolute(ctx.dashboard_url, key_result_path(kr.key, ctx.org.id)))
    return Reply(card=Card(None, (Text(text), Context(link)), fallback=text))
