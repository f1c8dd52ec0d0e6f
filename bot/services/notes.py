"""What people type for the week's report: risks, help requests and remarks (the method's parts 4 and 5).

"Bosses don't like surprises": a risk is said in the open before it happens; a help request names who can
help (a person, or a team, whose leads are asked), who answers with a button ("I can help" / "I can't"), and
the asker hears the answer. Both messages are sent by the clock as event rituals (bot.rituals.catalog:
`helpask`, `helpreply`), so each goes exactly once however often the clock sweeps or restarts.
The report shows every note verbatim, beside the lines it derives from the OKRs and the health metrics.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from bot import commands as c
from bot import i18n
from bot.context import Ctx, person_language, row_id, team_leads
from bot.errors import Refusal
from bot.handlers import action, command
from bot.model import Actions, Button, Card, Interaction, Reply, Text
from bot.render import render
from bot.rituals import runs
from bot.rituals.catalog import Occasion
from bot.teams import team_by_key
from storage.models import Person, Plan, PlatformAccount, Team, WeekNote

ASK, ANSWERED = "helpask", "helpreply"  # the event rituals that carry a help request and its answer
SLACK_MENTION = re.compile(r"^<@([A-Za-z0-9_]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class TypedNote:
    """A note as the report shows it: plain values, names resolved."""

    kind: str  # risk | help | remark
    text: str
    author: str
    who: str | None = None  # a help request's addressee: a person's or a team's name
    answer: str | None = None  # yes | no | None (not yet)
    helper: str | None = None  # who answered


_AUTHOR, _TO, _HELPER = aliased(Person), aliased(Person), aliased(Person)
_TO_TEAM = aliased(Team)
_NOTES = (
    select(WeekNote, _AUTHOR.name, func.coalesce(_TO.name, _TO_TEAM.name), _HELPER.name)
    .outerjoin(_AUTHOR, _AUTHOR.id == WeekNote.author_person_id)
    .outerjoin(_TO, _TO.id == WeekNote.to_person_id)
    .outerjoin(_TO_TEAM, _TO_TEAM.id == WeekNote.to_team_id)
    .outerjoin(_HELPER, _HELPER.id == WeekNote.answered_by_person_id)
    .order_by(WeekNote.created_at, WeekNote.id)
)


def notes_of(session: Session, team_ids: list[int], week: str) -> dict[int, list[TypedNote]]:
    """The week's typed notes per team, oldest first, in one statement (the report reads every team at once)."""
    found: dict[int, list[TypedNote]] = defaultdict(list)
    if team_ids:
        rows = session.execute(_NOTES.where(WeekNote.team_id.in_(team_ids), WeekNote.week == week))
        for note, author, who, helper in rows:
            found[note.team_id].append(TypedNote(note.kind, note.text, author or "?", who, note.answer, helper))
    return found


def _add(ctx: Ctx, kind: str, text: str, **addressee: int | None) -> tuple[Team, WeekNote]:
    team = ctx.team()
    note = WeekNote(org_id=ctx.org.id, team_id=team.id, week=ctx.week(team), kind=kind, text=text,
                    author_person_id=ctx.person.id, created_at=ctx.now, **addressee)
    ctx.session.add(note)
    ctx.session.flush()
    return team, note


@command(c.NoteAdd)
def note_add(ctx: Ctx, cmd: c.NoteAdd) -> Reply:
    team, note = _add(ctx, cmd.kind, cmd.text)
    text = render("note_added", kind=cmd.kind, team=team.name, week=note.week, text=cmd.text)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _people_named(ctx: Ctx, name: str) -> list[Person]:
    """People of the organization `@name` may mean: by this platform's account id, by email, by the part of the
    email before the @, or by name written without spaces ("@zhaolei", "@Zhao"): the first rule that finds any."""
    name = name.strip().lower()
    account = select(PlatformAccount.person_id).where(
        PlatformAccount.org_id == ctx.org.id, PlatformAccount.platform == ctx.platform,
        func.lower(PlatformAccount.account_id) == name)
    people = select(Person).where(Person.org_id == ctx.org.id)
    squashed = func.lower(func.replace(Person.name, " ", ""))
    for rule in (Person.id.in_(account), func.lower(Person.email) == name,
                 func.lower(Person.email).like(f"{_like(name)}@%", escape="\\"), squashed == name.replace(" ", ""),
                 squashed.like(f"{_like(name)}%", escape="\\")):
        found = list(ctx.session.scalars(people.where(rule).order_by(Person.name, Person.id).limit(6)))
        if found:
            return found
    return []


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def addressee(ctx: Ctx, given: str, usage: str) -> Person | Team:
    """Who `@person`, a Slack mention or a team key names; a kind refusal when nobody or several match."""
    token = given.strip().rstrip(".,;:!?")
    mention = SLACK_MENTION.match(token)
    if mention:
        found = _people_named(ctx, mention.group(1))
    elif token.startswith("@") and len(token) > 1:
        found = _people_named(ctx, token[1:])
    else:
        team = team_by_key(ctx.session, ctx.org.id, token)
        if team is not None:
            return team
        found = []
    if len(found) == 1:
        return found[0]
    if found:
        raise Refusal("ambiguous_person", usage, given=token, options=", ".join(p.name for p in found[:5]))
    raise Refusal("unknown_addressee", usage, given=token)


