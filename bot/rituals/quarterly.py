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

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import i18n
from bot.bidi import isolate
from bot.cards import kr_line
from bot.changes import Change
from bot.context import people_languages, person_language
from bot.cycles import cycle_of_period, midpoint, previous
from bot.levels import Level
from bot.model import Card, Context, KeyResultLine, Text
from bot.render import render
from bot.rituals.catalog import Occasion
from bot.rituals.content import Outbound
from bot.services.drafts import activate
from bot.services.lessons import KINDS, lessons_of
from bot.services.scores import scoring_button
from bot.services.trends import week_change
from storage.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Lesson,
    Objective,
    OkrChange,
    Organization,
    Person,
    RitualSetting,
    Team,
    TeamMember,
)


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
    """An objective's key results in force: one an honest change removed is kept, but no longer counts."""
    return list(session.scalars(select(KeyResult).where(KeyResult.objective_id == objective.id,
                                                        KeyResult.live)
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
    activate(session, cycle)  # approved objectives become active as the cycle starts (bot.services.drafts)
    objectives = _objectives(session, org, cycle, o.team)
    elements: list = [Text(render("ritual_kickoff", team=o.team.name, cycle=cycle.name, count=len(objectives),
                                  end=i18n.weekday_day(cycle.end), mission=org.mission))]
    for objective in objectives:
        elements.append(Text(f"*{isolate(objective.title)}*"))
        if objective.why:
            elements.append(Context(render("ritual_kickoff_why", why=objective.why)))
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
    """The cycle has ended: each owner of the team's key results is asked, directly, for their scores.

    One message per person, with all their key results of the cycle whatever team's objectives hold them: it
    comes from the run of the first of those teams (company first, down the tree) whose closing is on, so someone
    owning key results in two teams is asked once (each team's run is claimed once: bot.rituals.runs)."""
    session, org, cycle = o.session, o.org, _cycle(o)
    set_ = (Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.status != "draft", KeyResult.live)
    owners = (select(KeyResult.owner_person_id).join(Objective, Objective.id == KeyResult.objective_id)
              .where(*set_, Objective.owner_team_id == o.team.id, KeyResult.owner_person_id.is_not(None)))
    owned: dict[int, list[tuple[Team, KeyResult]]] = {}
    for kr, team in session.execute(
            select(KeyResult, Team).join(Objective, Objective.id == KeyResult.objective_id)
            .join(Team, Team.id == Objective.owner_team_id).where(*set_, KeyResult.owner_person_id.in_(owners))
            .order_by(Level.sql_rank(Team.level), Team.name, Team.id, Objective.position, Objective.id,
                      KeyResult.position, KeyResult.id)):
        owned.setdefault(kr.owner_person_id, []).append((team, kr))
    teams = {team.id for rows in owned.values() for team, _ in rows}
    asking = {o.team.id, *session.scalars(select(RitualSetting.team_id).where(
        RitualSetting.team_id.in_(teams), RitualSetting.ritual == "closing", RitualSetting.enabled.is_(True)))}
    mine = {person_id: rows for person_id, rows in owned.items()
            if next(team for team, _ in rows if team.id in asking).id == o.team.id}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(mine)))} if mine else {}
    messages = []
    for person_id, rows in mine.items():
        person, krs = people[person_id], [kr for _, kr in rows]
        with i18n.speaking(person_language(session, org, person)):
            team = i18n.listing(list(dict.fromkeys(team.name for team, _ in rows)))
            elements: list = [Text(render("ritual_closing", name=person.name, cycle=cycle.name, team=team,
                                          count=len(krs), code=krs[0].key))]
            elements.extend(kr_line(kr, org, base=o.base) for kr in krs)
            elements.append(scoring_button(cycle))
            title = render("ritual_closing_title", cycle=cycle.name)
        messages.append(Outbound(f"dm:{person_id}", Card(title, tuple(elements), fallback=title), person_id))
    return messages


def retro_post(o: Occasion) -> Card:
    """The cycle has ended: the team's retrospective thread (what we learned; keep, stop, start). Every reply in
    its thread is kept as a lesson (bot.services.lessons)."""
    session, org, cycle = o.session, o.org, _cycle(o)
    scored = [(ob.title, ob.score) for ob in _objectives(session, org, cycle, o.team)]
    text = render("ritual_retro", team=o.team.name, cycle=cycle.name, objectives=scored)
    title = render("ritual_retro_title", team=o.team.name, cycle=cycle.name)
    return Card(title, (Text(text), Context(render("ritual_retro_note"))), fallback=title)


