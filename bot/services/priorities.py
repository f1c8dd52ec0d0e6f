"""A team's P1/P2 priorities of the week: numbers people can refer to safely, one cap, explicit changes.

- **Numbers never shift.** A priority's number is its place in the order the week's priorities were
  added (carried-over ones first, in last week's order). Nothing is ever deleted, so adding a P1 does
  not renumber anything and `priority drop 4` means the same item before and after someone adds one.
- **One cap, counted one way.** At most MAX_PRIORITIES a week that are not dropped: open and done
  ones count, carried-over ones count like any other, dropped ones do not. Every list says how many
  count of how many allowed, and lists dropped ones apart, so no post says "at most 4" over 5 items.
- **Changes are explicit.** Done and dropped are ends: marking a done item dropped (or the other way
  round), or dropping an already dropped one again, is refused with what it is now and how to reopen
  it; its reason is never overwritten silently. `priority reopen N` (and the Reopen button) brings a
  done or dropped item back to open, within the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot.context import CURRENT_CYCLE_ID, Ctx, cycle_params, row_id
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Option, Reply, Text
from bot.render import render
from bot.rituals.refresh import mark_stale
from bot.services.keyresults import NO_KR, by_code, served_key_result
from bot.services.weekly import team_from_value
from bot.weeks import shift
from storage.models import KeyResult, Objective, Person, Priority, Team

MAX_PRIORITIES = 4  # the method: "3 to 4 most important things, up to 4 things"
MAX_KR_OPTIONS = 99  # key results offered in a form's select, besides "none" (Slack allows 100 options)
PRIORITIES_FORM = "priorities"
CLOSED = ("done", "dropped")


@dataclass(frozen=True)
class PriorityItem:
    """One priority as every list shows it: its stable number, and who owns it."""

    id: int
    number: int
    level: str
    text: str
    status: str  # open | done | dropped
    reason: str | None
    owner: str | None
    carried: bool  # carried over from last week
    kr: str | None = None  # the code of the key result it serves; None: it serves none
    kr_title: str | None = None

    @property
    def counted(self) -> bool:
        """Whether it takes one of the week's MAX_PRIORITIES places (everything but a dropped one)."""
        return self.status != "dropped"


_TWO_WEEKS = (  # built once: every four-square and every priority command reads it
    select(Priority, Person.name, KeyResult.key, KeyResult.title)
    .outerjoin(Person, Person.id == Priority.owner_person_id)
    .outerjoin(KeyResult, KeyResult.id == Priority.key_result_id)
    .where(Priority.team_id == bindparam("team_id"), Priority.week.in_([bindparam("week"), bindparam("last_week")]))
    .order_by(Priority.id)
)


def priorities_with_owners(session: Session, team: Team, week: str, now) -> list[tuple[Priority, str | None]]:
    """This week's priorities in the order they were added, with each owner's name (`_with_key_results` adds
    the key result each serves)."""
    return [(p, name) for p, name, _code, _title in _with_key_results(session, team, week, now)]


def _with_key_results(session: Session, team: Team, week: str, now) -> list:
    """(priority, owner's name, key result code, key result title) of this week in the order they were added, in
    one read of this week and last week together. The first look at a new week carries last week's open ones
    over, each still serving its key result."""
    last_week = shift(week, -1)
    rows = session.execute(_TWO_WEEKS, {"team_id": team.id, "week": week, "last_week": last_week}).all()
    current = [tuple(row) for row in rows if row[0].week == week]
    if current:
        return current
    carried = [tuple(row) for row in rows if row[0].week == last_week and row[0].status == "open"]
    if not carried:
        return []
    # Added in last week's order, so their ids (and so their numbers) keep that order.
    new = [(Priority(org_id=team.org_id, team_id=team.id, week=week, level=old.level, text=old.text,
                     owner_person_id=old.owner_person_id, status="open", carried_from_id=old.id, created_at=now,
                     key_result_id=old.key_result_id), *rest) for old, *rest in carried]
    session.add_all(row[0] for row in new)
    session.flush()
    return new


def week_priorities(session: Session, team: Team, week: str, now) -> list[Priority]:
    """`priorities_with_owners` without the names."""
    return [priority for priority, _owner in priorities_with_owners(session, team, week, now)]


def priority_items(session: Session, team: Team, week: str, now) -> list[PriorityItem]:
    """The week's priorities, numbered: the one numbering every list, command and button uses."""
    return [PriorityItem(p.id, number, p.level, p.text, p.status, p.reason, owner, p.carried_from_id is not None,
                         code, title)
            for number, (p, owner, code, title) in enumerate(_with_key_results(session, team, week, now), start=1)]


@dataclass(frozen=True)
class ServedGroup:
    """The week's live priorities that serve one key result (`kr` None: those serving none)."""

    kr: str | None
    title: str | None
    work: tuple[PriorityItem, ...]


