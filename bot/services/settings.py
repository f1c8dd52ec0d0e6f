"""Leads set their team's ritual times and holidays: `schedule monday 09:30`, `schedule friday off`,
`skip 2026-W52`. Times are wall-clock times in the team's own zone, and the reply says so."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import i18n
from bot.context import Ctx, names, team_timezone
from bot.cycles import cycles_of
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import render
from bot.rituals import catalog
from bot.rituals.schedule import describe, upcoming
from bot.weeks import monday_of
from storage.models import RitualSetting, SkippedWeek, Team


def every(weekday: int) -> str:
    """"Mondays": the day a weekly ritual comes on, in the language spoken."""
    return (i18n.gettext("Mondays"), i18n.gettext("Tuesdays"), i18n.gettext("Wednesdays"), i18n.gettext("Thursdays"),
            i18n.gettext("Fridays"), i18n.gettext("Saturdays"), i18n.gettext("Sundays"))[weekday]


def _lead_team(ctx: Ctx, usage: str) -> Team:
    team = ctx.team()
    ctx.require_lead(team, usage)
    return team


def _reply(text: str) -> Reply:
    return Reply(card=Card(None, (Text(text),), fallback=text), visibility="channel")


def ritual_setting(session: Session, team: Team, ritual: catalog.Ritual) -> RitualSetting:
    """The team's setting of a ritual; a team that never had one gets the catalog's day and time, turned off, so
    whoever turns it on (a lead's `schedule`, a first `subscribe`) starts from the defaults README lists."""
    setting = session.get(RitualSetting, (team.id, ritual.name))
    if setting is None:
        setting = RitualSetting(team_id=team.id, ritual=ritual.name, org_id=team.org_id, weekday=ritual.weekday,
                                time=ritual.time, enabled=False)
        session.add(setting)
    return setting


@command(c.Schedule)
def schedule(ctx: Ctx, cmd: c.Schedule) -> Reply:
    team = _lead_team(ctx, "schedule")
    ritual = catalog.CATALOG[cmd.ritual]
    if not ritual.runs_for(team.level):
        raise Refusal("company_ritual", "schedule", title=ritual.spoken_title, team=team.name, level=team.level)
    if ritual.per_cycle and cmd.weekday is not None:
        raise Refusal("cycle_ritual_day", "schedule", title=ritual.spoken_title, ritual=ritual.name,
                      day=render("ritual_cadence", cadence=ritual.cadence))
    setting = ritual_setting(ctx.session, team, ritual)
    if cmd.weekday is not None:
        setting.weekday = cmd.weekday
    if cmd.time is not None:
        setting.time = cmd.time
    setting.enabled = cmd.enabled
    ctx.session.flush()
    zone = team_timezone(ctx.session, team, ctx.org)
    text = render("schedule_set", name=ritual.spoken_title, team=team.name, enabled=cmd.enabled,
                  weekday=_day(ritual, setting.weekday), upcoming=_upcoming(ctx, ritual, setting, zone),
                  time=setting.time, zone=zone, prefix=ctx.prefix, ritual=cmd.ritual)
    return _reply(text)


def _day(ritual: catalog.Ritual, weekday: int) -> str:
    """"Mondays", or for a once-per-cycle ritual the day of the cycle it comes on."""
    return render("ritual_cadence", cadence=ritual.cadence) if ritual.per_cycle else every(weekday)


def _upcoming(ctx: Ctx, ritual: catalog.Ritual, setting: RitualSetting, zone: str) -> str | None:
    """When it comes next, read; None when it is off, or no cycle is planned that far."""
    if not setting.enabled:
        return None
    cycles = cycles_of(ctx.session, ctx.org.id) if ritual.per_cycle else ()
    due = upcoming(ritual.name, setting.weekday, setting.time, zone, ctx.now, cycles)
    return describe(due) if due is not None else None


@command(c.ScheduleShow)
def show_schedule(ctx: Ctx, _cmd: c.ScheduleShow) -> Reply:
    """Anyone in a team may see when its rituals happen; only its leads change them."""
    team = ctx.team()
    zone = team_timezone(ctx.session, team, ctx.org)
    settings = {s.ritual: s for s in ctx.session.scalars(select(RitualSetting).where(RitualSetting.team_id == team.id))}
    rituals = []
    for ritual in catalog.scheduled():
        if not ritual.runs_for(team.level):
            continue
        setting = settings.get(ritual.name)
        on = setting is not None and setting.enabled
        rituals.append({
            "name": ritual.spoken_title, "ritual": ritual.name, "enabled": on,
            "weekday": _day(ritual, setting.weekday) if setting else None, "time": setting.time if setting else None,
            "upcoming": _upcoming(ctx, ritual, setting, zone) if on else None,
        })
    skipped = ctx.session.scalars(select(SkippedWeek.week).where(
        SkippedWeek.team_id == team.id, SkippedWeek.week >= ctx.week(team)).order_by(SkippedWeek.week)).all()
    text = render("schedule_show", team=team.name, zone=zone, rituals=rituals, skipped=", ".join(skipped),
                  lead=ctx.is_lead(team), leads=names(ctx.leads_of(team)),
                  prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))


@command(c.Skip)
def skip(ctx: Ctx, cmd: c.Skip) -> Reply:
    team = _lead_team(ctx, "skip")
    zone = team_timezone(ctx.session, team, ctx.org)
    current = ctx.week(team)
    if cmd.week < current:
        raise Refusal("week_past", "skip", given=cmd.week, current=current)
    if ctx.session.get(SkippedWeek, (team.id, cmd.week)) is None:
        ctx.session.add(SkippedWeek(team_id=team.id, week=cmd.week, org_id=team.org_id))
    monday = monday_of(cmd.week)
    text = render("skip_set", team=team.name, week=cmd.week, first=i18n.weekday_day(monday, year=False),
                  last=i18n.weekday_day(monday + timedelta(days=6)), zone=zone)
    return _reply(text)
