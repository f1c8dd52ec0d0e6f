"""The end of the week in the method's words: why a P1 was not done (report part 2), and the lead's own top three
for next week (part 3), which become next week's first priorities.

- The Friday wrap-up (bot.rituals.catalog `wrapup`) asks the owner of each P1 still open "why?" in a direct
  message, a button per P1; the answer is kept on the priority and shown under it in part 2.
- `/okr next P1|P2 [KR|none] TEXT` (leads) writes one of next week's priorities now. Next week's list is then
  the lead's: last week's open priorities are carried over only into a week nobody wrote anything for.
- The lead's top-three form (`/okr next` alone, or the button of the wrap-up's direct message to each lead): three
  lines, prefilled with what is written for next week already, else the week's leftovers; saved, they are next
  week's open priorities (what was there is replaced), so part 3 of the report and Monday's list are the lead's
  words. The report is due after the wrap-up (bot.rituals.catalog), so what is written there reaches it.
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
from bot.services.keyresults import NO_KR, by_code, served_key_result
from bot.services.priorities import MAX_PRIORITIES, week_priorities
from bot.typed_text import typed_text
from bot.weeks import parse_week, shift
from storage.models import KeyResult, Person, Priority, Team

WHY_FORM = "why"
NEXT_FORM = "next"
TOP_LINES = 3  # "Just list three important items"


def wrapup_messages(o: Occasion) -> list:
    """The wrap-up's direct messages: "why?" to the owners of open P1s, and the top-three form to the leads."""
    return why_messages(o) + top_three_messages(o)


def top_three_messages(o: Occasion) -> list:
    """To each lead of the team: write next week's top three now, before the report is due."""
    from bot.rituals.content import Outbound

    week = shift(o.period, 1)
    messages = []
    for lead in team_leads(o.session, o.team):
        with i18n.speaking(person_language(o.session, o.org, lead)):
            title = render("next_words", which="title")
            card = Card(title, (Text(render("next_words", which="ask", name=lead.name, team=o.team.name, week=week)),
                                Actions((Button(render("next_words", which="button"), "next_open",
                                                f"{o.team.id}:{week}", style="primary"),))), fallback=title)
        messages.append(Outbound(f"top:{lead.id}", card, lead.id))
    return messages


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


def _line(priority: Priority, codes: dict[int, str]) -> str:
    """A priority as the form shows it, the way `/okr next` takes it: "P1 rd-o1-kr3 Ship the vendor API"."""
    code = codes.get(priority.key_result_id) if priority.key_result_id else None
    return " ".join(part for part in (priority.level, code, priority.text) if part)


def next_form(ctx: Ctx, team: Team, week: str) -> Form:
    """The lead's three lines for `week` (next week), prefilled with its list, else this week's leftovers."""
    ctx.require_lead(team, "next")
    written = list(ctx.session.scalars(select(Priority).where(  # read only: a week not begun carries nothing yet
        Priority.team_id == team.id, Priority.week == week, Priority.status == "open").order_by(Priority.id)))
    shown = written or [p for p in week_priorities(ctx.session, team, shift(week, -1), ctx.now) if p.status == "open"]
    ids = {p.key_result_id for p in shown if p.key_result_id}
    codes = dict(ctx.session.execute(select(KeyResult.id, KeyResult.key).where(KeyResult.id.in_(ids))).all()) \
        if ids else {}
    lines = [_line(p, codes) for p in shown[:TOP_LINES]]
    fields = tuple(
        FormField(f"line:{n}", render("next_words", which="line", number=n), "text",
                  initial=lines[n - 1] if n <= len(lines) else None, optional=n > 1, max_length=c.MAX_TEXT,
                  hint=render("next_words", which="hint") if n == 1 else None)
        for n in range(1, TOP_LINES + 1))
    return Form(NEXT_FORM, render("next_words", which="title"), fields, render("next_words", which="save"),
                render("next_words", which="intro", team=team.name, week=week), f"{team.id}:{week}")


