"""Drafting a team's OKRs for the cycle being planned, and their approval: the method's steps 2 to 5.

"Company-level OKR should be set first, followed by departmental OKR": a team's leads draft (`/okr draft
[TEAM]`, a form) once the set of the team above is approved; the company drafts first. A draft is an
objective with status "draft" and its key results (owner, start and target or a milestone, confidence 5).
The method's lint (bot.services.advice) runs on the saved draft: its warnings about it come back by the
fields of the form, and nothing is kept until they are answered.

`/okr submit [TEAM]` sends the set to the leads of the team above ("CEO confirms department OKRs"): each gets a
direct message with Approve and Return (with a note); a return sends the drafting lead the note, and the set
can be changed and submitted again. Nobody approves their own set; a company whose only lead drafted its
set has it approved by submitting (the management decided it together: step 2). Approved objectives
become active when the cycle starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot.commands import parse_number
from bot.context import Ctx, person_language, row_id, team_leads
from bot.cycles import phase, today_of
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.i18n import speaking
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Option, Reply, Text
from bot.okr_keys import free_key
from bot.render import render, render_macro
from bot.rituals import runs
from bot.rituals.catalog import Occasion
from bot.rituals.content import Outbound
from bot.services.advice import ADVISED_KRS, WRITING, alignment_report, lint
from bot.services.proposals import planning_cycle
from storage.models import Cycle, KeyResult, Objective, OkrSet, Person, Team, TeamMember

DRAFT_FORM = "draft"
RETURN_FORM = "draft_return"
ROWS = ADVISED_KRS[-1]  # key-result rows in the form: the method's "3 to 4 key results"
ASK, VERDICT = "approval", "verdict"  # the catalog's event rituals: the approver's message, the drafter's answer
MAX_OPTIONS = 99
NUMBERS = re.compile(r"from\s+(-?[\d.,]+)\s*(\S*)\s+to\s+(-?[\d.,]+)\s*(\S*)\s*$", re.IGNORECASE)


def words(macro: str, /, **context: object) -> str:
    return render_macro("drafts", macro, **context)


def _cycle(ctx: Ctx, usage: str) -> Cycle:
    cycle = planning_cycle(ctx.session, ctx.org, ctx.now)
    if cycle is None:
        raise Refusal("no_drafting", usage)
    return cycle


def set_of(session: Session, cycle: Cycle, team: Team, create: bool = False) -> OkrSet | None:
    found = session.scalar(select(OkrSet).where(OkrSet.cycle_id == cycle.id, OkrSet.team_id == team.id))
    if found is None and create:
        found = OkrSet(org_id=team.org_id, cycle_id=cycle.id, team_id=team.id, state="drafting", round=0)
        session.add(found)
        session.flush()
    return found


def drafts_of(session: Session, cycle: Cycle, team: Team) -> list[Objective]:
    return list(session.scalars(select(Objective).where(
        Objective.cycle_id == cycle.id, Objective.owner_team_id == team.id, Objective.status.in_(("draft", "approved")))
        .order_by(Objective.position, Objective.id)))


def key_results_of(session: Session, objective: Objective) -> list[KeyResult]:
    return list(session.scalars(select(KeyResult).where(KeyResult.objective_id == objective.id)
                                .order_by(KeyResult.position, KeyResult.id)))


def _team(ctx: Ctx, key: str | None) -> Team:
    return ctx.find_team(key) if key else ctx.team()


def _may_draft(ctx: Ctx, cycle: Cycle, team: Team, usage: str) -> OkrSet | None:
    """Refuse unless the person leads the team, the set above is approved, and this set is still open."""
    ctx.require_lead(team, usage)
    parent = ctx.session.get(Team, team.parent_id) if team.parent_id else None
    if parent is not None and team.level != "company":
        above = set_of(ctx.session, cycle, parent)
        if above is None or above.state != "approved":
            raise Refusal("draft_waits", usage, team=team.name, parent=parent.name, cycle=cycle.name)
    found = set_of(ctx.session, cycle, team)
    if found is not None and found.state == "submitted":
        raise Refusal("set_submitted", usage, team=team.name, approvers=_names(approvers(ctx.session, team, found)))
    if found is not None and found.state == "approved":
        raise Refusal("set_approved", usage, team=team.name, cycle=cycle.name)
    return found


def _names(people: list[Person]) -> str:
    return ", ".join(p.name for p in people) or "—"


def approvers(session: Session, team: Team, okr_set: OkrSet) -> list[Person]:
    """Who approves a set: the leads of the team above (the nearest one with a lead other than the one who
    submitted it); at the top, the team's other leads."""
    node = session.get(Team, team.parent_id) if team.parent_id else team
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        people = [p for p in team_leads(session, node) if p.id != okr_set.submitted_by_id]
        if node.id == team.id:
            return people
        if people:
            return people
        node = session.get(Team, node.parent_id) if node.parent_id else None
    return []


