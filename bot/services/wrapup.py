"""The end of the week in the method's words: why a P1 was not done (report part 2), and the lead's own top three
for next week (part 3), which become next week's first priorities.

- The Friday wrap-up (bot.rituals.catalog `wrapup`) asks the owner of each P1 still open "why?" in a direct
  message, a button per P1; the answer is kept on the priority and shown under it in part 2.
- `/okr next P1|P2 [KR|none] TEXT` (leads) writes one of next week's priorities now. Next week's list is then
  the lead's: last week's open priorities are carried over only into a week nobody wrote anything for.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import i18n
from bot.context import Ctx, person_language, row_id, team_leads
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Reply, Text
from bot.render import render
from bot.rituals.catalog import Occasion
from bot.rituals.refresh import mark_stale
from bot.services.keyresults import served_key_result
from bot.services.priorities import MAX_PRIORITIES, week_priorities
from bot.typed_text import typed_text
from bot.weeks import shift
from storage.models import Person, Priority, Team

WHY_FORM = "why"


def why_messages(o: Occasion) -> list:
    """The wrap-up's question: to each owner of the week's open P1s (a P1 nobody owns: the team's leads), one
    direct message with a "Why?" button for each."""
    from bot.rituals.content import Outbound

    asked: dict[int, list[Priority]] = {}
    leads = None
    for priority in week_priorities(o.session, o.team, o.period, o.now):
        if priority.level != "P1" or priority.status != "open":
            continue
        if priority.owner_person_id is not None:
            owners = [priority.owner_person_id]
        else:
            leads = leads if leads is not None else [p.id for p in team_leads(o.session, o.team)]
            owners = leads
        for person_id in owners:
            asked.setdefault(person_id, []).append(priority)
    messages = []
    for person_id, priorities in asked.items():
        person = o.session.get(Person, person_id)
        with i18n.speaking(person_language(o.session, o.org, person)):
            elements: list = [Text(render("why_ask", name=person.name, team=o.team.name, week=o.period,
                                          count=len(priorities)))]
            for priority in priorities:
                elements.append(Text(f"• *P1* {priority.text}"))
                elements.append(Actions((Button(render("why_words", which="button"), "why_open", str(priority.id)),)))
            title = render("why_words", which="title")
        messages.append(Outbound(f"dm:{person_id}", Card(title, tuple(elements), fallback=title), person_id))
    return messages


def _priority(ctx: Ctx, value: str) -> Priority:
    row = ctx.session.get(Priority, row_id(value) or 0)
    if row is None or row.org_id != ctx.org.id:
        raise Refusal("stale_action")
    return row


@action("why_open")
def why_button(ctx: Ctx, interaction: Interaction) -> Reply:
    row = _priority(ctx, interaction.value)
    field = FormField("why", render("why_words", which="label"), "multiline", initial=row.why, max_length=c.MAX_TEXT)
    return Reply(form=Form(WHY_FORM, render("why_words", which="title"), (field,), render("why_words", which="save"),
                           render("why_words", which="intro", text=row.text), str(row.id)))


@submit(WHY_FORM)
def submit_why(ctx: Ctx, interaction: Interaction) -> Reply:
    row = _priority(ctx, interaction.value)
    why, refused = typed_text(interaction, "why", render("why_words", which="required"), c.MAX_TEXT)
    if refused:
        return refused
    row.why = why
    team = ctx.session.get(Team, row.team_id)
    text = render("why_saved", text=row.text, why=why, team=team.name)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _next_week_count(session: Session, team: Team, week: str) -> int:
    """Next week's priorities that take a place, read under a lock on the team's row (as bot.services.priorities
    does), without carrying anything over into a week that has not begun."""
    session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    return session.scalar(select(func.count()).select_from(Priority).where(
        Priority.team_id == team.id, Priority.week == week, Priority.status != "dropped")) or 0


@command(c.NextAdd)
def next_add(ctx: Ctx, cmd: c.NextAdd) -> Reply:
    team = ctx.team()
    ctx.require_lead(team, "next")
    week = shift(ctx.week(team), 1)
    if _next_week_count(ctx.session, team, week) >= MAX_PRIORITIES:
        raise Refusal("too_many_priorities", "next", team=team.name, limit=MAX_PRIORITIES)
    key_result_id, text = served_key_result(ctx, cmd.text)
    ctx.session.add(Priority(org_id=ctx.org.id, team_id=team.id, week=week, level=cmd.level, text=text,
                             owner_person_id=ctx.person.id, status="open", created_at=ctx.now,
                             key_result_id=key_result_id))
    ctx.session.flush()
    mark_stale(ctx.session, team.id, week, "priorities", ctx.now)
    rows = list(ctx.session.scalars(select(Priority).where(Priority.team_id == team.id, Priority.week == week,
                                                           Priority.status != "dropped").order_by(Priority.id)))
    text = render("next_added", team=team.name, week=week, items=[(p.level, p.text) for p in rows],
                  limit=MAX_PRIORITIES)
    return Reply(card=Card(None, (Text(text),), fallback=text))