def by_key_result(items: list[PriorityItem] | tuple[PriorityItem, ...]) -> list[ServedGroup]:
    """The live (not dropped) priorities grouped by the key result they serve, in the order each key result first
    appears, the work serving none last: the four-square shows which goal each piece of work moves."""
    groups: dict[str | None, list[PriorityItem]] = {}
    for item in items:
        if item.counted:
            groups.setdefault(item.kr, []).append(item)
    served = [ServedGroup(kr, work[0].kr_title, tuple(work)) for kr, work in groups.items() if kr is not None]
    return served + ([ServedGroup(None, None, tuple(groups[None]))] if None in groups else [])


def priorities_text(team: Team, week: str, items: list[PriorityItem], headline: str = "") -> str:
    counted = sum(1 for item in items if item.counted)
    return render("priorities", headline=headline, team=team.name, week=week, priorities=items, counted=counted,
                  limit=MAX_PRIORITIES)


def _listing(ctx: Ctx, team: Team, week: str, headline: str) -> Reply:
    """The week's list after a change, with a Reopen button for each done or dropped item (the undo)."""
    items = priority_items(ctx.session, team, week, ctx.now)
    elements: list = [Text(priorities_text(team, week, items, headline))]
    reopen = [Button(f"Reopen {item.number}", "priority_reopen", str(item.id)) for item in items
              if item.status in CLOSED]
    if reopen:
        elements.append(Actions(tuple(reopen)))
    return Reply(card=Card(None, tuple(elements), fallback=headline))


def _counted_places(ctx: Ctx, team: Team, week: str) -> list[PriorityItem]:
    """The week's counted priorities, read under a lock on the team's row (PostgreSQL; SQLite serialises
    writers anyway), so two people adding at once can neither pass the cap nor get the same number."""
    ctx.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    return [item for item in priority_items(ctx.session, team, week, ctx.now) if item.counted]


def _full(team: Team, field: str | None = None) -> Refusal:
    return Refusal("too_many_priorities", "priority", team=team.name, limit=MAX_PRIORITIES, field=field)


_KR_CHOICES = (
    select(KeyResult.key, KeyResult.title)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .where(KeyResult.org_id == bindparam("org_id"), Objective.cycle_id == CURRENT_CYCLE_ID,
           Objective.status != "closed", Objective.level != "individual", KeyResult.live,
           or_(KeyResult.owner_person_id == bindparam("person_id"), Objective.owner_team_id == bindparam("team_id")))
    .order_by(case((KeyResult.owner_person_id == bindparam("person_id"), 0), else_=1), Objective.position,
              Objective.id, KeyResult.position, KeyResult.id)
    .limit(MAX_KR_OPTIONS)
)


def key_result_choice(ctx: Ctx, team: Team) -> tuple[tuple[Option, ...], str]:
    """The options of a form's "serves key result" select and its default: the person's own key results of this
    cycle first (the default is their first), then the team's, then "none" (the default when there are none)."""
    rows = ctx.session.execute(_KR_CHOICES, {**cycle_params(ctx.org, ctx.now), "person_id": ctx.person.id,
                                             "team_id": team.id}).all()
    options = tuple(Option(f"{code} · {title}"[:70], code) for code, title in rows)
    return (*options, Option(render("field_no_key_result"), NO_KR)), rows[0][0] if rows else NO_KR


def add_priority(ctx: Ctx, team: Team, level: str, text: str, key_result_id: int | None = None) -> Priority:
    week = ctx.week(team)
    if len(_counted_places(ctx, team, week)) >= MAX_PRIORITIES:
        raise _full(team, "text")
    row = Priority(org_id=ctx.org.id, team_id=team.id, week=week, level=level, text=text,
                   owner_person_id=ctx.person.id, status="open", created_at=ctx.now, key_result_id=key_result_id)
    ctx.session.add(row)
    ctx.session.flush()
    mark_stale(ctx.session, team.id, week, "priorities", ctx.now)
    return row


def _numbered(ctx: Ctx, team: Team, number: int) -> tuple[Priority, int]:
    rows = week_priorities(ctx.session, team, ctx.week(team), ctx.now)
    if not 1 <= number <= len(rows):
        raise Refusal("priority_position", "priority", given=number, count=len(rows), team=team.name)
    return rows[number - 1], number


def _from_button(ctx: Ctx, value: str) -> tuple[Priority, int, Team]:
    """The priority a button names, with its number in its week; one of another organization is stale."""
    priority_id = row_id(value)
    row = ctx.session.get(Priority, priority_id) if priority_id else None
    if row is None or row.org_id != ctx.org.id:
        raise Refusal("stale_action")
    team = ctx.session.get(Team, row.team_id)
    ids = [p.id for p in week_priorities(ctx.session, team, row.week, ctx.now)]
    return row, ids.index(row.id) + 1, team