# ------------------------------------------------------------------ the form


def _parent_key_results(session: Session, cycle: Cycle, team: Team) -> list[KeyResult]:
    if team.parent_id is None:
        return []
    return list(session.scalars(
        select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id)
        .where(Objective.cycle_id == cycle.id, Objective.owner_team_id == team.parent_id,
               Objective.status != "closed")
        .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id).limit(MAX_OPTIONS)))


def _members(session: Session, team: Team) -> list[Person]:
    return list(session.scalars(select(Person).join(TeamMember, TeamMember.person_id == Person.id)
                                .where(TeamMember.team_id == team.id)
                                .order_by(TeamMember.role != "lead", Person.name).limit(MAX_OPTIONS)))


def draft_form(ctx: Ctx, cycle: Cycle, team: Team) -> Form:
    types = (Option(words("type_business"), "business"), Option(words("type_capability"), "capability"))
    fields = [FormField("title", words("field_title"), max_length=300, hint=words("hint_title")),
              FormField("type", words("field_type"), "select", types, "business", hint=words("hint_type"))]
    above = _parent_key_results(ctx.session, cycle, team)
    if above:
        options = (Option(words("aligns_none"), "none"),
                   *(Option(f"{kr.key}: {kr.title}"[:75], kr.key) for kr in above))
        fields.append(FormField("aligns", words("field_aligns"), "select", options, above[0].key,
                                hint=words("hint_aligns")))
    members = _members(ctx.session, team)
    owners = tuple(Option(p.name, str(p.id)) for p in members)
    measures = (Option(words("measure_number"), "number"), Option(words("measure_milestone"), "milestone"))
    for n in range(1, ROWS + 1):
        fields.extend((
            FormField(f"kr{n}", words("field_kr", n=n), optional=n > 1, max_length=300,
                      hint=words("hint_kr") if n == 1 else None),
            FormField(f"kr{n}_measure", words("field_measure", n=n), "select", measures, "number"),
            FormField(f"kr{n}_start", words("field_start", n=n), optional=True, max_length=20),
            FormField(f"kr{n}_target", words("field_target", n=n), optional=True, max_length=20),
            FormField(f"kr{n}_unit", words("field_unit", n=n), optional=True, max_length=32),
            FormField(f"kr{n}_owner", words("field_owner", n=n), "select", owners,
                      str(members[0].id) if members else None),
        ))
    drafted = [o.title for o in drafts_of(ctx.session, cycle, team)]
    intro = words("form_intro", team=team.name, cycle=cycle.name, drafted=drafted, low=ADVISED_KRS[0],
                  high=ADVISED_KRS[-1])
    return Form(DRAFT_FORM, words("form_title", team=team.name), tuple(fields), words("form_save"), intro,
                str(team.id))


@command(c.Draft)
def draft(ctx: Ctx, cmd: c.Draft) -> Reply:
    cycle = _cycle(ctx, "draft")
    team = _team(ctx, cmd.team)
    _may_draft(ctx, cycle, team, "draft")
    return Reply(form=draft_form(ctx, cycle, team))


def _team_of_value(ctx: Ctx, value: str) -> Team:
    team_id = row_id(value.split(":", 1)[0]) if value else None
    team = ctx.session.get(Team, team_id) if team_id else None
    if team is None or team.org_id != ctx.org.id:
        raise Refusal("stale_action")
    return team


@action("draft_open")
def draft_button(ctx: Ctx, interaction: Interaction) -> Reply:
    cycle = _cycle(ctx, "draft")
    team = _team_of_value(ctx, interaction.value)
    _may_draft(ctx, cycle, team, "draft")
    return Reply(form=draft_form(ctx, cycle, team))


