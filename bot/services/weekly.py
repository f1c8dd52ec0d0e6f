"""The week's commitments of a team besides its priorities (bot.services.priorities): plans, health, wins."""

from __future__ import annotations

import re
from difflib import get_close_matches

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import i18n
from bot.context import Ctx, row_id, team_leads
from bot.errors import Refusal
from bot.handlers import action, command, message, submit
from bot.model import Card, Form, FormField, Interaction, Reply, Text
from bot.render import render
from bot.rituals import catalog, runs
from bot.rituals.refresh import mark_stale
from bot.services.keyresults import served_key_result
from bot.services.notes import addressee
from bot.services.warnings import health_turned_red
from bot.typed_text import typed_text
from bot.weeks import parse_week
from storage.models import HealthMetric, HealthUpdate, Person, Plan, RitualRun, Team, Win

PLAN_NEEDS = "planneeds"  # the event ritual that tells whom a plan needs (bot.services.notes.plan_needs_messages)


def team_from_value(ctx: Ctx, value: str) -> None:
    """Buttons and forms carry the team id; one of another organization is ignored."""
    team_id = row_id(value)
    if team_id:
        team = ctx.session.get(Team, team_id)
        if team is not None and team.org_id == ctx.org.id:
            ctx.choose_team(team)


@command(c.PlanAdd)
def plan_add(ctx: Ctx, cmd: c.PlanAdd) -> Reply:
    team = ctx.team()
    week = ctx.week(team)
    key_result_id, plan = served_key_result(ctx, cmd.text)
    needs = addressee(ctx, cmd.needs, "plan") if cmd.needs else None
    row = Plan(org_id=ctx.org.id, team_id=team.id, week=week, text=plan, author_person_id=ctx.person.id,
               created_at=ctx.now, key_result_id=key_result_id,
               needs_person_id=needs.id if isinstance(needs, Person) else None,
               needs_team_id=needs.id if isinstance(needs, Team) else None)
    ctx.session.add(row)
    text = render("plan_added", team=team.name, text=plan)
    if needs is not None:  # "plans that require preparation or support from other team members": they hear it
        if isinstance(needs, Team) and not team_leads(ctx.session, needs):
            raise Refusal("team_without_lead", "plan", team=needs.name)
        ctx.session.flush()
        runs.event_runs(ctx.session, ctx.org.id, [team.id], PLAN_NEEDS, f"plan-{row.id}", ctx.now)
        text += "\n" + render("plan_needs_told", who=needs.name, team=isinstance(needs, Team))
    return Reply(card=Card(None, (Text(text),), fallback=text))


