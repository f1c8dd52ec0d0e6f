"""Early warning: "when a status indicator changes unexpectedly, immediately discuss and find a response plan".

A key result of a team's objective whose confidence drops by 2 or more from its previous check-in, or into red,
and a health metric that turns red, are recorded as an `EarlyWarning` in the transaction of the change. The
clock's next sweep sends it to the team's leads (the event ritual `warning`), with the owner's note and a
*Response plan* button; the plan they write shows on the team's next Monday post. One warning per subject and
week (a unique row): a value that flaps warns once, never a storm. Imports warn nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import i18n
from bot.context import Ctx, person_language, row_id, team_leads, team_timezone
from bot.errors import Refusal
from bot.handlers import action, submit
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Reply, Text
from bot.render import render
from bot.rituals import runs
from bot.rituals.catalog import Occasion
from bot.typed_text import typed_text
from bot.weeks import local_week, shift
from storage.db import insert_ignoring_conflicts
from storage.models import EarlyWarning, HealthMetric, KeyResult, Objective, Organization, Person, Team

RITUAL = "warning"  # the catalog's event ritual that tells the leads
PLAN_FORM = "response_plan"
QUIET = ("import",)  # check-in sources that warn nobody: a file loaded is no news


def key_result_dropped(session: Session, kr: KeyResult, before: int | None, after: int, *, person_id: int | None,
                       note: str | None, at: datetime, source: str) -> None:
    """Called by every confidence check-in: record a warning when it is one (a drop of 2 or more, or into red)."""
    if before is None or source in QUIET or after >= before:
        return
    org = session.get(Organization, kr.org_id)
    if before - after < 2 and not (after <= org.red_max < before):
        return
    objective = session.get(Objective, kr.objective_id)
    if objective is None or objective.owner_team_id is None or objective.level == "individual":
        return  # personal OKRs are only ever shown to their owner and manager
    _record(session, org, objective.owner_team_id, "kr", kr.id, str(before), str(after), note, person_id, at)


def health_turned_red(session: Session, metric: HealthMetric, before: str | None, *, note: str | None,
                      person_id: int | None, at: datetime) -> None:
    if before == "red":
        return
    org = session.get(Organization, metric.org_id)
    _record(session, org, metric.team_id, "health", metric.id, before, "red", note, person_id, at)


def _record(session: Session, org: Organization, team_id: int, kind: str, subject_id: int, before: str | None,
            after: str, note: str | None, person_id: int | None, at: datetime) -> None:
    team = session.get(Team, team_id)
    week = local_week(at, team_timezone(session, team, org))
    table = EarlyWarning.__table__
    created = session.execute(insert_ignoring_conflicts(session, table).values(
        org_id=org.id, team_id=team_id, week=week, kind=kind, subject_id=subject_id, before=before, after=after,
        note=note, person_id=person_id, created_at=at,
    ).on_conflict_do_nothing(index_elements=["kind", "subject_id", "week"]).returning(table.c.id)).scalar()
    if created is not None:  # the first change of this subject this week: told; later ones are not (no storm)
        runs.event_runs(session, org.id, [team_id], RITUAL, f"warn-{created}", at)


def _subject(session: Session, warning: EarlyWarning) -> tuple[str, str]:
    """(code or name, title) of what changed."""
    if warning.kind == "kr":
        kr = session.get(KeyResult, warning.subject_id)
        return (kr.key, kr.title) if kr is not None else ("?", "")
    metric = session.get(HealthMetric, warning.subject_id)
    return (metric.name, "") if metric is not None else ("?", "")


def warning_messages(o: Occasion) -> list:
    """The `warning` event: the change, the owner's note and a *Response plan* button, to each of the team's
    leads."""
    from bot.rituals.content import Outbound

    warning = o.session.get(EarlyWarning, row_id(o.period.removeprefix("warn-")) or 0)
    if warning is None or warning.org_id != o.org.id:
        return []
    code, title = _subject(o.session, warning)
    who = o.session.get(Person, warning.person_id) if warning.person_id else None
    messages = []
    for lead in team_leads(o.session, o.team):
        with i18n.speaking(person_language(o.session, o.org, lead)):
            text = render("warning", kind=warning.kind, code=code, title=title, team=o.team.name,
                          before=warning.before, after=warning.after, who=who.name if who else None,
                          red=warning.kind == "kr" and int(warning.after) <= o.org.red_max,
                          note=warning.note)
            button = Button(render("warning_words", which="button"), "plan_open", str(warning.id), style="primary")
            title_ = render("warning_words", which="title", team=o.team.name)
        messages.append(Outbound(f"dm:{lead.id}", Card(title_, (Text(text), Actions((button,))), fallback=text),
                                 lead.id))
    return messages


def _warning(ctx: Ctx, value: str) -> EarlyWarning:
    warning = ctx.session.get(EarlyWarning, row_id(value) or 0)
    if warning is None or warning.org_id != ctx.org.id:
        raise Refusal("stale_action")
    team = ctx.session.get(Team, warning.team_id)
    ctx.require_lead(team, "report")
    return warning


@action("plan_open")
def plan_button(ctx: Ctx, interaction: Interaction) -> Reply:
    warning = _warning(ctx, interaction.value)
    code, _title = _subject(ctx.session, warning)
    field = FormField("plan", render("warning_words", which="label"), "multiline", initial=warning.plan,
                      max_length=c.MAX_TEXT)
    return Reply(form=Form(PLAN_FORM, render("warning_words", which="form"), (field,),
                           render("warning_words", which="save"), render("warning_words", which="intro", code=code),
                           str(warning.id)))


@submit(PLAN_FORM)
def submit_plan(ctx: Ctx, interaction: Interaction) -> Reply:
    warning = _warning(ctx, interaction.value)
    plan, refused = typed_text(interaction, "plan", render("warning_words", which="required"), c.MAX_TEXT)
    if refused:
        return refused
    warning.plan, warning.plan_by_person_id = plan, ctx.person.id
    code, _title = _subject(ctx.session, warning)
    text = render("warning_plan_saved", code=code, plan=plan)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def response_plans(session: Session, team: Team, week: str) -> list[tuple[str, str]]:
    """(what changed, the plan) of the team's warnings last week and this week that have a plan: the Monday post
    shows them."""
    rows = session.scalars(select(EarlyWarning).where(
        EarlyWarning.team_id == team.id, EarlyWarning.week.in_([shift(week, -1), week]),
        EarlyWarning.plan.is_not(None)).order_by(EarlyWarning.id))
    return [(_subject(session, w)[0], w.plan) for w in rows]