def measured(title: str, unit: str | None) -> tuple[float | None, float | None, str | None]:
    """"NPS from 30 to 45", "Weekly active teams from 20 to 40 %": a key result written with its numbers is
    measured by them when its start and target fields are left empty."""
    match = NUMBERS.search(title)
    start = parse_number(match.group(1)) if match else None
    target = parse_number(match.group(3)) if match else None
    if start is None or target is None:
        return None, None, unit
    return start, target, unit or (match.group(4) or match.group(2))[:32] or None


def _key_results_from(form: dict, members: set[int], errors: dict[str, str]) -> list[dict]:
    rows = []
    for n in range(1, ROWS + 1):
        title = (form.get(f"kr{n}") or "").strip()
        if not title:
            continue
        row = {"n": n, "title": title[:300], "milestone": None, "start": None, "target": None, "unit": None,
               "owner": None}
        if (form.get(f"kr{n}_measure") or "number") == "milestone":
            row["milestone"] = title[:300]
        else:
            typed = False
            for name in ("start", "target"):
                raw = (form.get(f"kr{n}_{name}") or "").strip()
                value = parse_number(raw) if raw else None
                if raw and value is None:
                    errors[f"kr{n}_{name}"] = render("field_number", given=raw[:20])
                row[name], typed = value, typed or bool(raw)
            unit = (form.get(f"kr{n}_unit") or "").strip()[:32] or None
            if not typed:
                row["start"], row["target"], unit = measured(title, unit)
            if row["target"] is not None and row["start"] is None:
                row["start"] = 0.0
            row["unit"] = unit
        owner = row_id((form.get(f"kr{n}_owner") or "").strip())
        row["owner"] = owner if owner in members else None
        rows.append(row)
    return rows


# Which field each of the lint's findings about a draft belongs by.
_FIELD_OF = {"objective_metric": "title", "objective_no_owner": "title", "unaligned": "aligns",
             "aligned_below": "aligns"}


@dataclass(frozen=True)
class Written:
    """What the drafting form wrote: the objective and its key-result count, or the lint's findings by field
    (then the caller answers with them and the core rolls everything back), and the advice to show."""

    objective: Objective | None
    count: int
    errors: dict[str, str]
    advice: list[str]


def write_objective(ctx: Ctx, cycle: Cycle, team: Team, form: dict, status: str) -> Written:
    """The drafting form's answers as an objective of `team` in `cycle` with its key results, then the method's
    lint on it: one definition of the rules for every form that writes a team's OKR (a draft here, the first
    objective of the set-up in chat, bot.services.setup, with status "active")."""
    errors: dict[str, str] = {}
    title = (form.get("title") or "").strip()
    if not title:
        errors["title"] = words("required")
    kind = form.get("type") if form.get("type") in ("business", "capability") else "business"
    aligns = None
    above = _parent_key_results(ctx.session, cycle, team)
    raw = (form.get("aligns") or "none").strip()
    if raw.lower() != "none":
        aligns = next((kr for kr in above if kr.key == raw), None)
        if aligns is None:
            errors["aligns"] = words("bad_aligns")
    rows = _key_results_from(form, {p.id for p in _members(ctx.session, team)}, errors)
    if not rows:
        errors["kr1"] = words("required")
    if errors:
        return Written(None, 0, errors, [])
    count = ctx.session.scalar(select(func.count()).select_from(Objective).where(
        Objective.cycle_id == cycle.id, Objective.owner_team_id == team.id)) or 0
    key = free_key(ctx.session, ctx.org.id, f"{team.key}-{cycle.name}-o{count + 1}".lower()[:60])
    objective = Objective(org_id=ctx.org.id, cycle_id=cycle.id, key=key, title=title[:300], level=team.level,
                          type=kind, source="aligned" if aligns else None, owner_team_id=team.id,
                          aligns_to_kr_id=aligns.id if aligns else None, status=status, position=count)
    ctx.session.add(objective)
    ctx.session.flush()
    field_of = {key: "title"}
    for position, row in enumerate(rows):
        kr_key = free_key(ctx.session, ctx.org.id, f"{key}-kr{position + 1}")
        field_of[kr_key] = f"kr{row['n']}"
        ctx.session.add(KeyResult(org_id=ctx.org.id, objective_id=objective.id, key=kr_key, title=row["title"],
                                  owner_person_id=row["owner"], start_value=row["start"], target_value=row["target"],
                                  current_value=row["start"], unit=row["unit"], milestone=row["milestone"],
                                  confidence=5, position=position, updated_at=ctx.now))
    ctx.session.flush()
    errors, advice = _lint(ctx, cycle, field_of, rows, aligns_offered=bool(above))
    return Written(objective, len(rows), errors, advice)


