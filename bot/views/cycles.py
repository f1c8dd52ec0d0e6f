"""The dashboard's past cycles: every cycle with its phase and dates, and one cycle's results.

The method closes a cycle with a score for every key result (0.0 to 1.0, with "did it move the business?"),
each objective's score (the mean of its key results', unless its lead set one) and the retrospective's
lessons (what we learned; keep, stop, start): "learn from failure, and try again". Those stay readable here
once the cycle is over, team by team, as the quarter summary (bot.rituals.quarterly) counts them: the teams'
objectives in force (drafts are not), their key results in force (one an honest change removed no longer
counts), and a target changed mid-cycle shown beside the original one it is scored against (bot.changes).

Read in a fixed number of statements whatever the size of the organization, a page of teams at a time.
Individual objectives stay out (bot.views.privacy: they are discussed one-on-one); nothing here knows HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from bot import changes
from bot.cycles import Phase, Status, statuses
from bot.levels import Level
from bot.links import key_result_path
from bot.services.lessons import KINDS
from bot.services.scores import mean_score
from storage.models import Cycle, KeyResult, Lesson, Objective, Organization, Person, Team

TEAMS_PER_PAGE = 25


@dataclass
class CycleRow:
    """One line of the list of cycles."""

    name: str
    phase: Phase | None  # None: its planning has not opened yet
    start: date
    end: date
    planning_opens: date
    closed: date | None  # the day `okrbot cycle close` ended its closing phase
    objectives: int = 0
    scored: int = 0
    mean: float | None = None  # of the scored objectives
    lessons: int = 0


@dataclass
class ScoredKr:
    code: str
    title: str
    owner: str | None
    score: float | None
    note: str | None
    moved: bool | None  # the owner's answer to "did it move the business?"
    target: str | None  # the target in force, as people write it; None for a milestone
    original_target: str | None  # before a change mid-cycle; None when it never changed
    unit: str | None
    milestone: str | None
    href: str


@dataclass
class ScoredObjective:
    key: str
    title: str
    type: str
    score: float | None
    overridden: bool  # its lead set the score rather than the mean
    mean: float | None  # the mean of its key results' scores, shown beside a score the lead set
    key_results: list[ScoredKr] = field(default_factory=list)


@dataclass
class LessonView:
    kind: str
    text: str
    author: str | None


@dataclass
class TeamResults:
    key: str
    name: str
    level: str
    objectives: list[ScoredObjective] = field(default_factory=list)
    lessons: dict[str, list[LessonView]] = field(default_factory=dict)  # by kind, in KINDS order


@dataclass
class CyclePage:
    org: Organization
    cycle: CycleRow
    cycles: list[CycleRow]  # every cycle, newest first: the page's own navigation
    teams: list[TeamResults]
    page: int
    pages: int


def _in_force():
    """The objectives a cycle's results count (as the quarter summary does): team-owned, not drafts."""
    return (Objective.owner_team_id.is_not(None), Objective.level != "individual", Objective.status != "draft")


def _row(status: Status) -> CycleRow:
    cycle = status.cycle
    return CycleRow(cycle.name, status.phase, cycle.start, cycle.end, status.planning_opens,
                    cycle.closed_at.date() if cycle.closed_at else None)


def cycle_rows(session: Session, org: Organization, now: datetime) -> list[CycleRow]:
    """Every cycle of the organization, newest first, with its objectives, scores and lessons counted."""
    rows = {s.cycle.id: _row(s) for s in reversed(statuses(session, org, now))}
    if not rows:
        return []
    for cycle_id, count, scored, total in session.execute(
        select(Objective.cycle_id, func.count(), func.count(Objective.score), func.sum(Objective.score))
        .where(Objective.org_id == org.id, *_in_force()).group_by(Objective.cycle_id)
    ):
        row = rows[cycle_id]
        row.objectives, row.scored = count, scored
        row.mean = round(float(total) / scored, 2) if scored else None
    for cycle_id, count in session.execute(
        select(Lesson.cycle_id, func.count()).where(Lesson.org_id == org.id).group_by(Lesson.cycle_id)
    ):
        rows[cycle_id].lessons = count
    return list(rows.values())