def change_status(ctx: Ctx, team: Team, row: Priority, number: int, to: str, reason: str | None = None) -> Reply:
    """Move one priority to `to` (done, dropped or open) when that is a change people asked for explicitly.

    Marking it what it already is changes nothing and says so (a second click on "Done?" included);
    moving between done and dropped, or dropping again with another reason, goes through reopen first.
    """
    facts = {"number": number, "text": row.text, "status": row.status, "reason": row.reason or ""}
    if row.status == to:
        raise Refusal(f"priority_already_{to}", **facts)
    if row.status in CLOSED and to in CLOSED:
        raise Refusal("priority_closed", wanted=to, **facts)
    if to == "open" and row.status == "dropped" and len(_counted_places(ctx, team, row.week)) >= MAX_PRIORITIES:
        raise _full(team)
    row.status, row.reason = to, reason
    ctx.session.flush()
    mark_stale(ctx.session, team.id, row.week, "priorities", ctx.now)
    headline = render(f"priority_{'reopened' if to == 'open' else to}", number=number, level=row.level, text=row.text)
    return _listing(ctx, team, row.week, headline)


@command(c.PriorityAdd)
def priority_add(ctx: Ctx, cmd: c.PriorityAdd) -> Reply:
    team = ctx.team()
    key_result_id, text = served_key_result(ctx, cmd.text)
    row = add_priority(ctx, team, cmd.level, text, key_result_id)
    return _listing(ctx, team, row.week, render("priority_added", level=row.level, text=row.text))


@command(c.PriorityDone)
def priority_done(ctx: Ctx, cmd: c.PriorityDone) -> Reply:
    team = ctx.team()
    return change_status(ctx, team, *_numbered(ctx, team, cmd.number), "done")


@command(c.PriorityDrop)
def priority_drop(ctx: Ctx, cmd: c.PriorityDrop) -> Reply:
    team = ctx.team()
    return change_status(ctx, team, *_numbered(ctx, team, cmd.number), "dropped", cmd.reason)


@command(c.PriorityReopen)
def priority_reopen(ctx: Ctx, cmd: c.PriorityReopen) -> Reply:
    team = ctx.team()
    return change_status(ctx, team, *_numbered(ctx, team, cmd.number), "open")


@action("priority_done")
def priority_done_button(ctx: Ctx, interaction: Interaction) -> Reply:
    row, number, team = _from_button(ctx, interaction.value)
    return change_status(ctx, team, row, number, "done")


@action("priority_reopen")
def priority_reopen_button(ctx: Ctx, interaction: Interaction) -> Reply:
    row, number, team = _from_button(ctx, interaction.value)
    return change_status(ctx, team, row, number, "open")


def priorities_form(ctx: Ctx) -> Form:
    team = ctx.team()
    week = ctx.week(team)
    items = priority_items(ctx.session, team, week, ctx.now)
    counted = [item for item in items if item.counted]
    free = MAX_PRIORITIES - len(counted)
    if free <= 0:
        raise _full(team)
    levels = (Option("P1: must happen this week", "P1"), Option("P2: should happen", "P2"))
    krs, default_kr = key_result_choice(ctx, team)
    fields: list[FormField] = []
    for n in range(1, free + 1):
        fields.append(FormField(f"level:{n}", f"Priority {len(items) + n}", "select", levels, "P1"))
        fields.append(FormField(f"text:{n}", "What will be done", "text", optional=n > 1, max_length=c.MAX_TEXT))
        fields.append(FormField(f"kr:{n}", "Moves forward", "select", krs, default_kr))
    intro = render("priorities_intro", team=team.name, week=week, priorities=counted, limit=MAX_PRIORITIES)
    return Form(PRIORITIES_FORM, "This week's priorities", tuple(fields), "Save priorities", intro, str(team.id))


@command(c.PrioritiesForm)
def open_priorities(ctx: Ctx, _cmd: c.PrioritiesForm) -> Reply:
    return Reply(form=priorities_form(ctx))


@action("priorities_open")
def priorities_button(ctx: Ctx, interaction: Interaction) -> Reply:
    team_from_value(ctx, interaction.value)
    return Reply(form=priorities_form(ctx))


@submit(PRIORITIES_FORM)
def submit_priorities(ctx: Ctx, interaction: Interaction) -> Reply:
    team_from_value(ctx, interaction.value)
    team = ctx.team()
    entries, errors = [], {}
    for key, text in sorted(interaction.form.items()):
        if not key.startswith("text:") or not text.strip():
            continue
        n = key.split(":", 1)[1]
        level = (interaction.form.get(f"level:{n}") or "P1").upper()
        served = (interaction.form.get(f"kr:{n}") or NO_KR).strip()
        found = by_code(ctx, served) if served.lower() != NO_KR else None
        if level not in ("P1", "P2"):
            errors[f"level:{n}"] = render("field_priority_level")
        elif len(text.strip()) > c.MAX_TEXT:
            errors[key] = render("field_too_long", limit=c.MAX_TEXT)
        elif served.lower() != NO_KR and found is None:
            errors[f"kr:{n}"] = render("field_key_result")
        else:
            entries.append((level, text.strip(), found[0].id if found else None))
    if not entries and not errors:
        errors["text:1"] = render("field_required")
    if errors:
        return Reply(errors=errors)
    for level, text, key_result_id in entries:
        add_priority(ctx, team, level, text, key_result_id)
    return _listing(ctx, team, ctx.week(team), render("priorities_saved", count=len(entries)))