@submit(DRAFT_FORM)
def save_draft(ctx: Ctx, interaction: Interaction) -> Reply:
    cycle = _cycle(ctx, "draft")
    team = _team_of_value(ctx, interaction.value)
    okr_set = _may_draft(ctx, cycle, team, "draft") or set_of(ctx.session, cycle, team, create=True)
    written = write_objective(ctx, cycle, team, dict(interaction.form), "draft")
    if written.errors or written.objective is None:
        return Reply(errors=written.errors)  # the core rolls the draft back: nothing is kept until they are answered
    objective = written.objective
    okr_set.updated_at = ctx.now
    text = words("saved", key=objective.key, title=objective.title, count=written.count, team=team.name,
                 advice=written.advice, prefix=ctx.prefix, team_key=team.key)
    buttons = (Button(words("another"), "draft_open", str(team.id)),
               Button(words("submit_button"), "draft_submit", str(team.id), style="primary"),
               Button(words("remove_button"), "draft_remove", str(objective.id), style="danger"))
    return Reply(card=Card(None, (Text(text), Actions(buttons)), fallback=text))


_ALIGNMENT = frozenset({"unaligned", "aligned_below"})


def _lint(ctx: Ctx, cycle: Cycle, field_of: dict[str, str], rows: list[dict],
          aligns_offered: bool) -> tuple[dict[str, str], list[str]]:
    """The lint's warnings about the new objective, by the field each is about (the first one per field), and
    its advice. A warning the form gives no way to answer (an alignment when nothing above has a key result
    yet: a set-up writing a team's objective before the company's) is advice too."""
    by_kr_field = {"kr_unmeasured": "_target", "kr_no_owner": "_owner"}
    errors: dict[str, str] = {}
    advice: list[str] = []
    found = [(a.code, a.severity, a.subject, a.message) for a in lint(ctx.session, ctx.org, cycle, ctx.now)]
    found += [(m.code, "warning", m.subject, m.message) for m in alignment_report(ctx.session, ctx.org, cycle)]
    for code, severity, subject, message in found:
        if subject not in field_of or (code not in WRITING and code not in _ALIGNMENT):
            continue  # how it is written, and where it aligns; never how it was kept (a new one is not stale)
        if severity == "info" or (code in _ALIGNMENT and not aligns_offered):
            advice.append(message)
            continue
        if code in by_kr_field and field_of[subject] != "title":
            field = field_of[subject] + by_kr_field[code]
        elif code == "kr_count":
            field = f"kr{min(len(rows) + 1, ROWS)}" if len(rows) < ADVISED_KRS[0] else f"kr{rows[-1]['n']}"
        else:
            field = _FIELD_OF.get(code, field_of[subject])
        errors.setdefault(field, message)
    return errors, advice


@action("draft_remove")
def remove_draft(ctx: Ctx, interaction: Interaction) -> Reply:
    objective_id = row_id(interaction.value)
    objective = ctx.session.get(Objective, objective_id) if objective_id else None
    if objective is None or objective.org_id != ctx.org.id or objective.status != "draft" \
            or objective.owner_team_id is None:
        raise Refusal("stale_action")
    cycle = ctx.session.get(Cycle, objective.cycle_id)
    team = ctx.session.get(Team, objective.owner_team_id)
    _may_draft(ctx, cycle, team, "draft")
    text = words("removed", key=objective.key, title=objective.title)
    ctx.session.delete(objective)
    return Reply(card=Card(None, (Text(text),), fallback=text))


# ------------------------------------------------------------------ submitting and approving


def _set_card(session: Session, cycle: Cycle, team: Team, intro: str, buttons: tuple[Button, ...] = ()) -> Card:
    elements: list = [Text(intro)]
    for objective in drafts_of(session, cycle, team):
        krs = key_results_of(session, objective)
        elements.append(Text(words("objective_line", key=objective.key, title=objective.title, type=objective.type,
                                   krs=[(kr.key, kr.title, kr.start_value, kr.target_value, kr.unit, kr.milestone)
                                        for kr in krs])))
    if buttons:
        elements.append(Actions(buttons))
    title = words("set_title", team=team.name, cycle=cycle.name)
    return Card(title, tuple(elements), fallback=title)