@command(c.Health)
def health(ctx: Ctx, cmd: c.Health) -> Reply:
    team = ctx.team()
    metrics = list(ctx.session.scalars(
        select(HealthMetric).where(HealthMetric.team_id == team.id).order_by(HealthMetric.position)
    ))
    metric = next((m for m in metrics if m.name.lower() == cmd.name.lower()), None)
    if metric is None and cmd.new:
        ctx.require_lead(team, "health")
        metric = HealthMetric(org_id=ctx.org.id, team_id=team.id, name=cmd.name, position=len(metrics))
        ctx.session.add(metric)
        ctx.session.flush()
    if metric is None:
        matches = [m for m in metrics if cmd.name.lower() in m.name.lower()] if cmd.name else []
        if len(matches) != 1:
            names = {m.name.lower(): m.name for m in metrics}
            close = [names[n] for n in get_close_matches(cmd.name.lower(), names, n=3, cutoff=0.5)]
            raise Refusal("unknown_metric", "health", given=cmd.name, team=team.name,
                          names=", ".join(names.values()),
                          close=" or ".join(f"`{name}`" for name in close or [m.name for m in matches][:3]))
        metric = matches[0]
    if cmd.status == "red":  # turning red is told to the leads at once (bot.services.warnings)
        before = ctx.session.scalar(select(HealthUpdate.status).where(HealthUpdate.metric_id == metric.id)
                                    .order_by(HealthUpdate.at.desc(), HealthUpdate.id.desc()).limit(1))
        health_turned_red(ctx.session, metric, before, note=cmd.note, person_id=ctx.person.id, at=ctx.now)
    ctx.session.add(HealthUpdate(org_id=ctx.org.id, metric_id=metric.id, week=ctx.week(team), status=cmd.status,
                                 note=cmd.note, person_id=ctx.person.id, at=ctx.now))
    text = render("health_set", team=team.name, name=metric.name, status=cmd.status, note=cmd.note)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def add_win(ctx: Ctx, team: Team, week: str, text: str, message_id: str | None) -> Win | None:
    """Store a win once: a redelivered message (same platform message id) changes nothing."""
    if message_id is not None:
        existing = ctx.session.scalar(select(Win).where(
            Win.org_id == ctx.org.id, Win.platform == ctx.platform, Win.message_id == message_id))
        if existing is not None:
            return None
    row = Win(org_id=ctx.org.id, team_id=team.id, week=week, author_person_id=ctx.person.id, text=text,
              platform=ctx.platform, message_id=message_id, at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()
    mark_stale(ctx.session, team.id, week, "wins", ctx.now)
    return row


@command(c.WinAdd)
def win_add(ctx: Ctx, cmd: c.WinAdd) -> Reply:
    team = ctx.team()
    add_win(ctx, team, ctx.week(team), cmd.text, None)
    text = render("win_posted", name=ctx.person.name, team=team.name, text=cmd.text)
    return Reply(card=Card(None, (Text(text),), fallback=text), visibility="channel")


WIN_FORM = "win"


def _win_target(ctx: Ctx, value: str) -> tuple[Team, str]:
    """The team and week a win button or form is for: "TEAM_ID:WEEK" from a Friday post (a late win
    still counts for the week the post opened), else the current week of the team in context."""
    team_id, _, week = value.partition(":")
    team_from_value(ctx, team_id)
    team = ctx.team()
    current = ctx.week(team)
    week = parse_week(week) or current
    return team, min(week, current)  # ISO week strings sort in time order; never a future week


@action("win_open")
def win_button(ctx: Ctx, interaction: Interaction) -> Reply:
    """The "Add a win" button of the Friday post: a form, for platforms where typing a reply is awkward."""
    team, week = _win_target(ctx, interaction.value)
    field = FormField("text", i18n.gettext("What did you win this week?"), "multiline", max_length=c.MAX_WIN)
    return Reply(form=Form(WIN_FORM, "Add a win", (field,), "Post the win",
                           render("win_intro", team=team.name), f"{team.id}:{week}"))


@submit(WIN_FORM)
def submit_win(ctx: Ctx, interaction: Interaction) -> Reply:
    team, week = _win_target(ctx, interaction.value)
    text, refused = typed_text(interaction, "text", render("field_required_win"), c.MAX_WIN)
    if refused:
        return refused
    add_win(ctx, team, week, text, None)
    posted = render("win_posted", name=ctx.person.name, team=team.name, text=text)
    return Reply(card=Card(None, (Text(posted),), fallback=posted), visibility="channel")


def _wins_thread(ctx: Ctx, interaction: Interaction) -> RitualRun | None:
    """The Friday run (a ritual whose post opens a wins thread) whose post (the current one, or one a forced
    re-post replaced) opened this thread."""
    return runs.run_of_thread(ctx.session, ctx.org.id, ctx.platform, interaction.thread_id, catalog.wins_threads())


WIN_MARK = "win:"  # how a reply in the Friday thread says it is a win; the Friday post shows the rule
_MARKED = re.compile(rf"^\s*{re.escape(WIN_MARK)}\s*(.*)$", re.IGNORECASE | re.DOTALL)


def marked_win(text: str) -> str | None:
    """The win a thread reply announces ("win: shipped the API" -> "shipped the API"), else None.

    Cheering, thanks and questions are conversation, not wins: only a reply that starts with the mark
    counts, so nobody has to untick "Great work!" afterwards. The mark is typed text, the same on
    Slack, Teams and the sandbox (reactions are not delivered to a bot alike on every platform).
    """
    match = _MARKED.match(text or "")
    win = match.group(1).strip()[: c.MAX_WIN] if match else ""
    return win or None


@message
def wins_thread_reply(ctx: Ctx, interaction: Interaction) -> Reply | None:
    """A reply marked as a win in a Friday wins thread is a win of that team and of the week the thread
    opened. Editing the mark in or out adds or removes the win; deleting the reply removes it. A message
    outside a wins thread is not this handler's (None)."""
    run = _wins_thread(ctx, interaction)
    if run is None or not interaction.message_id:
        return None
    team = ctx.session.get(Team, run.team_id)
    text = marked_win(interaction.text) if interaction.kind != "message_deleted" else None
    existing = ctx.session.scalar(select(Win).where(
        Win.org_id == ctx.org.id, Win.platform == ctx.platform, Win.message_id == interaction.message_id))
    if existing is not None and text is None:
        # Deleted, or edited so that the mark is gone (an edit with no text at all keeps the win).
        if interaction.kind == "message_deleted" or (interaction.kind == "message_edited"
                                                     and interaction.text.strip()):
            ctx.session.execute(delete(Win).where(Win.id == existing.id))
            mark_stale(ctx.session, team.id, existing.week, "wins", ctx.now)
        return Reply()
    if existing is not None:
        if existing.text != text:
            existing.text = text
            mark_stale(ctx.session, team.id, existing.week, "wins", ctx.now)
    elif text is not None:
        add_win(ctx, team, run.period, text, interaction.message_id)
    return Reply()


def wins_of_week(session: Session, team_id: int, week: str) -> list[Win]:
    return list(session.scalars(select(Win).where(Win.team_id == team_id, Win.week == week).order_by(Win.at, Win.id)))


def count_wins(session: Session, team_id: int, week: str) -> int:
    return session.scalar(select(func.count()).select_from(Win).where(Win.team_id == team_id, Win.week == week)) or 0