@command(c.NextForm)
def open_next_form(ctx: Ctx, _cmd: c.NextForm) -> Reply:
    team = ctx.team()
    return Reply(form=next_form(ctx, team, shift(ctx.week(team), 1)))


def _target(ctx: Ctx, value: str) -> tuple[Team, str]:
    """The team and the week a top-three button or form is for ("TEAM_ID:WEEK"). A week that has begun is refused:
    its list is being worked on (`/okr priorities` changes it), replacing it would drop what people set."""
    team_id, _, raw = value.partition(":")
    team, week = ctx.session.get(Team, row_id(team_id) or 0), parse_week(raw)
    if team is None or team.org_id != ctx.org.id or week is None:
        raise Refusal("stale_action")
    ctx.choose_team(team)
    if week <= ctx.week(team):  # ISO week strings sort in time order
        raise Refusal("next_week_begun", "next", team=team.name, week=week)
    return team, week


@action("next_open")
def next_button(ctx: Ctx, interaction: Interaction) -> Reply:
    return Reply(form=next_form(ctx, *_target(ctx, interaction.value)))


@submit(NEXT_FORM)
def submit_next(ctx: Ctx, interaction: Interaction) -> Reply:
    """Every line checked first; then next week's open priorities are replaced by the lines, in one transaction
    (the same form sent twice leaves the same list)."""
    team, week = _target(ctx, interaction.value)
    ctx.require_lead(team, "next")
    typed: list[tuple[str, int | None, str]] = []
    errors: dict[str, str] = {}
    for n in range(1, TOP_LINES + 1):
        name = f"line:{n}"
        raw = (interaction.form.get(name) or "").strip()
        first, _, rest = raw.partition(" ")
        level, line = (first.upper(), rest.strip()) if first.upper() in ("P1", "P2") else ("P1", raw)
        key_result_id, text = served_key_result(ctx, line)
        if len(raw) > c.MAX_TEXT:
            errors[name] = render("field_too_long", limit=c.MAX_TEXT)
        elif raw and (not line or _names_only_a_key_result(ctx, line)):
            errors[name] = render("next_words", which="empty", level=level)
        elif text:
            typed.append((level, key_result_id, text))
    if not typed and not errors:
        errors["line:1"] = render("next_words", which="required")
    if errors:
        return Reply(errors=errors)
    _next_week_count(ctx.session, team, week)  # takes the team's lock, as every writer of its priorities does
    for old in ctx.session.scalars(select(Priority).where(Priority.team_id == team.id, Priority.week == week,
                                                          Priority.status == "open")):
        ctx.session.delete(old)  # a week that has not begun: nobody has numbered its list yet
    ctx.session.flush()
    for level, key_result_id, text in typed:
        ctx.session.add(Priority(org_id=ctx.org.id, team_id=team.id, week=week, level=level, text=text,
                                 owner_person_id=ctx.person.id, status="open", created_at=ctx.now,
                                 key_result_id=key_result_id))
    ctx.session.flush()
    mark_stale(ctx.session, team.id, week, "priorities", ctx.now)
    return _next_reply(ctx, team, week)


def _names_only_a_key_result(ctx: Ctx, line: str) -> bool:
    """"P1 none" or "P1 rd-o1-kr3": which key result, but not the work."""
    return " " not in line and (line.lower() == NO_KR or by_code(ctx, line) is not None)


def _next_reply(ctx: Ctx, team: Team, week: str) -> Reply:
    rows = list(ctx.session.scalars(select(Priority).where(Priority.team_id == team.id, Priority.week == week,
                                                           Priority.status != "dropped").order_by(Priority.id)))
    text = render("next_added", team=team.name, week=week, items=[(p.level, p.text) for p in rows],
                  limit=MAX_PRIORITIES)
    return Reply(card=Card(None, (Text(text),), fallback=text))


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
    return _next_reply(ctx, team, week)