def _approve(ctx: Ctx, cycle: Cycle, team: Team, okr_set: OkrSet) -> bool:
    """Approve the set; its objectives become active when the cycle starts (the kickoff, `activate`), or at once
    when it has started already (a set approved late). Returns whether they are active now."""
    okr_set.state, okr_set.decided_by_id, okr_set.note, okr_set.updated_at = "approved", ctx.person.id, None, ctx.now
    started = phase(cycle, today_of(ctx.org, ctx.now)) not in ("planning", None)
    for objective in drafts_of(ctx.session, cycle, team):
        objective.status = "active" if started else "approved"
    return started


def submit_set(ctx: Ctx, team: Team) -> Reply:
    cycle = _cycle(ctx, "submit")
    okr_set = _may_draft(ctx, cycle, team, "submit")
    if okr_set is None or not drafts_of(ctx.session, cycle, team):
        raise Refusal("nothing_drafted", "submit", team=team.name, key=team.key)
    okr_set.state, okr_set.round, okr_set.submitted_by_id = "submitted", okr_set.round + 1, ctx.person.id
    okr_set.updated_at = ctx.now
    people = approvers(ctx.session, team, okr_set)
    if not people and team.parent_id is None:
        _approve(ctx, cycle, team, okr_set)  # a company with one lead: its management decided the set together
        text = words("approved_by_submitting", team=team.name, cycle=cycle.name, start=f"{cycle.start:%a %d %b %Y}")
        return Reply(card=_set_card(ctx.session, cycle, team, text))
    if not people:
        raise Refusal("no_approver", "submit", team=team.name)
    runs.event_runs(ctx.session, ctx.org.id, [team.id], ASK, f"ask-{okr_set.id}-{okr_set.round}", ctx.now)
    text = words("submitted", team=team.name, approvers=_names(people))
    return Reply(card=_set_card(ctx.session, cycle, team, text))


@command(c.SubmitSet)
def submit_command(ctx: Ctx, cmd: c.SubmitSet) -> Reply:
    return submit_set(ctx, _team(ctx, cmd.team))


@action("draft_submit")
def submit_button(ctx: Ctx, interaction: Interaction) -> Reply:
    return submit_set(ctx, _team_of_value(ctx, interaction.value))


def _submitted(ctx: Ctx, value: str) -> tuple[OkrSet, Cycle, Team]:
    """The set a button or form names ("set id:round"), if it still waits for this person's decision."""
    raw_id, _, raw_round = value.partition(":")
    set_id = row_id(raw_id)
    okr_set = ctx.session.get(OkrSet, set_id) if set_id else None
    if okr_set is None or okr_set.org_id != ctx.org.id:
        raise Refusal("stale_action")
    team = ctx.session.get(Team, okr_set.team_id)
    cycle = ctx.session.get(Cycle, okr_set.cycle_id)
    if okr_set.state == "approved":
        raise Refusal("set_approved", team=team.name, cycle=cycle.name)
    if okr_set.state != "submitted" or raw_round != str(okr_set.round):
        raise Refusal("set_not_waiting", team=team.name)
    if ctx.person.id == okr_set.submitted_by_id or (team.parent_id is not None and ctx.is_lead(team)):
        raise Refusal("approve_own", team=team.name)
    people = approvers(ctx.session, team, okr_set)
    if ctx.person.id not in {p.id for p in people}:
        raise Refusal("approvers_only", team=team.name, approvers=_names(people))
    return okr_set, cycle, team


@action("set_approve")
def approve_button(ctx: Ctx, interaction: Interaction) -> Reply:
    okr_set, cycle, team = _submitted(ctx, interaction.value)
    started = _approve(ctx, cycle, team, okr_set)
    runs.event_runs(ctx.session, ctx.org.id, [team.id], VERDICT, f"ans-{okr_set.id}-{okr_set.round}", ctx.now)
    text = words("approved", team=team.name, cycle=cycle.name, start=f"{cycle.start:%a %d %b %Y}", started=started)
    return Reply(card=Card(None, (Text(text),), fallback=text))


