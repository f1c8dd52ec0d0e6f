"""`/okr away`: a person's holidays, and who checks in for them meanwhile (the rule of who is away: bot.away).

`away FROM..TO [delegate @person]` sets a period (one that overlaps periods not yet over replaces them: a
changed plan is typed again, not undone first); `away` lists one's periods from today on; `away off` ends
them (today's is kept up to yesterday, so what was true stays true). Each is one transaction; typing the same
period twice stores it once.

A change that touches today redraws this week's Monday four-squares that name the person (bot.rituals.refresh):
those of the teams owning their key results, and of every team under those, whose boards show them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bot import commands as c
from bot.away import local_day, person_zone
from bot.context import Ctx, current_cycle, team_zones
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import render
from bot.rituals.refresh import mark_stale_teams
from bot.services.notes import addressee
from bot.services.status_report import subtree
from bot.weeks import local_week
from storage.models import AwayPeriod, KeyResult, Objective, Person, Team


@command(c.Away)
def away(ctx: Ctx, cmd: c.Away) -> Reply:
    today = local_day(ctx.now, person_zone(ctx.session, ctx.org, ctx.person))
    if cmd.off:
        return _off(ctx, today)
    if cmd.start is None or cmd.end is None:
        return _list(ctx, today)
    if cmd.end < today:
        raise Refusal("away_past", "away", end=cmd.end.isoformat(), today=today.isoformat())
    delegate = _delegate(ctx, cmd.delegate) if cmd.delegate else None
    delegate_id = delegate.id if delegate else None
    overlapping = list(ctx.session.scalars(select(AwayPeriod).where(
        AwayPeriod.person_id == ctx.person.id, AwayPeriod.end >= cmd.start, AwayPeriod.start <= cmd.end)))
    same = [p for p in overlapping if (p.start, p.end, p.delegate_person_id) == (cmd.start, cmd.end, delegate_id)]
    if not same:  # the same period typed again (a retry, a double click) is stored once
        for period in overlapping:
            ctx.session.delete(period)
        ctx.session.add(AwayPeriod(org_id=ctx.org.id, person_id=ctx.person.id, start=cmd.start, end=cmd.end,
                                   delegate_person_id=delegate_id, created_at=ctx.now))
        if cmd.start <= today or any(p.start <= today for p in overlapping):
            _redraw_posts(ctx)
    text = render("away_set", start=cmd.start.isoformat(), end=cmd.end.isoformat(),
                  delegate=delegate.name if delegate else None, replaced=len(overlapping) if not same else 0,
                  prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _delegate(ctx: Ctx, given: str) -> Person:
    """Someone of the organization other than oneself: a team, oneself or a stranger is refused, kindly."""
    try:
        who = addressee(ctx, given, "away")
    except Refusal as refusal:
        if refusal.error == "unknown_addressee":
            raise Refusal("away_delegate_unknown", "away", given=refusal.details["given"]) from None
        raise
    if isinstance(who, Team):
        raise Refusal("away_delegate_team", "away", team=who.name)
    if who.id == ctx.person.id:
        raise Refusal("away_delegate_self", "away")
    return who


def _list(ctx: Ctx, today) -> Reply:
    rows = ctx.session.execute(
        select(AwayPeriod, Person.name).outerjoin(Person, Person.id == AwayPeriod.delegate_person_id)
        .where(AwayPeriod.person_id == ctx.person.id, AwayPeriod.end >= today)
        .order_by(AwayPeriod.start, AwayPeriod.id)).all()
    periods = [{"start": p.start.isoformat(), "end": p.end.isoformat(), "delegate": name, "now": p.start <= today}
               for p, name in rows]
    text = render("away_list", periods=periods, prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _off(ctx: Ctx, today) -> Reply:
    """Back early: periods still to come are removed; one running today ends yesterday (or goes, if it began
    today), so the days already away stay away."""
    running = list(ctx.session.scalars(select(AwayPeriod).where(
        AwayPeriod.person_id == ctx.person.id, AwayPeriod.end >= today)))
    for period in running:
        if period.start < today:
            period.end = today - timedelta(days=1)
    ctx.session.execute(delete(AwayPeriod).where(
        AwayPeriod.person_id == ctx.person.id, AwayPeriod.start >= today))
    if any(p.start <= today for p in running):
        _redraw_posts(ctx)
    text = render("away_off", count=len(running))
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _redraw_posts(ctx: Ctx) -> None:
    """Mark for a redraw this week's posts that say whether the person is away: the four-squares of the teams
    owning their key results in the current cycle, and of the teams under those (a board shows its ancestors')."""
    cycle = current_cycle(ctx.session, ctx.org, ctx.now)
    if cycle is None:
        return
    roots = list(ctx.session.scalars(
        select(Team).join(Objective, Objective.owner_team_id == Team.id)
        .join(KeyResult, KeyResult.objective_id == Objective.id)
        .where(Objective.org_id == ctx.org.id, Objective.cycle_id == cycle.id, Objective.status == "active",
               KeyResult.owner_person_id == ctx.person.id, KeyResult.live).distinct()))
    if not roots:
        return
    zones = team_zones(ctx.session, {ctx.org.id})
    weeks = {team.id: local_week(ctx.now, zones[team.id]) for team, _depth in subtree(ctx.session, ctx.org, roots)}
    mark_stale_teams(ctx.session, weeks, "away", ctx.now)