@command(c.HelpNeeded)
def help_needed(ctx: Ctx, cmd: c.HelpNeeded) -> Reply:
    who = addressee(ctx, cmd.to, "help-needed")
    if isinstance(who, Person) and who.id == ctx.person.id:
        raise Refusal("help_yourself", "help-needed")
    if isinstance(who, Team) and not team_leads(ctx.session, who):
        raise Refusal("team_without_lead", "help-needed", team=who.name)
    team, note = _add(ctx, "help", cmd.text, to_person_id=who.id if isinstance(who, Person) else None,
                      to_team_id=who.id if isinstance(who, Team) else None)
    runs.event_runs(ctx.session, ctx.org.id, [team.id], ASK, f"help-{note.id}", ctx.now)
    text = render("help_asked", who=who.name, team=isinstance(who, Team), text=cmd.text)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def _note_of(o: Occasion) -> WeekNote | None:
    note = o.session.get(WeekNote, row_id(o.period.removeprefix("help-")) or 0)
    return note if note is not None and note.org_id == o.org.id else None


def _askees(session: Session, note: WeekNote) -> list[Person]:
    """Who is asked: the person named, or the leads of the team named."""
    return addressed(session, note.to_person_id, note.to_team_id)


def addressed(session: Session, person_id: int | None, team_id: int | None) -> list[Person]:
    """The person named, else the leads of the team named (a help request, a plan that needs support)."""
    if person_id is not None:
        person = session.get(Person, person_id)
        return [person] if person is not None else []
    team = session.get(Team, team_id) if team_id is not None else None
    return team_leads(session, team) if team is not None else []


def help_ask_messages(o: Occasion) -> list:
    """The `helpask` event: the request, with "I can help" / "I can't" buttons, to each person asked."""
    from bot.rituals.content import Outbound

    note = _note_of(o)
    if note is None:
        return []
    asker = o.session.get(Person, note.author_person_id) if note.author_person_id else None
    to_team = o.session.get(Team, note.to_team_id) if note.to_team_id else None
    messages = []
    for person in _askees(o.session, note):
        with i18n.speaking(person_language(o.session, o.org, person)):
            text = render("help_request", asker=asker.name if asker else "?", team=o.team.name, text=note.text,
                          for_team=to_team.name if to_team else None)
            buttons = (Button(render("help_words", which="yes"), "help_answer", f"{note.id}:yes", style="primary"),
                       Button(render("help_words", which="no"), "help_answer", f"{note.id}:no"))
            title = render("help_words", which="title")
            messages.append(Outbound(f"dm:{person.id}", Card(title, (Text(text), Actions(buttons)), fallback=text),
                                     person.id))
    return messages


def help_reply_messages(o: Occasion) -> list:
    """The `helpreply` event: the answer, to the person who asked."""
    from bot.rituals.content import Outbound

    note = _note_of(o)
    if note is None or note.answer is None or note.author_person_id is None:
        return []
    asker = o.session.get(Person, note.author_person_id)
    helper = o.session.get(Person, note.answered_by_person_id) if note.answered_by_person_id else None
    with i18n.speaking(person_language(o.session, o.org, asker)):
        text = render("help_answered", who=helper.name if helper else "?", yes=note.answer == "yes", text=note.text)
    return [Outbound(f"dm:{asker.id}", Card(None, (Text(text),), fallback=text), asker.id)]


@action("help_answer")
def help_answer(ctx: Ctx, interaction: Interaction) -> Reply:
    """ "I can help" / "I can't": the first answer is kept (a second click, or another lead's, is told what it
    was), and the asker hears it from the clock."""
    raw, _, answer = interaction.value.partition(":")
    note = ctx.session.get(WeekNote, row_id(raw) or 0)
    if note is None or note.org_id != ctx.org.id or note.kind != "help" or answer not in ("yes", "no"):
        raise Refusal("stale_action")
    if ctx.person.id not in {p.id for p in _askees(ctx.session, note)}:
        raise Refusal("help_not_asked")
    taken = ctx.session.execute(update(WeekNote).where(WeekNote.id == note.id, WeekNote.answer.is_(None)).values(
        answer=answer, answered_by_person_id=ctx.person.id, answered_at=ctx.now)).rowcount
    ctx.session.refresh(note)
    if not taken:  # answered before (a second click, another of the team's leads): say what the answer was
        helper = ctx.session.get(Person, note.answered_by_person_id) if note.answered_by_person_id else None
        text = render("help_already", who=helper.name if helper else "?", yes=note.answer == "yes", text=note.text)
        return Reply(card=Card(None, (Text(text),), fallback=text))
    runs.event_runs(ctx.session, ctx.org.id, [note.team_id], ANSWERED, f"help-{note.id}", ctx.now)
    asker = ctx.session.get(Person, note.author_person_id) if note.author_person_id else None
    text = render("help_thanks", yes=answer == "yes", asker=asker.name if asker else "?", text=note.text)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def plan_needs_messages(o: Occasion) -> list:
    """The `planneeds` event: a plan of the next four weeks that needs preparation or support, to whom it needs."""
    from bot.rituals.content import Outbound

    plan = o.session.get(Plan, row_id(o.period.removeprefix("plan-")) or 0)
    if plan is None or plan.org_id != o.org.id:
        return []
    author = o.session.get(Person, plan.author_person_id) if plan.author_person_id else None
    to_team = o.session.get(Team, plan.needs_team_id) if plan.needs_team_id else None
    messages = []
    for person in addressed(o.session, plan.needs_person_id, plan.needs_team_id):
        with i18n.speaking(person_language(o.session, o.org, person)):
            text = render("plan_needs", author=author.name if author else "?", team=o.team.name, text=plan.text,
                          for_team=to_team.name if to_team else None)
        messages.append(Outbound(f"dm:{person.id}", Card(None, (Text(text),), fallback=text), person.id))
    return messages