def find_cycle(session: Session, org: Organization, name: str) -> Cycle | None:
    return session.scalar(select(Cycle).where(Cycle.org_id == org.id, Cycle.name == name))


def cycle_page(session: Session, org: Organization, cycle: Cycle, now: datetime, page: int) -> CyclePage:
    """One cycle's results, a page of teams at a time (company first, then down the tree)."""
    cycles = cycle_rows(session, org, now)
    owning = select(Objective.owner_team_id).where(Objective.cycle_id == cycle.id, *_in_force())
    writing = select(Lesson.team_id).where(Lesson.cycle_id == cycle.id)
    teams = list(session.scalars(
        select(Team).where(Team.org_id == org.id, or_(Team.id.in_(owning), Team.id.in_(writing)))
        .order_by(Level.sql_rank(Team.level), Team.name, Team.id)))
    pages = max(1, -(-len(teams) // TEAMS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = {t.id: TeamResults(t.key, t.name, t.level)
             for t in teams[(page - 1) * TEAMS_PER_PAGE : page * TEAMS_PER_PAGE]}
    _fill_objectives(session, org, cycle, shown)
    _fill_lessons(session, cycle, shown)
    row = next(r for r in cycles if r.name == cycle.name)
    return CyclePage(org, row, cycles, list(shown.values()), page, pages)


def _fill_objectives(session: Session, org: Organization, cycle: Cycle, shown: dict[int, TeamResults]) -> None:
    """The shown teams' objectives with their key results in force, and each changed target's original."""
    if not shown:
        return
    owner = aliased(Person)
    rows = session.execute(
        select(Objective, KeyResult, owner.name)
        .outerjoin(KeyResult, (KeyResult.objective_id == Objective.id) & KeyResult.live)
        .outerjoin(owner, owner.id == KeyResult.owner_person_id)
        .where(Objective.cycle_id == cycle.id, Objective.owner_team_id.in_(shown), *_in_force())
        .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id)
    ).all()
    originals = changes.originals(session, [kr.id for _, kr, _ in rows if kr is not None])
    views: dict[int, ScoredObjective] = {}
    for objective, kr, owner_name in rows:
        view = views.get(objective.id)
        if view is None:
            view = views[objective.id] = ScoredObjective(objective.key, objective.title, objective.type,
                                                         objective.score, objective.score_overridden, None)
            shown[objective.owner_team_id].objectives.append(view)
        if kr is None:
            continue
        original = originals.get(kr.id, {}).get("target")
        target = changes.text_of(kr.target_value)
        view.key_results.append(ScoredKr(
            kr.key, kr.title, owner_name, kr.score, kr.score_note, kr.moved_business, target,
            original if "target" in originals.get(kr.id, {}) and original != target else None, kr.unit,
            kr.milestone, key_result_path(kr.key, org.id)))
    for view in views.values():
        view.mean = mean_score(kr.score for kr in view.key_results)


def _fill_lessons(session: Session, cycle: Cycle, shown: dict[int, TeamResults]) -> None:
    if not shown:
        return
    author = aliased(Person)
    for team_id, kind, text, name in session.execute(
        select(Lesson.team_id, Lesson.kind, Lesson.text, author.name)
        .outerjoin(author, author.id == Lesson.author_person_id)
        .where(Lesson.cycle_id == cycle.id, Lesson.team_id.in_(shown)).order_by(Lesson.at, Lesson.id)
    ):
        shown[team_id].lessons.setdefault(kind, []).append(LessonView(kind, text, name))
    for team in shown.values():
        team.lessons = {kind: team.lessons[kind] for kind in KINDS if kind in team.lessons}