@action("set_return")
def return_button(ctx: Ctx, interaction: Interaction) -> Reply:
    okr_set, _cycle_, team = _submitted(ctx, interaction.value)
    note = FormField("note", words("field_note"), "multiline", max_length=c.MAX_TEXT, hint=words("hint_note"))
    return Reply(form=Form(RETURN_FORM, words("return_title", team=team.name), (note,), words("return_save"),
                           words("return_intro", team=team.name), interaction.value))


@submit(RETURN_FORM)
def save_return(ctx: Ctx, interaction: Interaction) -> Reply:
    okr_set, _cycle_, team = _submitted(ctx, interaction.value)
    note = (interaction.form.get("note") or "").strip()
    if not note:
        return Reply(errors={"note": words("note_required")})
    if len(note) > c.MAX_TEXT:
        return Reply(errors={"note": words("note_too_long", limit=c.MAX_TEXT)})
    okr_set.state, okr_set.note, okr_set.decided_by_id, okr_set.updated_at = "returned", note, ctx.person.id, ctx.now
    runs.event_runs(ctx.session, ctx.org.id, [team.id], VERDICT, f"ans-{okr_set.id}-{okr_set.round}", ctx.now)
    submitter = ctx.session.get(Person, okr_set.submitted_by_id) if okr_set.submitted_by_id else None
    text = words("returned", team=team.name, who=submitter.name if submitter else team.name)
    return Reply(card=Card(None, (Text(text),), fallback=text))


# ------------------------------------------------------------------ the messages the clock sends


def _set_of_period(o: Occasion) -> tuple[OkrSet, Cycle]:
    raw = o.period.split("-")
    set_id = row_id(raw[1]) if len(raw) == 3 else None
    okr_set = o.session.get(OkrSet, set_id) if set_id else None
    cycle = o.session.get(Cycle, okr_set.cycle_id) if okr_set is not None else None
    if okr_set is None or cycle is None or okr_set.org_id != o.org.id:
        raise ValueError(f"period {o.period!r} names no set of organization {o.org.id}")
    return okr_set, cycle


def approval_messages(o: Occasion) -> list[Outbound]:
    """A submitted set: each approver gets it with Approve and Return (the buttons name this round)."""
    okr_set, cycle = _set_of_period(o)
    submitter = o.session.get(Person, okr_set.submitted_by_id) if okr_set.submitted_by_id else None
    value = f"{okr_set.id}:{o.period.split('-')[2]}"
    messages = []
    for person in approvers(o.session, o.team, okr_set):
        with speaking(person_language(o.session, o.org, person)):
            intro = words("ask", name=person.name, team=o.team.name, cycle=cycle.name,
                          who=submitter.name if submitter else o.team.name)
            buttons = (Button(words("approve_button"), "set_approve", value, style="primary"),
                       Button(words("return_button"), "set_return", value, style="danger"))
            messages.append(Outbound(f"dm:{person.id}", _set_card(o.session, cycle, o.team, intro, buttons),
                                     person.id))
    return messages


def verdict_messages(o: Occasion) -> list[Outbound]:
    """The drafting lead hears the decision: approved, or returned with the approver's note."""
    okr_set, cycle = _set_of_period(o)
    if okr_set.submitted_by_id is None:
        return []
    person = o.session.get(Person, okr_set.submitted_by_id)
    decider = o.session.get(Person, okr_set.decided_by_id) if okr_set.decided_by_id else None
    with speaking(person_language(o.session, o.org, person)):
        text = words("verdict", state=okr_set.state, team=o.team.name, cycle=cycle.name, note=okr_set.note,
                     who=decider.name if decider else "", key=o.team.key, start=f"{cycle.start:%a %d %b %Y}",
                     started=phase(cycle, today_of(o.org, okr_set.updated_at)) not in ("planning", None))
        buttons = (Button(words("another"), "draft_open", str(o.team.id)),) if okr_set.state == "returned" else ()
        card = Card(words("verdict_title", team=o.team.name, state=okr_set.state),
                    (Text(text), *((Actions(buttons),) if buttons else ())), fallback=text)
    return [Outbound(f"dm:{person.id}", card, person.id)]


def activate(session: Session, cycle: Cycle) -> int:
    """The cycle starts: its approved objectives become active (the kickoff announces them). Returns how many."""
    rows = list(session.scalars(select(Objective).where(Objective.cycle_id == cycle.id,
                                                        Objective.status == "approved")))
    for objective in rows:
        objective.status = "active"
    return len(rows)