SUMMARY_TEAMS = 12  # teams listed by name in the summary; the rest are counted (the dashboard has them all)
SUMMARY_LESSONS = 6  # lessons quoted in it


@dataclass(frozen=True)
class Summary:
    """A closed cycle in numbers, read once per run: every team's scored objectives, and the lessons."""

    cycle: Cycle
    teams: list[tuple[Team, list[tuple[str, float | None]]]]  # company first, then down the tree
    lessons: list[Lesson]

    @property
    def scores(self) -> list[float]:
        return [score for _, rows in self.teams for _, score in rows if score is not None]


def summary_of(session: Session, org: Organization, cycle: Cycle) -> Summary:
    """Three queries whatever the size of the organization: the objectives, their teams, the lessons."""
    objectives = list(session.scalars(select(Objective).where(
        Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.owner_team_id.is_not(None),
        Objective.status != "draft").order_by(Objective.position, Objective.id)))
    by_team: dict[int, list[tuple[str, float | None]]] = {}
    for objective in objectives:
        by_team.setdefault(objective.owner_team_id, []).append((objective.title, objective.score))
    teams = list(session.scalars(select(Team).where(Team.id.in_(by_team))
                                 .order_by(Level.sql_rank(Team.level), Team.name, Team.id))) if by_team else []
    return Summary(cycle, [(team, by_team[team.id]) for team in teams], lessons_of(session, org.id, [cycle.id]))


def _summary_elements(summary: Summary, teams: list[tuple[Team, list]] | None = None) -> list:
    shown = summary.teams[:SUMMARY_TEAMS] if teams is None else teams
    scores = summary.scores
    counts = {kind: sum(1 for lesson in summary.lessons if lesson.kind == kind) for kind in KINDS}
    return [
        Text(render("ritual_summary", cycle=summary.cycle.name, objectives=sum(len(rows) for _, rows in summary.teams),
                    scored=len(scores), mean=round(sum(scores) / len(scores), 2) if scores else None)),
        Text(render("ritual_summary_teams", teams=[(t.name, rows) for t, rows in shown],
                    more=len(summary.teams) - len(shown) if teams is None else 0)),
        Text(render("ritual_summary_lessons", counts=counts,
                    lessons=[(lesson.kind, lesson.text) for lesson in summary.lessons[:SUMMARY_LESSONS]])),
    ]


def summary_post(o: Occasion) -> Card:
    """The cycle is closed: the company channel gets how every team scored, and what the teams learned."""
    summary = summary_of(o.session, o.org, _cycle(o))
    title = render("ritual_summary_title", cycle=summary.cycle.name)
    return Card(title, tuple(_summary_elements(summary)), fallback=title)


def summary_messages(o: Occasion) -> list[Outbound]:
    """The same summary to every lead of the organization, directly and in each lead's language, with the teams
    they lead first. Set-based, as a 10,000-person organization has thousands of leads: the leads and their
    languages in a few queries, the common part rendered once per language and the lead's own part once per
    (teams led, language); leads with the same teams and language share one card."""
    session, org = o.session, o.org
    summary = summary_of(session, org, _cycle(o))
    leads: dict[int, set[int]] = {}
    for person_id, team_id in session.execute(select(TeamMember.person_id, TeamMember.team_id).join(
            Team, Team.id == TeamMember.team_id).where(Team.org_id == org.id, TeamMember.role == "lead")):
        leads.setdefault(person_id, set()).add(team_id)
    languages = people_languages(session, org, leads)
    scored = {team.id: (position, team.name, rows) for position, (team, rows) in enumerate(summary.teams)}
    commons: dict[str, tuple[str, list]] = {}
    cards: dict[tuple[str, tuple[int, ...]], Card] = {}
    messages = []
    for person_id, team_ids in sorted(leads.items()):
        language = languages[person_id]
        own = tuple(sorted((t for t in team_ids if t in scored), key=lambda t: scored[t][0]))
        card = cards.get((language, own))
        if card is None:
            with i18n.speaking(language):
                if language not in commons:
                    commons[language] = (render("ritual_summary_title", cycle=summary.cycle.name),
                                         _summary_elements(summary))
                title, common = commons[language]
                yours = [Text(render("ritual_summary_yours", teams=[scored[t][1:] for t in own]))] if own else []
            card = cards[(language, own)] = Card(title, (*yours, *common), fallback=title)
        messages.append(Outbound(f"dm:{person_id}", card, person_id))
    return messages
