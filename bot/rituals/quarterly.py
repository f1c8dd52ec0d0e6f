"""What the once-per-cycle rituals say (bot.rituals.catalog: the planning call, the kickoff, the mid-quarter
review). A run's period names its cycle (bot.cycles.period_of), so each builder reads that cycle, never
"the current one": a kickoff posted late still announces the cycle it was due for.

The method's seven-step quarterly meeting ends with the plenary (step 7): the OKRs of the quarter, why
they were set so, and the results of the previous quarter; the kickoff post is that plenary in chat.
The mid-quarter review asks the weekly question of the confidence ("is it getting higher or lower, and
because of what?") of the key results at risk, and the method's test of a result: does it move the
business?
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import i18n
from bot.bidi import isolate
from bot.cards import kr_line
from bot.changes import Change
from bot.context import person_language
from bot.cycles import cycle_of_period, midpoint, previous
from bot.model import Card, Context, KeyResultLine, Text
from bot.render import render
from bot.rituals.catalog import Occasion
from bot.rituals.content import Outbound
from bot.services.trends import week_change
from storage.models import CheckIn, Cycle, KeyResult, Objective, OkrChange, Organization, Person, Team


def _cycle(o: Occasion) -> Cycle:
    cycle = cycle_of_period(o.session, o.org.id, o.period)
    if cycle is None:  # the cycle was deleted after its run was claimed: say so rather than post nonsense
        raise ValueError(f"period {o.period!r} names no cycle of organization {o.org.id}")
    return cycle


def _objectives(session: Session, org: Organization, cycle: Cycle, team: Team) -> list[Objective]:
    return list(session.scalars(select(Objective).where(
        Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.owner_team_id == team.id,
        Objective.status != "draft").order_by(Objective.position, Objective.id)))


def _key_results(session: Session, objective: Objective) -> list[KeyResult]:
    return list(session.scalars(select(KeyResult).where(KeyResult.objective_id == objective.id)
                                .order_by(KeyResult.position, KeyResult.id)))


def planning_post(o: Occasion) -> Card:
    """Planning opens: the company channel hears when the cycle runs and that ideas are welcome (step 1)."""
    cycle = _cycle(o)
    text = render("ritual_planning", team=o.team.name, cycle=cycle.name, start=i18n.weekday_day(cycle.start),
                  end=i18n.weekday_day(cycle.end))
    title = render("ritual_planning_title", cycle=cycle.name)
    return Card(title, (Text(text),), fallback=title)


def kickoff_post(o: Occasion) -> Card:
    """The cycle starts: the company's objectives with their key results, and the previous cycle's results."""
    session, org, cycle = o.session, o.org, _cycle(o)
    objectives = _objectives(session, org, cycle, o.team)
    elements: list = [Text(render("ritual_kickoff", team=o.team.name, cycle=cycle.name, count=len(objectives),
                                  end=i18n.weekday_day(cycle.end)))]
    for objective in objectives:
        elements.append(Text(f"*{isolate(objective.title)}*"))
        elements.extend(kr_line(kr, org, base=o.base) for kr in _key_results(session, objective))
    before = previous(session, cycle)
    if before is not None:
        scored = [(ob.title, ob.score) for ob in _objectives(session, org, before, o.team)]
        elements.append(Text(render("ritual_kickoff_last", cycle=before.name, objectives=scored)))
    title = render("ritual_kickoff_title", cycle=cycle.name)
    return Card(title, tuple(elements), fallback=title)


def at_risk(session: Session, org: Organization, cycle: Cycle, team: Team, zone: str,
            now: datetime) -> list[tuple[KeyResult, str]]:
    """The team's key results at risk, each with why: red, falling since last week, or not checked in
    since the cycle started (an import's own check-in does not count: nobody looked)."""
    started = datetime.combine(cycle.start, time(0), tzinfo=ZoneInfo(zone))
    risky = []
    for objective in _objectives(session, org, cycle, team):
        for kr in _key_results(session, objective):
            checked = session.scalar(select(CheckIn.id).where(
                CheckIn.key_result_id == kr.id, CheckIn.at >= started, CheckIn.source != "import").limit(1))
            change = week_change(session, kr.id, zone, now)
            if kr.confidence <= org.red_max:
                risky.append((kr, "red"))
            elif change.delta is not None and change.delta < 0:
                risky.append((kr, "falling"))
            elif checked is None:
                risky.append((kr, "silent"))
    return risky


def midreview_post(o: Occasion) -> Card:
    """Halfway through: the team's key results at risk, and the questions to talk about."""
    session, org, cycle = o.session, o.org, _cycle(o)
    risky = at_risk(session, org, cycle, o.team, o.zone, o.now)
    elements: list = [Text(render("ritual_midreview", team=o.team.name, cycle=cycle.name, count=len(risky),
                                  end=i18n.weekday_day(cycle.end)))]
    for kr, why in risky:
        line: KeyResultLine = kr_line(kr, org, base=o.base)
        elements.append(line)
        elements.append(Context(render("ritual_midreview_why", why=why)))
    elements.append(Text(render("ritual_midreview_question")))
    day = i18n.weekday_day(midpoint(cycle), year=False)
    title = render("ritual_midreview_title", team=o.team.name, cycle=cycle.name, day=day)
    return Card(title, tuple(elements), fallback=title)


def change_post(o: Occasion) -> Card:
    """A batch of changes to the team's OKRs (bot.changes; the period is the batch), with who and why."""
    rows = list(o.session.scalars(select(OkrChange).join(Objective, Objective.id == OkrChange.objective_id).where(
        OkrChange.org_id == o.org.id, OkrChange.batch == o.period, Objective.owner_team_id == o.team.id)
        .order_by(OkrChange.id)))
    if not rows:  # the objective went away meanwhile: say what is known rather than nothing
        raise ValueError(f"change batch {o.period!r} has no change of team {o.team.key}")
    person = o.session.get(Person, rows[0].person_id) if rows[0].person_id else None
    cycle = o.session.get(Cycle, rows[0].cycle_id)
    lines = [str(Change(r.subject, r.field, r.old, r.new, r.cycle_id, r.objective_id or 0)) for r in rows]
    who = person.name if person else i18n.gettext("An import")
    text = render("ritual_change", who=who, count=len(rows), team=o.team.name,
                  cycle=cycle.name if cycle else None, lines=lines, reason=rows[0].reason)
    title = render("ritual_change_title", team=o.team.name)
    return Card(title, (Text(text), Context(render("ritual_change_note"))), fallback=title)


def scoring_messages(o: Occasion) -> list[Outbound]:
    """The cycle has ended: each owner of the team's key results is asked, directly, for their scores."""
    session, org, cycle = o.session, o.org, _cycle(o)
    owned: dict[int, list[KeyResult]] = {}
    for objective in _objectives(session, org, cycle, o.team):
        for kr in _key_results(session, objective):
            if kr.owner_person_id is not None:
                owned.setdefault(kr.owner_person_id, []).append(kr)
    messages = []
    for person_id, krs in owned.items():
        person = session.get(Person, person_id)
        with i18n.speaking(person_language(session, org, person)):
            elements: list = [Text(render("ritual_closing", name=person.name, cycle=cycle.name, team=o.team.name,
                                          count=len(krs), code=krs[0].key))]
            elements.extend(kr_line(kr, org, base=o.base) for kr in krs)
            title = render("ritual_closing_title", cycle=cycle.name)
        messages.append(Outbound(f"dm:{person_id}", Card(title, tuple(elements), fallback=title), person_id))
    return messages
